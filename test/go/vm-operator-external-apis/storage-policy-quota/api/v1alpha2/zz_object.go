// Code below is written by hand for the types' runtime.Object plumbing (see README.md).

package v1alpha2

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"velero-vmgroup-functions.test/go/vm-operator-external-apis/jsoncopy"
)

// GroupVersion is the API group and version of these types.
var GroupVersion = schema.GroupVersion{Group: "cns.vmware.com", Version: "v1alpha2"}

// SchemeGroupVersion is GroupVersion under its client-go name.
var SchemeGroupVersion = GroupVersion

var schemeBuilder = runtime.NewSchemeBuilder(func(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion,
		&StoragePolicyQuota{}, &StoragePolicyQuotaList{},
		&StoragePolicyUsage{}, &StoragePolicyUsageList{},
	)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
})

// AddToScheme registers the types with a scheme.
var AddToScheme = schemeBuilder.AddToScheme

// DeepCopy returns a deep copy.
func (in *StoragePolicyQuota) DeepCopy() *StoragePolicyQuota { return jsoncopy.Of(in) }

// DeepCopyInto copies into out.
func (in *StoragePolicyQuota) DeepCopyInto(out *StoragePolicyQuota) { *out = *in.DeepCopy() }

// DeepCopyObject implements runtime.Object.
func (in *StoragePolicyQuota) DeepCopyObject() runtime.Object { return in.DeepCopy() }

// DeepCopy returns a deep copy.
func (in *StoragePolicyQuotaList) DeepCopy() *StoragePolicyQuotaList { return jsoncopy.Of(in) }

// DeepCopyInto copies into out.
func (in *StoragePolicyQuotaList) DeepCopyInto(out *StoragePolicyQuotaList) { *out = *in.DeepCopy() }

// DeepCopyObject implements runtime.Object.
func (in *StoragePolicyQuotaList) DeepCopyObject() runtime.Object { return in.DeepCopy() }

// DeepCopy returns a deep copy.
func (in *StoragePolicyUsage) DeepCopy() *StoragePolicyUsage { return jsoncopy.Of(in) }

// DeepCopyInto copies into out.
func (in *StoragePolicyUsage) DeepCopyInto(out *StoragePolicyUsage) { *out = *in.DeepCopy() }

// DeepCopyObject implements runtime.Object.
func (in *StoragePolicyUsage) DeepCopyObject() runtime.Object { return in.DeepCopy() }

// DeepCopy returns a deep copy.
func (in *StoragePolicyUsageList) DeepCopy() *StoragePolicyUsageList { return jsoncopy.Of(in) }

// DeepCopyInto copies into out.
func (in *StoragePolicyUsageList) DeepCopyInto(out *StoragePolicyUsageList) { *out = *in.DeepCopy() }

// DeepCopyObject implements runtime.Object.
func (in *StoragePolicyUsageList) DeepCopyObject() runtime.Object { return in.DeepCopy() }
