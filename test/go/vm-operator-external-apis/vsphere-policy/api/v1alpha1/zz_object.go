// Code below is written by hand for the types' runtime.Object plumbing (see README.md).

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"velero-vmgroup-functions.test/go/vm-operator-external-apis/jsoncopy"
)

// GroupVersion is the API group and version of these types.
var GroupVersion = schema.GroupVersion{Group: "vsphere.policy.vmware.com", Version: "v1alpha1"}

// SchemeGroupVersion is GroupVersion under its client-go name.
var SchemeGroupVersion = GroupVersion

var schemeBuilder = runtime.NewSchemeBuilder(func(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion,
		&ComputePolicy{}, &ComputePolicyList{},
		&TagPolicy{}, &TagPolicyList{},
		&PolicyEvaluation{}, &PolicyEvaluationList{},
	)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
})

// AddToScheme registers the types with a scheme.
var AddToScheme = schemeBuilder.AddToScheme

// DeepCopy returns a deep copy.
func (in *ComputePolicy) DeepCopy() *ComputePolicy { return jsoncopy.Of(in) }

// DeepCopyInto copies into out.
func (in *ComputePolicy) DeepCopyInto(out *ComputePolicy) { *out = *in.DeepCopy() }

// DeepCopyObject implements runtime.Object.
func (in *ComputePolicy) DeepCopyObject() runtime.Object { return in.DeepCopy() }

// DeepCopy returns a deep copy.
func (in *ComputePolicyList) DeepCopy() *ComputePolicyList { return jsoncopy.Of(in) }

// DeepCopyInto copies into out.
func (in *ComputePolicyList) DeepCopyInto(out *ComputePolicyList) { *out = *in.DeepCopy() }

// DeepCopyObject implements runtime.Object.
func (in *ComputePolicyList) DeepCopyObject() runtime.Object { return in.DeepCopy() }

// DeepCopy returns a deep copy.
func (in *TagPolicy) DeepCopy() *TagPolicy { return jsoncopy.Of(in) }

// DeepCopyInto copies into out.
func (in *TagPolicy) DeepCopyInto(out *TagPolicy) { *out = *in.DeepCopy() }

// DeepCopyObject implements runtime.Object.
func (in *TagPolicy) DeepCopyObject() runtime.Object { return in.DeepCopy() }

// DeepCopy returns a deep copy.
func (in *TagPolicyList) DeepCopy() *TagPolicyList { return jsoncopy.Of(in) }

// DeepCopyInto copies into out.
func (in *TagPolicyList) DeepCopyInto(out *TagPolicyList) { *out = *in.DeepCopy() }

// DeepCopyObject implements runtime.Object.
func (in *TagPolicyList) DeepCopyObject() runtime.Object { return in.DeepCopy() }

// DeepCopy returns a deep copy.
func (in *PolicyEvaluation) DeepCopy() *PolicyEvaluation { return jsoncopy.Of(in) }

// DeepCopyInto copies into out.
func (in *PolicyEvaluation) DeepCopyInto(out *PolicyEvaluation) { *out = *in.DeepCopy() }

// DeepCopyObject implements runtime.Object.
func (in *PolicyEvaluation) DeepCopyObject() runtime.Object { return in.DeepCopy() }

// DeepCopy returns a deep copy.
func (in *PolicyEvaluationList) DeepCopy() *PolicyEvaluationList { return jsoncopy.Of(in) }

// DeepCopyInto copies into out.
func (in *PolicyEvaluationList) DeepCopyInto(out *PolicyEvaluationList) { *out = *in.DeepCopy() }

// DeepCopyObject implements runtime.Object.
func (in *PolicyEvaluationList) DeepCopyObject() runtime.Object { return in.DeepCopy() }
