// Written from vsphere.policy.vmware.com_{computepolicies,tagpolicies,policyevaluations}.yaml in the vm-operator v1.10.0 module zip (config/crd/external-crds/).

package v1alpha1

import (
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PolicyEnforcementMode is whether a policy applies always or on request.
type PolicyEnforcementMode string

// ValueSelectorOp compares a string.
type ValueSelectorOp string

// BooleanOp joins nested matches.
type BooleanOp string

// GuestFamilyType is a guest OS family.
type GuestFamilyType string

// The enumerations of the CRDs.
const (
	PolicyEnforcementModeMandatory PolicyEnforcementMode = "Mandatory"
	PolicyEnforcementModeOptional  PolicyEnforcementMode = "Optional"

	ValueSelectorOpEqual        ValueSelectorOp = "Equal"
	ValueSelectorOpNotEqual     ValueSelectorOp = "NotEqual"
	ValueSelectorOpContains     ValueSelectorOp = "Contains"
	ValueSelectorOpNotContains  ValueSelectorOp = "NotContains"
	ValueSelectorOpHasPrefix    ValueSelectorOp = "HasPrefix"
	ValueSelectorOpNotHasPrefix ValueSelectorOp = "NotHasPrefix"
	ValueSelectorOpHasSuffix    ValueSelectorOp = "HasSuffix"
	ValueSelectorOpNotHasSuffix ValueSelectorOp = "NotHasSuffix"
	ValueSelectorOpMatch        ValueSelectorOp = "Match"
	ValueSelectorOpNotMatch     ValueSelectorOp = "NotMatch"

	BooleanOpAnd BooleanOp = "And"
	BooleanOpOr  BooleanOp = "Or"

	GuestFamilyTypeDarwin  GuestFamilyType = "Darwin"
	GuestFamilyTypeLinux   GuestFamilyType = "Linux"
	GuestFamilyTypeNetware GuestFamilyType = "Netware"
	GuestFamilyTypeOther   GuestFamilyType = "Other"
	GuestFamilyTypeSolaris GuestFamilyType = "Solaris"
	GuestFamilyTypeWindows GuestFamilyType = "Windows"

	// ReadyConditionType is the condition a PolicyEvaluation sets when evaluated.
	ReadyConditionType = "Ready"
)

// FromVimGuestFamily maps vSphere's guest family ("linuxGuest", "windowsGuest", ...) to the
// CRD's enumeration; unknown families are Other.
func FromVimGuestFamily(family string) GuestFamilyType {
	for _, t := range []GuestFamilyType{
		GuestFamilyTypeDarwin, GuestFamilyTypeLinux, GuestFamilyTypeNetware,
		GuestFamilyTypeSolaris, GuestFamilyTypeWindows,
	} {
		if family == strings.ToLower(string(t))+"Guest" {
			return t
		}
	}
	return GuestFamilyTypeOther
}

// StringMatcherSpec compares a string with Op.
type StringMatcherSpec struct {
	Op    ValueSelectorOp `json:"op,omitempty"`
	Value string          `json:"value"`
}

// GuestFamilyMatcherSpec compares a guest family with Op.
type GuestFamilyMatcherSpec struct {
	Op    ValueSelectorOp `json:"op,omitempty"`
	Value GuestFamilyType `json:"value"`
}

// MatchSpec selects the workloads and images a ComputePolicy applies to.
type MatchSpec struct {
	Op       BooleanOp          `json:"op,omitempty"`
	Match    []MatchSpec        `json:"match,omitempty"`
	Workload *MatchWorkloadSpec `json:"workload,omitempty"`
	Image    *MatchImageSpec    `json:"image,omitempty"`
}

// MatchWorkloadSpec selects workloads.
type MatchWorkloadSpec struct {
	Kind   string                            `json:"kind,omitempty"`
	Guest  *MatchGuestSpec                   `json:"guest,omitempty"`
	Labels []metav1.LabelSelectorRequirement `json:"labels,omitempty"`
}

// MatchGuestSpec selects guests.
type MatchGuestSpec struct {
	GuestID     *StringMatcherSpec      `json:"guestID,omitempty"`
	GuestFamily *GuestFamilyMatcherSpec `json:"guestFamily,omitempty"`
}

// MatchImageSpec selects images.
type MatchImageSpec struct {
	Name   *StringMatcherSpec                `json:"name,omitempty"`
	Labels []metav1.LabelSelectorRequirement `json:"labels,omitempty"`
}

// ComputePolicy is a vSphere compute policy and what it matches.
type ComputePolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              ComputePolicySpec   `json:"spec,omitempty"`
	Status            ComputePolicyStatus `json:"status,omitempty"`
}

