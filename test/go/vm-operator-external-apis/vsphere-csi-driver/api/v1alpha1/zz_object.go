// Code below is written by hand for the types' runtime.Object plumbing (see README.md).

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"velero-vmgroup-functions.test/go/vm-operator-external-apis/jsoncopy"
)

// GroupVersion is the API group and version of these types.
var GroupVersion = schema.GroupVersion{Group: "cns.vmware.com", Version: "v1alpha1"}

// SchemeGroupVersion is GroupVersion under its client-go name.
var SchemeGroupVersion = GroupVersion

var schemeBuilder = runtime.NewSchemeBuilder(func(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion,
		&CnsNodeVmAttachment{}, &CnsNodeVmAttachmentList{},
		&CnsNodeVMBatchAttachment{}, &CnsNodeVMBatchAttachmentList{},
		&CnsRegisterVolume{}, &CnsRegisterVolumeList{},
	)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
})

// AddToScheme registers the types with a scheme.
var AddToScheme = schemeBuilder.AddToScheme

// DeepCopy returns a deep copy.
func (in *CnsNodeVmAttachment) DeepCopy() *CnsNodeVmAttachment { return jsoncopy.Of(in) }

// DeepCopyInto copies into out.
func (in *CnsNodeVmAttachment) DeepCopyInto(out *CnsNodeVmAttachment) { *out = *in.DeepCopy() }

// DeepCopyObject implements runtime.Object.
func (in *CnsNodeVmAttachment) DeepCopyObject() runtime.Object { return in.DeepCopy() }

// DeepCopy returns a deep copy.
func (in *CnsNodeVmAttachmentList) DeepCopy() *CnsNodeVmAttachmentList { return jsoncopy.Of(in) }

// DeepCopyInto copies into out.
func (in *CnsNodeVmAttachmentList) DeepCopyInto(out *CnsNodeVmAttachmentList) { *out = *in.DeepCopy() }

// DeepCopyObject implements runtime.Object.
func (in *CnsNodeVmAttachmentList) DeepCopyObject() runtime.Object { return in.DeepCopy() }

// DeepCopy returns a deep copy.
func (in *CnsNodeVMBatchAttachment) DeepCopy() *CnsNodeVMBatchAttachment { return jsoncopy.Of(in) }

// DeepCopyInto copies into out.
func (in *CnsNodeVMBatchAttachment) DeepCopyInto(out *CnsNodeVMBatchAttachment) {
	*out = *in.DeepCopy()
}

// DeepCopyObject implements runtime.Object.
func (in *CnsNodeVMBatchAttachment) DeepCopyObject() runtime.Object { return in.DeepCopy() }

// DeepCopy returns a deep copy.
func (in *CnsNodeVMBatchAttachmentList) DeepCopy() *CnsNodeVMBatchAttachmentList {
	return jsoncopy.Of(in)
}

// DeepCopyInto copies into out.
func (in *CnsNodeVMBatchAttachmentList) DeepCopyInto(out *CnsNodeVMBatchAttachmentList) {
	*out = *in.DeepCopy()
}

// DeepCopyObject implements runtime.Object.
func (in *CnsNodeVMBatchAttachmentList) DeepCopyObject() runtime.Object { return in.DeepCopy() }

// DeepCopy returns a deep copy.
func (in *CnsRegisterVolume) DeepCopy() *CnsRegisterVolume { return jsoncopy.Of(in) }

// DeepCopyInto copies into out.
func (in *CnsRegisterVolume) DeepCopyInto(out *CnsRegisterVolume) { *out = *in.DeepCopy() }

// DeepCopyObject implements runtime.Object.
func (in *CnsRegisterVolume) DeepCopyObject() runtime.Object { return in.DeepCopy() }

// DeepCopy returns a deep copy.
func (in *CnsRegisterVolumeList) DeepCopy() *CnsRegisterVolumeList { return jsoncopy.Of(in) }

// DeepCopyInto copies into out.
func (in *CnsRegisterVolumeList) DeepCopyInto(out *CnsRegisterVolumeList) { *out = *in.DeepCopy() }

// DeepCopyObject implements runtime.Object.
func (in *CnsRegisterVolumeList) DeepCopyObject() runtime.Object { return in.DeepCopy() }
