// Written from infra.vmware.com_storagepolicies.yaml in the vm-operator v1.10.0 module zip (config/crd/external-crds/).

package v1alpha1

import (
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DiskProvisioningMode is how a policy provisions disks.
type DiskProvisioningMode string

// DiskFormat is a disk's sector format.
type DiskFormat string

// DatastoreType is the kind of datastore.
type DatastoreType string

// Provisioning modes, disk formats and datastore types the CRD enumerates.
const (
	DiskProvisioningModeThin           DiskProvisioningMode = "Thin"
	DiskProvisioningModeThick          DiskProvisioningMode = "Thick"
	DiskProvisioningModeThickEagerZero DiskProvisioningMode = "ThickEagerZero"
	DiskFormat4k                       DiskFormat           = "4k"
	DiskFormat512n                     DiskFormat           = "512n"
	DatastoreTypeVMFS                  DatastoreType        = "VMFS"
	DatastoreTypeVSAN                  DatastoreType        = "VSAN"
)

// StoragePolicy mirrors a vSphere storage policy.
type StoragePolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              StoragePolicySpec   `json:"spec,omitempty"`
	Status            StoragePolicyStatus `json:"status,omitempty"`
}

// StoragePolicySpec names the vSphere policy.
type StoragePolicySpec struct {
	ID string `json:"id"`
}

// StoragePolicyStatus is what the policy resolves to.
type StoragePolicyStatus struct {
	Datastores           []Datastore          `json:"datastores,omitempty"`
	DiskFormat           DiskFormat           `json:"diskFormat,omitempty"`
	DiskProvisioningMode DiskProvisioningMode `json:"diskProvisioningMode,omitempty"`
	Encrypted            bool                 `json:"encrypted,omitempty"`
	StorageClasses       []string             `json:"storageClasses,omitempty"`
}

// Datastore is one datastore compatible with the policy.
type Datastore struct {
	ID   ManagedObjectID `json:"id"`
	Type DatastoreType   `json:"type,omitempty"`
}

// ManagedObjectID identifies a vSphere managed object.
type ManagedObjectID struct {
	ObjectID string `json:"objectID"`
	ServerID string `json:"serverID,omitempty"`
}

// StoragePolicyList is a list of StoragePolicy.
type StoragePolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []StoragePolicy `json:"items"`
}

// Sort orders the datastores (by ID) and storage classes, so the status compares stably.
func (s *StoragePolicyStatus) Sort() {
	sort.Slice(s.Datastores, func(i, j int) bool {
		a, b := s.Datastores[i].ID, s.Datastores[j].ID
		return a.ServerID+"/"+a.ObjectID < b.ServerID+"/"+b.ObjectID
	})
	sort.Strings(s.StorageClasses)
}
