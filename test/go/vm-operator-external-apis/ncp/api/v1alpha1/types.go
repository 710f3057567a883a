// Written from the fields VM Operator v1.10.0 reads and writes (no CRD for it ships in the
// module zip): NCP's VirtualNetworkInterface, vmware.com/v1alpha1.

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// VirtualNetworkInterface is an NCP network interface of a VM.
type VirtualNetworkInterface struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              VirtualNetworkInterfaceSpec   `json:"spec,omitempty"`
	Status            VirtualNetworkInterfaceStatus `json:"status,omitempty"`
}

// VirtualNetworkInterfaceSpec names the virtual network.
type VirtualNetworkInterfaceSpec struct {
	VirtualNetwork string `json:"virtualNetwork,omitempty"`
}

// VirtualNetworkInterfaceStatus is what NCP realised.
type VirtualNetworkInterfaceStatus struct {
	Conditions     []VirtualNetworkCondition              `json:"conditions,omitempty"`
	InterfaceID    string                                 `json:"interfaceID,omitempty"`
	MacAddress     string                                 `json:"macAddress,omitempty"`
	ProviderStatus *VirtualNetworkInterfaceProviderStatus `json:"providerStatus,omitempty"`
	IPAddresses    []VirtualNetworkInterfaceIP            `json:"ipAddresses,omitempty"`
}

// VirtualNetworkInterfaceProviderStatus is NSX's view of the interface.
type VirtualNetworkInterfaceProviderStatus struct {
	NsxLogicalSwitchID string `json:"nsxLogicalSwitchID,omitempty"`
}

// VirtualNetworkInterfaceIP is one address of the interface.
type VirtualNetworkInterfaceIP struct {
	IP         string `json:"ip,omitempty"`
	SubnetMask string `json:"subnetMask,omitempty"`
	Gateway    string `json:"gateway,omitempty"`
}

// VirtualNetworkCondition is a condition NCP reports (string-typed, as VM Operator compares).
type VirtualNetworkCondition struct {
	Type    string `json:"type"`
	Status  string `json:"status"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

// VirtualNetworkInterfaceList is a list of VirtualNetworkInterface.
type VirtualNetworkInterfaceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []VirtualNetworkInterface `json:"items"`
}
