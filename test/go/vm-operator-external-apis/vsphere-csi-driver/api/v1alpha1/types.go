// Written from cns.vmware.com_{cnsnodevmattachments,cnsnodevmbatchattachments,cnsregistervolumes}.yaml in the vm-operator v1.10.0 module zip (config/crd/external-crds/).

package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AttributeFirstClassDiskUUID is the status metadata key holding the attached disk's UUID.
const AttributeFirstClassDiskUUID = "diskUUID"

// DiskMode is how a batch-attached volume's disk behaves on snapshot.
type DiskMode string

// SharingMode is whether a batch-attached volume is shared.
type SharingMode string

// Disk and sharing modes the CnsNodeVMBatchAttachment CRD enumerates.
const (
	IndependentPersistent    DiskMode    = "independent_persistent"
	Persistent               DiskMode    = "persistent"
	IndependentNonPersistent DiskMode    = "independent_nonpersistent"
	NonPersistent            DiskMode    = "nonpersistent"
	SharingMultiWriter       SharingMode = "sharingMultiWriter"
	SharingNone              SharingMode = "sharingNone"
)

// CnsNodeVmAttachment attaches one volume to a VM.
type CnsNodeVmAttachment struct { //nolint:revive // CRD kind
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              CnsNodeVmAttachmentSpec   `json:"spec,omitempty"`
	Status            CnsNodeVmAttachmentStatus `json:"status,omitempty"`
}

// CnsNodeVmAttachmentSpec is the VM and the volume.
type CnsNodeVmAttachmentSpec struct { //nolint:revive // CRD kind
	NodeUUID   string `json:"nodeuuid"`
	VolumeName string `json:"volumename"`
}

// CnsNodeVmAttachmentStatus is whether it is attached.
type CnsNodeVmAttachmentStatus struct { //nolint:revive // CRD kind
	Attached           bool              `json:"attached"`
	Error              string            `json:"error,omitempty"`
	AttachmentMetadata map[string]string `json:"metadata,omitempty"`
}

// CnsNodeVmAttachmentList is a list of CnsNodeVmAttachment.
type CnsNodeVmAttachmentList struct { //nolint:revive // CRD kind
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []CnsNodeVmAttachment `json:"items"`
}

// CnsNodeVMBatchAttachment attaches several volumes to a VM.
type CnsNodeVMBatchAttachment struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              CnsNodeVMBatchAttachmentSpec   `json:"spec,omitempty"`
	Status            CnsNodeVMBatchAttachmentStatus `json:"status,omitempty"`
}

// CnsNodeVMBatchAttachmentSpec is the VM and its volumes.
type CnsNodeVMBatchAttachmentSpec struct {
	InstanceUUID string       `json:"instanceUUID"`
	Volumes      []VolumeSpec `json:"volumes,omitempty"`
}

// VolumeSpec is one volume to attach.
type VolumeSpec struct {
	Name                  string                    `json:"name"`
	PersistentVolumeClaim PersistentVolumeClaimSpec `json:"persistentVolumeClaim"`
}

// PersistentVolumeClaimSpec is the claim and how to attach it.
type PersistentVolumeClaimSpec struct {
	ClaimName     string      `json:"claimName"`
	ControllerKey *int32      `json:"controllerKey,omitempty"`
	DiskMode      DiskMode    `json:"diskMode,omitempty"`
	SharingMode   SharingMode `json:"sharingMode,omitempty"`
	UnitNumber    *int32      `json:"unitNumber,omitempty"`
}

// CnsNodeVMBatchAttachmentStatus is per-volume attachment state.
type CnsNodeVMBatchAttachmentStatus struct {
	Error        string         `json:"error,omitempty"`
	VolumeStatus []VolumeStatus `json:"volumes,omitempty"`
}

// VolumeStatus is one volume's attachment state.
type VolumeStatus struct {
	Name                  string                      `json:"name"`
	PersistentVolumeClaim PersistentVolumeClaimStatus `json:"persistentVolumeClaim"`
}

// PersistentVolumeClaimStatus is whether the claim's disk is attached.
type PersistentVolumeClaimStatus struct {
	Attached    bool   `json:"attached,omitempty"`
	ClaimName   string `json:"claimName,omitempty"`
	CnsVolumeID string `json:"cnsVolumeId,omitempty"`
	DiskUUID    string `json:"diskUUID,omitempty"`
	Error       string `json:"error,omitempty"`
}

// CnsNodeVMBatchAttachmentList is a list of CnsNodeVMBatchAttachment.
type CnsNodeVMBatchAttachmentList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []CnsNodeVMBatchAttachment `json:"items"`
}

// CnsRegisterVolume registers an existing disk as a PVC.
type CnsRegisterVolume struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              CnsRegisterVolumeSpec   `json:"spec,omitempty"`
	Status            CnsRegisterVolumeStatus `json:"status,omitempty"`
}

// CnsRegisterVolumeSpec is the disk and the PVC to make.
type CnsRegisterVolumeSpec struct {
	AccessMode  corev1.PersistentVolumeAccessMode `json:"accessMode,omitempty"`
	BackingType string                            `json:"backingType,omitempty"`
	DiskURLPath string                            `json:"diskURLPath,omitempty"`
	PvcName     string                            `json:"pvcName"`
	VolumeID    string                            `json:"volumeID,omitempty"`
	VolumeMode  corev1.PersistentVolumeMode       `json:"volumeMode,omitempty"`
}

// CnsRegisterVolumeStatus is whether it is registered.
type CnsRegisterVolumeStatus struct {
	Error      string `json:"error,omitempty"`
	Registered bool   `json:"registered"`
}

// CnsRegisterVolumeList is a list of CnsRegisterVolume.
type CnsRegisterVolumeList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []CnsRegisterVolume `json:"items"`
}
