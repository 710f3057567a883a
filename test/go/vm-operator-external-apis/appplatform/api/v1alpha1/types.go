// Written from appplatform.vmware.com_supervisorproperties.yaml in the vm-operator v1.10.0 module zip (config/crd/external-crds/).

package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// SupervisorProperties describes the Supervisor cluster.
type SupervisorProperties struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              SupervisorPropertiesSpec `json:"spec,omitempty"`
}

// SupervisorPropertiesSpec holds the Supervisor's properties.
type SupervisorPropertiesSpec struct {
	APIServerDNSNames          []string     `json:"apiServerDNSNames,omitempty"`
	Capabilities               []Capability `json:"capabilities,omitempty"`
	CloudVC                    bool         `json:"cloudVC,omitempty"`
	ControlPlaneCount          int          `json:"controlPlaneCount,omitempty"`
	CPVMSize                   string       `json:"cpVMSize,omitempty"`
	NamespacesCLIPluginVersion string       `json:"namespacesCLIPluginVersion,omitempty"`
	NetworkProvider            string       `json:"networkProvider,omitempty"`
	PodVMSupported             bool         `json:"podVMSupported,omitempty"`
	SSODomain                  string       `json:"ssoDomain,omitempty"`
	StretchedSupervisor        bool         `json:"stretchedSupervisor,omitempty"`
	TMCNamespace               string       `json:"tmcNamespace,omitempty"`
	VCPNID                     string       `json:"vcPNID,omitempty"`
	VCPort                     string       `json:"vcPort,omitempty"`
	VCPublicKeys               string       `json:"vcPublicKeys,omitempty"`
	VirtualIP                  string       `json:"virtualIP,omitempty"`
}

// Capability is one named Supervisor capability.
type Capability struct {
	Name  string `json:"name"`
	Value bool   `json:"value"`
}

// SupervisorPropertiesList is a list of SupervisorProperties.
type SupervisorPropertiesList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []SupervisorProperties `json:"items"`
}