// ComputePolicySpec is the policy.
type ComputePolicySpec struct {
	Description     string                `json:"description,omitempty"`
	EnforcementMode PolicyEnforcementMode `json:"enforcementMode,omitempty"`
	Match           *MatchSpec            `json:"match,omitempty"`
	PolicyID        string                `json:"policyID,omitempty"`
	Tags            []string              `json:"tags,omitempty"`
}

// ComputePolicyStatus holds conditions.
type ComputePolicyStatus struct {
	Conditions         []metav1.Condition `json:"conditions,omitempty"`
	ObservedGeneration int64              `json:"observedGeneration,omitempty"`
}

// ComputePolicyList is a list of ComputePolicy.
type ComputePolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ComputePolicy `json:"items"`
}

// TagPolicy is a set of vSphere tags.
type TagPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              TagPolicySpec   `json:"spec,omitempty"`
	Status            TagPolicyStatus `json:"status,omitempty"`
}

// TagPolicySpec lists the tags.
type TagPolicySpec struct {
	Tags []string `json:"tags,omitempty"`
}

// TagPolicyStatus is empty in the CRD.
type TagPolicyStatus struct{}

// TagPolicyList is a list of TagPolicy.
type TagPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []TagPolicy `json:"items"`
}

// LocalObjectRef names an object in the same namespace.
type LocalObjectRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
}

// PolicyEvaluation asks which policies apply to a workload and image.
type PolicyEvaluation struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              PolicyEvaluationSpec   `json:"spec,omitempty"`
	Status            PolicyEvaluationStatus `json:"status,omitempty"`
}

// PolicyEvaluationSpec is the workload, image and explicit policies.
type PolicyEvaluationSpec struct {
	Image    *PolicyEvaluationImageSpec    `json:"image,omitempty"`
	Policies []LocalObjectRef              `json:"policies,omitempty"`
	Workload *PolicyEvaluationWorkloadSpec `json:"workload,omitempty"`
}

// PolicyEvaluationImageSpec is the image.
type PolicyEvaluationImageSpec struct {
	Name   string            `json:"name,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`
}

// PolicyEvaluationWorkloadSpec is the workload.
type PolicyEvaluationWorkloadSpec struct {
	Guest  *PolicyEvaluationGuestSpec `json:"guest,omitempty"`
	Labels map[string]string          `json:"labels,omitempty"`
}

// PolicyEvaluationGuestSpec is the guest.
type PolicyEvaluationGuestSpec struct {
	GuestID     string          `json:"guestID,omitempty"`
	GuestFamily GuestFamilyType `json:"guestFamily,omitempty"`
}

// PolicyEvaluationStatus is the applicable policies.
type PolicyEvaluationStatus struct {
	Conditions         []metav1.Condition       `json:"conditions,omitempty"`
	ObservedGeneration int64                    `json:"observedGeneration,omitempty"`
	Policies           []PolicyEvaluationResult `json:"policies,omitempty"`
}

// PolicyEvaluationResult is one applicable policy and its tags.
type PolicyEvaluationResult struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Name       string   `json:"name"`
	Generation int64    `json:"observedGeneration,omitempty"`
	Tags       []string `json:"tags,omitempty"`
}

// PolicyEvaluationList is a list of PolicyEvaluation.
type PolicyEvaluationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []PolicyEvaluation `json:"items"`
}

// GetConditions returns the status conditions.
func (in PolicyEvaluation) GetConditions() []metav1.Condition { return in.Status.Conditions }

// SetConditions replaces the status conditions.
func (in *PolicyEvaluation) SetConditions(c []metav1.Condition) { in.Status.Conditions = c }

// GetConditions returns the status conditions.
func (in ComputePolicy) GetConditions() []metav1.Condition { return in.Status.Conditions }

// SetConditions replaces the status conditions.
func (in *ComputePolicy) SetConditions(c []metav1.Condition) { in.Status.Conditions = c }
