// Written from encryption.vmware.com_encryptionclasses.yaml in the vm-operator v1.10.0 module zip (config/crd/external-crds/).

package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// EncryptionClass names a key provider and key for encrypting VMs.
type EncryptionClass struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              EncryptionClassSpec   `json:"spec,omitempty"`
	Status            EncryptionClassStatus `json:"status,omitempty"`
}

// EncryptionClassSpec is the key provider and key.
type EncryptionClassSpec struct {
	KeyProvider string `json:"keyProvider"`
	KeyID       string `json:"keyID,omitempty"`
}

// EncryptionClassStatus is empty in the CRD.
type EncryptionClassStatus struct{}

// EncryptionClassList is a list of EncryptionClass.
type EncryptionClassList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []EncryptionClass `json:"items"`
}
