// Code below is written by hand for the types' runtime.Object plumbing (see README.md).

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"velero-vmgroup-functions.test/go/vm-operator-external-apis/jsoncopy"
)

// GroupVersion is the API group and version of these types.
var GroupVersion = schema.GroupVersion{Group: "topology.tanzu.vmware.com", Version: "v1alpha1"}

// SchemeGroupVersion is GroupVersion under its client-go name.
var SchemeGroupVersion = GroupVersion

var schemeBuilder = runtime.NewSchemeBuilder(func(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion,
		&Zone{}, &ZoneList{},
		&AvailabilityZone{}, &AvailabilityZoneList{},
	)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
})

// AddToScheme registers the types with a scheme.
var AddToScheme = schemeBuilder.AddToScheme

// DeepCopy returns a deep copy.
func (in *Zone) DeepCopy() *Zone { return jsoncopy.Of(in) }

// DeepCopyInto copies into out.
func (in *Zone) DeepCopyInto(out *Zone) { *out = *in.DeepCopy() }

// DeepCopyObject implements runtime.Object.
func (in *Zone) DeepCopyObject() runtime.Object { return in.DeepCopy() }

// DeepCopy returns a deep copy.
func (in *ZoneList) DeepCopy() *ZoneList { return jsoncopy.Of(in) }

// DeepCopyInto copies into out.
func (in *ZoneList) DeepCopyInto(out *ZoneList) { *out = *in.DeepCopy() }

// DeepCopyObject implements runtime.Object.
func (in *ZoneList) DeepCopyObject() runtime.Object { return in.DeepCopy() }

// DeepCopy returns a deep copy.
func (in *AvailabilityZone) DeepCopy() *AvailabilityZone { return jsoncopy.Of(in) }

// DeepCopyInto copies into out.
func (in *AvailabilityZone) DeepCopyInto(out *AvailabilityZone) { *out = *in.DeepCopy() }

// DeepCopyObject implements runtime.Object.
func (in *AvailabilityZone) DeepCopyObject() runtime.Object { return in.DeepCopy() }

// DeepCopy returns a deep copy.
func (in *AvailabilityZoneList) DeepCopy() *AvailabilityZoneList { return jsoncopy.Of(in) }

// DeepCopyInto copies into out.
func (in *AvailabilityZoneList) DeepCopyInto(out *AvailabilityZoneList) { *out = *in.DeepCopy() }

// DeepCopyObject implements runtime.Object.
func (in *AvailabilityZoneList) DeepCopyObject() runtime.Object { return in.DeepCopy() }
