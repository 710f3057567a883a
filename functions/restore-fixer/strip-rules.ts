// What a restored object must not carry, as data: the single list behind the resource-modifier
// ConfigMap (config/base/velero-resource-modifiers/, checked against it by a test), the restore
// fixer's post-create clean-up and its report when a Restore ran without the modifier.
//
// Derived from VM Operator v1.10.0 (what the test control plane installs) and main of 2026-08,
// the union of both (webhooks/virtualmachine/validation `validateAnnotation`, `validateLabel`,
// `validateSnapshot`, `validateNextRestartTimeOnCreate`, `validateClassInstance`,
// `validateInstanceStorageVolumes`, `validateChecksAnnotation`, `validatePowerStateOnCreate`;
// webhooks/virtualmachine/mutation `SetDefaultInstanceUUID`; pkg/vmconfig/anno2extraconfig;
// webhooks/virtualmachinegroup/{mutation `ProcessPowerState`, validation `validatePowerState`}).
// The two versions agree on every entry below.

export type StripKind = 'VirtualMachine' | 'VirtualMachineGroup' | 'PersistentVolumeClaim';

/**
 * - `rejected`: VM Operator's admission webhook refuses to create the object as a non-privileged
 *   user (Velero's service account) while it carries this.
 * - `stale`: identity or bookkeeping of the old infrastructure; accepted, but wrong after restore.
 */
export type StripEffect = 'rejected' | 'stale';

/**
 * Who removes it: the resource `modifier` before create; the `fixer` after create (keys that
 * vary per object); or nobody (`report`): a non-privileged writer can neither strip it before
 * create (its key is not fixed) nor remove it after, so the fixer can only say so.
 */
export type StripBy = 'modifier' | 'fixer' | 'report';

export interface StripRule {
  kind: StripKind;
  /** `annotation`/`label`: exact key; `annotationPrefix`: key prefix; `spec`: a spec field, dotted when nested; `finalizer`: exact name; `volume`: a spec.volumes[] shape. */
  where: 'annotation' | 'annotationPrefix' | 'label' | 'spec' | 'finalizer' | 'volume';
  key: string;
  effect: StripEffect;
  by: StripBy;
  why: string;
}

const VM = 'VirtualMachine';
const VMG = 'VirtualMachineGroup';
const PVC = 'PersistentVolumeClaim';
const PRIVILEGED_ONLY = 'only privileged users may set it';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

