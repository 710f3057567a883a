// Written from topology.tanzu.vmware.com_{zones,availabilityzones}.yaml in the vm-operator v1.10.0 module zip (config/crd/external-crds/).

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Zone is a namespace's slice of an availability zone.
type Zone struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              ZoneSpec   `json:"spec,omitempty"`
	Status            ZoneStatus `json:"status,omitempty"`
}

// ZoneSpec is the zone's vSphere placement for the namespace.
type ZoneSpec struct {
	AvailabilityZoneReference AvailabilityZoneReference `json:"availabilityZoneReference,omitempty"`
	ManagedVMs                VSphereEntityInfo         `json:"managedVMs,omitempty"`
	Namespace                 VSphereEntityInfo         `json:"namespace,omitempty"`
	VSpherePods               VSphereEntityInfo         `json:"vSpherePods,omitempty"`
}

// AvailabilityZoneReference names the cluster-wide AvailabilityZone.
type AvailabilityZoneReference struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Name       string `json:"name"`
}

// VSphereEntityInfo is a folder and resource pools.
type VSphereEntityInfo struct {
	FolderMoID string   `json:"folderMoID,omitempty"`
	PoolMoIDs  []string `json:"poolMoIDs,omitempty"`
}

// ZoneStatus holds conditions.
type ZoneStatus struct {
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// ZoneList is a list of Zone.
type ZoneList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Zone `json:"items"`
}

// AvailabilityZone is a cluster-wide zone: compute clusters and per-namespace placement.
type AvailabilityZone struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              AvailabilityZoneSpec   `json:"spec,omitempty"`
	Status            AvailabilityZoneStatus `json:"status,omitempty"`
}

// AvailabilityZoneSpec lists compute clusters and namespaces.
type AvailabilityZoneSpec struct {
	ClusterComputeResourceMoId  string                   `json:"clusterComputeResourceMoId,omitempty"` //nolint:revive // CRD field name
	ClusterComputeResourceMoIDs []string                 `json:"clusterComputeResourceMoIDs,omitempty"`
	Namespaces                  map[string]NamespaceInfo `json:"namespaces,omitempty"`
}

// NamespaceInfo is a namespace's folder and resource pools in the zone.
type NamespaceInfo struct {
	PoolMoId   string   `json:"poolMoId,omitempty"` //nolint:revive // CRD field name
	PoolMoIDs  []string `json:"poolMoIDs,omitempty"`
	FolderMoId string   `json:"folderMoId,omitempty"` //nolint:revive // CRD field name
}

// AvailabilityZoneStatus is empty in the CRD.
type AvailabilityZoneStatus struct{}

// AvailabilityZoneList is a list of AvailabilityZone.
type AvailabilityZoneList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AvailabilityZone `json:"items"`
}

// GetConditions returns the status conditions.
func (in Zone) GetConditions() []metav1.Condition { return in.Status.Conditions }

// SetConditions replaces the status conditions.
func (in *Zone) SetConditions(c []metav1.Condition) { in.Status.Conditions = c }
