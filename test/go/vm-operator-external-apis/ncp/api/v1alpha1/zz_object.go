// Code below is written by hand for the types' runtime.Object plumbing (see README.md).

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"velero-vmgroup-functions.test/go/vm-operator-external-apis/jsoncopy"
)

// GroupVersion is the API group and version of these types.
var GroupVersion = schema.GroupVersion{Group: "vmware.com", Version: "v1alpha1"}

// SchemeGroupVersion is GroupVersion under its client-go name.
var SchemeGroupVersion = GroupVersion

var schemeBuilder = runtime.NewSchemeBuilder(func(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion,
		&VirtualNetworkInterface{}, &VirtualNetworkInterfaceList{},
	)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
})

// AddToScheme registers the types with a scheme.
var AddToScheme = schemeBuilder.AddToScheme

// DeepCopy returns a deep copy.
func (in *VirtualNetworkInterface) DeepCopy() *VirtualNetworkInterface { return jsoncopy.Of(in) }

// DeepCopyInto copies into out.
func (in *VirtualNetworkInterface) DeepCopyInto(out *VirtualNetworkInterface) { *out = *in.DeepCopy() }

// DeepCopyObject implements runtime.Object.
func (in *VirtualNetworkInterface) DeepCopyObject() runtime.Object { return in.DeepCopy() }

// DeepCopy returns a deep copy.
func (in *VirtualNetworkInterfaceList) DeepCopy() *VirtualNetworkInterfaceList {
	return jsoncopy.Of(in)
}

// DeepCopyInto copies into out.
func (in *VirtualNetworkInterfaceList) DeepCopyInto(out *VirtualNetworkInterfaceList) {
	*out = *in.DeepCopy()
}

// DeepCopyObject implements runtime.Object.
func (in *VirtualNetworkInterfaceList) DeepCopyObject() runtime.Object { return in.DeepCopy() }
