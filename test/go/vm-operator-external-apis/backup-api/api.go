// Package api holds the keys and records VM Operator writes into a VM's vSphere ExtraConfig so
// a backup of the VM carries its Kubernetes resources. Written from how VM Operator v1.10.0
// uses them (pkg/providers/vsphere/virtualmachine/backup.go); not a CRD.
package api

import corev1 "k8s.io/api/core/v1"

// ExtraConfig keys of the backup records.
const (
	VMResourceYAMLExtraConfigKey          = "vmservice.virtualmachine.resource.yaml"
	AdditionalResourcesYAMLExtraConfigKey = "vmservice.virtualmachine.additional.resources.yaml"
	PVCDiskDataExtraConfigKey             = "vmservice.virtualmachine.pvc.disk.data"
	ClassicDiskDataExtraConfigKey         = "vmservice.virtualmachine.classic.disk.data"
	BackupVersionExtraConfigKey           = "vmservice.virtualmachine.backup.version"
	EnableAutoRegistrationExtraConfigKey  = "vmservice.virtualmachine.enable.auto.registration"
	DisableAutoRegistrationExtraConfigKey = "vmservice.virtualmachine.disable.auto.registration"
)

// PVCDiskData records a disk backed by a PVC.
type PVCDiskData struct {
	FileName    string                       `json:"fileName,omitempty"`
	PVCName     string                       `json:"pvcName,omitempty"`
	AccessModes []PersistentVolumeAccessMode `json:"accessModes,omitempty"`
	UUID        string                       `json:"uuid,omitempty"`
}

// ClassicDiskData records a disk not backed by a PVC.
type ClassicDiskData struct {
	FileName string `json:"fileName,omitempty"`
	UUID     string `json:"uuid,omitempty"`
}

// PersistentVolumeAccessMode is a PVC access mode as recorded.
type PersistentVolumeAccessMode string

// ToPersistentVolumeAccessModes converts Kubernetes access modes to recorded ones.
func ToPersistentVolumeAccessModes(in []corev1.PersistentVolumeAccessMode) []PersistentVolumeAccessMode {
	out := make([]PersistentVolumeAccessMode, 0, len(in))
	for _, mode := range in {
		out = append(out, PersistentVolumeAccessMode(mode))
	}
	return out
}