export const STRIP_RULES: readonly StripRule[] = [
  // VirtualMachine: rejected at create for non-privileged users.
  {
    kind: VM,
    where: 'annotation',
    key: 'vmoperator.vmware.com/cloud-init-instance-id',
    effect: 'rejected',
    by: 'modifier',
    why: PRIVILEGED_ONLY,
  },
  {
    kind: VM,
    where: 'annotation',
    key: 'virtualmachine.vmoperator.vmware.com/first-boot-done',
    effect: 'rejected',
    by: 'modifier',
    why: PRIVILEGED_ONLY,
  },
  {
    kind: VM,
    where: 'annotation',
    key: 'vmoperator.vmware.com/restored-vm',
    effect: 'rejected',
    by: 'modifier',
    why: PRIVILEGED_ONLY,
  },
  {
    kind: VM,
    where: 'annotation',
    key: 'vmoperator.vmware.com/failed-over-vm',
    effect: 'rejected',
    by: 'modifier',
    why: PRIVILEGED_ONLY,
  },
  {
    kind: VM,
    where: 'annotation',
    key: 'vmoperator.vmware.com/imported-vm',
    effect: 'rejected',
    by: 'modifier',
    why: PRIVILEGED_ONLY,
  },
  {
    kind: VM,
    where: 'annotation',
    key: 'mgmt.proxy.vmware.com/watermark',
    effect: 'rejected',
    by: 'modifier',
    why: PRIVILEGED_ONLY,
  },
  {
    kind: VM,
    where: 'annotation',
    key: 'mgmt.proxy.vmware.com/allowlist',
    effect: 'rejected',
    by: 'modifier',
    why: PRIVILEGED_ONLY,
  },
  {
    kind: VM,
    where: 'label',
    key: 'vmoperator.vmware.com/paused',
    effect: 'rejected',
    by: 'modifier',
    why: PRIVILEGED_ONLY,
  },
  {
    kind: VM,
    where: 'spec',
    key: 'instanceUUID',
    effect: 'rejected',
    by: 'modifier',
    why: PRIVILEGED_ONLY,
  },
  {
    kind: VM,
    where: 'spec',
    key: 'currentSnapshotName',
    effect: 'rejected',
    by: 'modifier',
    why: 'creating a VM with a current snapshot is not allowed',
  },
  {
    kind: VM,
    where: 'spec',
    key: 'nextRestartTime',
    effect: 'rejected',
    by: 'modifier',
    why: 'must be empty at create',
  },
  {
    kind: VM,
    where: 'spec',
    key: 'class',
    effect: 'rejected',
    by: 'modifier',
    why: "names the old cluster's class instance (the webhook resolves it anew from spec.className)",
  },
  {
    kind: VM,
    where: 'spec',
    key: 'bootOptions.bootOrder',
    effect: 'rejected',
    by: 'modifier',
    why: 'may not be set when creating a VM (validateBootOrder)',
  },
  {
    kind: VM,
    where: 'label',
    key: ZONE_LABEL,
    effect: 'rejected',
    by: 'modifier',
    why: "the zone must exist on the target (validateAvailabilityZone); VM Operator's own backup drops it (trimBackupFields). To keep a pinned zone, restore with the keep-zone variant of the modifier (config/base/velero-resource-modifiers/variants/)",
  },
  {
    kind: VM,
    where: 'annotationPrefix',
    key: 'delete.check.vmoperator.vmware.com/',
    effect: 'rejected',
    by: 'report',
    why: 'only privileged users may add delete checks',
  },
  {
    kind: VM,
    where: 'annotationPrefix',
    key: 'poweron.check.vmoperator.vmware.com/',
    effect: 'stale',
    by: 'report',
    why: 'blocks power-on and only privileged users may remove it',
  },
  {
    kind: VM,
    where: 'volume',
    key: 'instanceVolumeClaim',
    effect: 'rejected',
    by: 'report',
    why: 'only privileged users may add instance storage volumes',
  },
  // VirtualMachine: stale identity.
  {
    kind: VM,
    where: 'spec',
    key: 'biosUUID',
    effect: 'stale',
    by: 'modifier',
    why: "the old VM's BIOS UUID",
  },
  {
    kind: VM,
    where: 'annotation',
    key: 'vmoperator.vmware.com/manager-id',
    effect: 'stale',
    by: 'modifier',
    why: "the old vCenter's identity",
  },
  {
    kind: VM,
    where: 'annotation',
    key: 'vmoperator.vmware.com/backup-version',
    effect: 'stale',
    by: 'modifier',
    why: "the old VM's backup bookkeeping",
  },
  {
    kind: VM,
    where: 'annotation',
    key: 'vmoperator.vmware.com/created-at-build-version',
    effect: 'stale',
    by: 'modifier',
    why: 'set anew by the webhook at create',
  },
  {
    kind: VM,
    where: 'annotation',
    key: 'vmoperator.vmware.com/created-at-schema-version',
    effect: 'stale',
    by: 'modifier',
    why: 'set anew by the webhook at create',
  },
  {
    kind: VM,
    where: 'annotation',
    key: 'vmoperator.vmware.com/upgraded-to-build-version',
    effect: 'stale',
    by: 'modifier',
    why: 'would skip the schema upgrade of the new VM',
  },
  {
    kind: VM,
    where: 'annotation',
    key: 'vmoperator.vmware.com/upgraded-to-schema-version',
    effect: 'stale',
    by: 'modifier',
    why: 'would skip the schema upgrade of the new VM',
  },
  {
    kind: VM,
    where: 'annotation',
    key: 'vmoperator.vmware.com/upgraded-to-feature-version',
    effect: 'stale',
    by: 'modifier',
    why: 'would skip the schema upgrade of the new VM',
  },
  {
    kind: VM,
    where: 'annotation',
    key: 'vmoperator.vmware.com.protected/apply-power-state-time',
    effect: 'stale',
    by: 'modifier',
    why: 'a power-on time scheduled by the old group',
  },
  // VirtualMachineGroup.
  {
    kind: VMG,
    where: 'spec',
    key: 'nextForcePowerStateSyncTime',
    effect: 'rejected',
    by: 'modifier',
    why: 'may only be set to "now" (an old timestamp is refused)',
  },
  {
    kind: VMG,
    where: 'annotation',
    key: 'vmoperator.vmware.com.protected/last-updated-power-state-time',
    effect: 'rejected',
    by: 'modifier',
    why: 'only the webhook may set it when spec.powerState does not change',
  },
  {
    kind: VMG,
    where: 'annotation',
    key: 'vmoperator.vmware.com.protected/apply-power-state-time',
    effect: 'stale',
    by: 'modifier',
    why: 'a power-on time scheduled by the old parent group',
  },
  // PersistentVolumeClaim.
  {
    kind: PVC,
    where: 'annotation',
    key: 'volumehealth.storage.kubernetes.io/health',
    effect: 'stale',
    by: 'modifier',
    why: "the old volume's health",
  },
  {
    kind: PVC,
    where: 'annotation',
    key: 'volumehealth.storage.kubernetes.io/health-timestamp',
    effect: 'stale',
    by: 'modifier',
    why: "the old volume's health",
  },
  {
    kind: PVC,
    where: 'annotationPrefix',
    key: 'cns.vmware.com/usedby-vm-',
    effect: 'stale',
    by: 'fixer',
    why: 'names the old VM by UUID (the key differs per VM, so no static rule can name it)',
  },
  // A merge patch can only replace the whole list and a JSON patch can only address an index,
  // whose "test" errors (not skips) when the list is shorter (evanphx/json-patch ErrInvalidIndex),
  // so this one finalizer is removed after create.
  {
    kind: PVC,
    where: 'finalizer',
    key: 'cns.vmware.com/pvc-protection',
    effect: 'stale',
    by: 'fixer',
    why: "the old CNS volume's protection",
  },
];

/**
 * What each variant of the modifier (config/base/velero-resource-modifiers/variants/) keeps on
 * purpose, so the fixer does not report it. `image-by-name` keeps everything the default strips
 * (it strips one more field, spec.image).
 */
const KEPT: Readonly<Record<string, (r: StripRule) => boolean>> = {
  'keep-zone': (r) => r.kind === 'VirtualMachine' && r.where === 'label' && r.key === ZONE_LABEL,
};

export function keptByVariant(rule: StripRule, variant: string | undefined): boolean {
  return variant !== undefined && Object.hasOwn(KEPT, variant) && KEPT[variant]!(rule);
}

export function rulesFor(kind: string): StripRule[] {
  return STRIP_RULES.filter((r) => r.kind === kind);
}
