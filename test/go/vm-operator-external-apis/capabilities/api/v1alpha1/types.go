// Written from iaas.vmware.com_capabilities.yaml in the vm-operator v1.10.0 module zip (config/crd/external-crds/).

package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// CapabilityName is the name of a capability.
type CapabilityName string

// CapabilityType says where a capability comes from.
type CapabilityType string

// Capabilities is the cluster-wide capability set.
type Capabilities struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              CapabilitiesSpec   `json:"spec,omitempty"`
	Status            CapabilitiesStatus `json:"status,omitempty"`
}

// CapabilitiesSpec lists declared capabilities.
type CapabilitiesSpec struct {
	Infra      []CapabilitySpec        `json:"infra,omitempty"`
	Supervisor []CapabilitySpec        `json:"supervisor,omitempty"`
	Services   []ServiceCapabilitySpec `json:"services,omitempty"`
}

// CapabilitySpec declares one capability.
type CapabilitySpec struct {
	Name              CapabilityName `json:"name"`
	Type              CapabilityType `json:"type"`
	Description       string         `json:"description,omitempty"`
	Enabled           bool           `json:"enabled,omitempty"`
	UserFacing        bool           `json:"userFacing,omitempty"`
	ActivationRule    string         `json:"activationRule,omitempty"`
	ActivatedWhenRule string         `json:"activatedWhenRule,omitempty"`
}

// ServiceCapabilitySpec declares a service's capabilities.
type ServiceCapabilitySpec struct {
	ServiceID    string           `json:"serviceID"`
	Capabilities []CapabilitySpec `json:"capabilities,omitempty"`
}

// CapabilitiesStatus holds the activated capabilities.
type CapabilitiesStatus struct {
	Supervisor map[CapabilityName]CapabilityStatus            `json:"supervisor,omitempty"`
	Services   map[string]map[CapabilityName]CapabilityStatus `json:"services,omitempty"`
}

// CapabilityStatus says whether a capability is activated.
type CapabilityStatus struct {
	Activated bool `json:"activated"`
}

// CapabilitiesList is a list of Capabilities.
type CapabilitiesList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Capabilities `json:"items"`
}
