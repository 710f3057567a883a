// Written from cns.vmware.com_storagepolicy{quotas,usages}.yaml in the vm-operator v1.10.0 module zip (config/crd/external-crds/).

package v1alpha2

import (
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// StoragePolicyQuota limits storage of one policy in a namespace.
type StoragePolicyQuota struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              StoragePolicyQuotaSpec   `json:"spec,omitempty"`
	Status            StoragePolicyQuotaStatus `json:"status,omitempty"`
}

// StoragePolicyQuotaSpec is the policy and its limit.
type StoragePolicyQuotaSpec struct {
	Limit           *resource.Quantity `json:"limit,omitempty"`
	StoragePolicyId string             `json:"storagePolicyId"` //nolint:revive // the name VM Operator uses
}

// StoragePolicyQuotaStatus is the usage per extension and in total.
type StoragePolicyQuotaStatus struct {
	SCLevelQuotaStatuses           SCLevelQuotaStatusList         `json:"total,omitempty"`
	ResourceTypeLevelQuotaStatuses []ResourceTypeLevelQuotaStatus `json:"extensions,omitempty"`
}

// SCLevelQuotaStatusList is usage per StorageClass.
type SCLevelQuotaStatusList []SCLevelQuotaStatus

// SCLevelQuotaStatus is one StorageClass's usage.
type SCLevelQuotaStatus struct {
	StorageClassName string            `json:"storageClassName,omitempty"`
	SCQuotaUsage     QuotaUsageDetails `json:"scQuotaUsage,omitempty"`
}

// ResourceTypeLevelQuotaStatus is one extension's usage.
type ResourceTypeLevelQuotaStatus struct {
	ResourceExtensionName            string                 `json:"extensionName,omitempty"`
	ResourceTypeSCLevelQuotaStatuses SCLevelQuotaStatusList `json:"extensionQuotaUsage,omitempty"`
}

// QuotaUsageDetails is reserved and used storage.
type QuotaUsageDetails struct {
	Reserved *resource.Quantity `json:"reserved,omitempty"`
	Used     *resource.Quantity `json:"used,omitempty"`
}

// StorageQuota is the usage an extension reports.
type StorageQuota = QuotaUsageDetails

// StoragePolicyUsage is one extension's usage of a policy in a namespace.
type StoragePolicyUsage struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              StoragePolicyUsageSpec   `json:"spec,omitempty"`
	Status            StoragePolicyUsageStatus `json:"status,omitempty"`
}

// StoragePolicyUsageSpec identifies the policy, class and extension.
type StoragePolicyUsageSpec struct {
	CABundle                   []byte  `json:"caBundle,omitempty"`
	ResourceAPIgroup           *string `json:"resourceApiGroup,omitempty"`
	ResourceExtensionName      string  `json:"resourceExtensionName,omitempty"`
	ResourceExtensionNamespace string  `json:"resourceExtensionNamespace,omitempty"`
	ResourceKind               string  `json:"resourceKind,omitempty"`
	StorageClassName           string  `json:"storageClassName,omitempty"`
	StoragePolicyId            string  `json:"storagePolicyId,omitempty"`
}

// StoragePolicyUsageStatus is the usage.
type StoragePolicyUsageStatus struct {
	ResourceTypeLevelQuotaUsage *QuotaUsageDetails `json:"quotaUsage,omitempty"`
}

// StoragePolicyQuotaList is a list of StoragePolicyQuota.
type StoragePolicyQuotaList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []StoragePolicyQuota `json:"items"`
}

// StoragePolicyUsageList is a list of StoragePolicyUsage.
type StoragePolicyUsageList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []StoragePolicyUsage `json:"items"`
}
