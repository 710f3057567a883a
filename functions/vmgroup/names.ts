// Every name the product writes or users type, in one place (see ../shared/DESIGN.md §3).
// Changing a value here changes the product's public contract.

import { createHash } from 'node:crypto';

export const PREFIX = 'vmgroup-backup.dev/';

/** `member.vmgroup-backup.dev/<group>: <Kind>` — one key per group, on everything in its closure. */
export const MEMBER_LABEL_PREFIX = 'member.vmgroup-backup.dev/';
/** Seed compatibility: member VMs carry their direct group's name. */
export const SEED_GROUP_LABEL = 'vmgroup.vmoperator.vmware.com/name';

/** On a group whose name is too long for a label: the label key actually used for it. */
export const ANNOTATION_MEMBER_LABEL_KEY = `${PREFIX}member-label-key`;
/** On live VMs and groups at backup time: the power state to restore (restore cannot read status). */
export const ANNOTATION_CAPTURED_POWER_STATE = `${PREFIX}captured-power-state`;
/** On live VMs at backup time: JSON of the network identity from `status.network`. */
export const ANNOTATION_CAPTURED_NETWORK = `${PREFIX}captured-network`;

/** Velero's labels on restored objects, and its always-exclude label. */
export const VELERO_RESTORE_NAME_LABEL = 'velero.io/restore-name';
export const VELERO_BACKUP_NAME_LABEL = 'velero.io/backup-name';
export const VELERO_EXCLUDE_LABEL = 'velero.io/exclude-from-backup';

/** Emitted CloudEvent types are `dev.vmgroup-backup.<noun>.<verb>`. */
export const EVENT_TYPE_PREFIX = 'dev.vmgroup-backup.';
/** CloudEvent `source` of everything the product emits. */
export const EVENT_SOURCE = '/velero-vmgroup-functions';

const LABEL_NAME_MAX = 63;
const HASH_LENGTH = 8;

/**
 * The membership label key for a group. Object names may be up to 253 characters but a label
 * name only 63, so long names keep a readable prefix and gain a short stable hash; the group
 * records the key it got (ANNOTATION_MEMBER_LABEL_KEY) so users can find it.
 */
export function memberLabelKey(groupName: string): string {
  if (groupName.length <= LABEL_NAME_MAX) return MEMBER_LABEL_PREFIX + groupName;
  const hash = createHash('sha256').update(groupName).digest('hex').slice(0, HASH_LENGTH);
  // A label name must end alphanumeric; trim separators the cut may leave behind.
  const head = groupName.slice(0, LABEL_NAME_MAX - HASH_LENGTH - 1).replace(/[-_.]+$/, '');
  return `${MEMBER_LABEL_PREFIX}${head}-${hash}`;
}

/** True when a label key is one of ours (any group's membership label). */
export function isMemberLabelKey(key: string): boolean {
  return key.startsWith(MEMBER_LABEL_PREFIX);
}

// --- backup labeler (closure, labels, captured state) ---

/** API group of VM Operator; the product reads and patches v1alpha5 (what users write; labels and
 * annotations mean the same in every served version, so no conversion is relied on). */
export const VMOP_API_VERSION = 'vmoperator.vmware.com/v1alpha5';
export const KIND_VM = 'VirtualMachine';
export const KIND_VMG = 'VirtualMachineGroup';

/**
 * On a group: JSON array (sorted) of the Secret names that carry this group's membership label.
 * The product may only PATCH Secrets (never get/list/watch them), so this record is how it
 * knows which Secrets to unlabel when they leave the closure, and how a repeated event needs zero
 * writes. Written in the same resourceVersion-guarded patch that records the group's decision.
 */
export const ANNOTATION_LABELLED_SECRETS = `${PREFIX}labelled-secrets`;

/*
 * ANNOTATION_CAPTURED_POWER_STATE value: the object's `spec.powerState` as it was while labelled
 * (the state the user asked for: PoweredOn | PoweredOff | Suspended). Absent when spec.powerState
 * is empty (a group that never had its power state set).
 *
 * ANNOTATION_CAPTURED_NETWORK value: compact JSON, schema schemas/objects/captured-network.schema.json:
 *   {"version":1,"hostName":"vm-1","primaryIP4":"10.0.0.5",
 *    "interfaces":[{"name":"eth0","macAddr":"00:50:56:aa:bb:cc","addresses":["10.0.0.5/24"],
 *                   "gateway4":"10.0.0.1","dhcp4":false,"nameservers":["10.0.0.2"]}]}
 * One entry per spec.network.interfaces[] name (immutable after create). `addresses` are CIDR
 * strings: the static spec addresses when set, else what status.network.config (or
 * status.network.interfaces[].ip) observed. Absent when the VM has no network status yet.
 */

/** CloudEvent type the labeler replies with when it has expanded a Backup's scope. */
export const EVENT_TYPE_BACKUP_EXPANDED = `${EVENT_TYPE_PREFIX}backup.expanded`;
/** Kubernetes Event reasons on a Backup. */
export const REASON_BACKUP_EXPANDED = 'VMGroupBackupExpanded';
export const REASON_BACKUP_INCOMPLETE = 'VMGroupBackupIncomplete';
/**
 * On a Backup, written by the labeler when it expands it: JSON of each group's closure as labelled
 * for that Backup and what the Backup's filters cut (backup-verification.ts `ClosureRecord`). The
 * Backup is the one durable place both the labeler and the verifier reach; Events expire.
 */
export const ANNOTATION_BACKUP_CLOSURE = `${PREFIX}backup-closure`;

// --- backup verifier ---

/**
 * On a Backup: the verifier's claim while it reads the item list (`{"state":"verifying",...}`),
 * then its result (`verified` | `incomplete` per group). Present = never verified again.
 */
export const ANNOTATION_BACKUP_VERIFICATION = `${PREFIX}backup-verification`;
/** Reply CloudEvent of the verifier. */
export const EVENT_TYPE_BACKUP_VERIFIED = `${EVENT_TYPE_PREFIX}backup.verified`;
/** Normal Event on a Backup holding a group's whole closure (incomplete: REASON_BACKUP_INCOMPLETE). */
export const REASON_BACKUP_VERIFIED = 'VMGroupBackupVerified';

/** velero-plugin-for-vsphere's blocked-resources ConfigMap, in Velero's namespace (its pkg/constants). */
export const VSPHERE_PLUGIN_BLOCKED_LIST = 'velero-vsphere-plugin-blocked-resources-list';

// --- restore (resource modifier, restore fixer, restore sequencer) ---

/** The Velero resource-modifier ConfigMap (config/base/velero-resource-modifiers/), in Velero's namespace. */
export const RESOURCE_MODIFIER_CONFIGMAP = 'vmgroup-backup-restore-modifiers';
/**
 * Optional variants of that ConfigMap (config/base/velero-resource-modifiers/variants/), each the
 * same rule set with one documented difference: `keep-zone` keeps the
 * `topology.kubernetes.io/zone` label (zones pinned on purpose, same zones on the target);
 * `image-by-name` drops `spec.image` so VM Operator resolves `spec.imageName` (an image's display
 * name) on the target Supervisor, where the `vmi-<hash>` names differ.
 */
export const RESOURCE_MODIFIER_VARIANTS = {
  'keep-zone': `${RESOURCE_MODIFIER_CONFIGMAP}-keep-zone`,
  'image-by-name': `${RESOURCE_MODIFIER_CONFIGMAP}-image-by-name`,
} as const;
export type ResourceModifierVariant = keyof typeof RESOURCE_MODIFIER_VARIANTS;
/** Set by a variant of the modifier on what it processed: the variant's name (see above). */
export const ANNOTATION_RESTORE_VARIANT = `${PREFIX}restore-variant`;
/**
 * Set by the resource modifier on every VM, group and PVC it processed, value = the rule-set
 * version. Its absence on a restored object is how the fixer knows a Restore ran without it.
 */
export const ANNOTATION_RESTORE_STRIPPED = `${PREFIX}restore-stripped`;
export const RESTORE_STRIP_VERSION = '1';
/**
 * Set by the resource modifier: `spec.powerState` as it was in the backup (PoweredOn | PoweredOff |
 * Suspended | Unset), recorded by one match rule per value because a modifier cannot copy values.
 */
export const ANNOTATION_RESTORE_ORIGINAL_POWER_STATE = `${PREFIX}restore-original-power-state`;
/** On the top group of a restored tree: the sequencer's progress (JSON, keyed by restore name). */
export const ANNOTATION_RESTORE_PROGRESS = `${PREFIX}restore-progress`;
/** On a restored VM or group whose sequence is finished (powered per its backed-up state, or kept off): that restore. */
export const ANNOTATION_RESTORE_RELEASED = `${PREFIX}restore-released`;

/** Reply CloudEvents of the restore sequencer; `sequence-due` is its own timed continuation. */
export const EVENT_TYPE_RESTORE_GROUP_READY = `${EVENT_TYPE_PREFIX}restore.group-ready`;
export const EVENT_TYPE_RESTORE_GROUP_RELEASED = `${EVENT_TYPE_PREFIX}restore.group-released`;
export const EVENT_TYPE_RESTORE_SEQUENCE_DUE = `${EVENT_TYPE_PREFIX}restore.sequence-due`;

/** Kubernetes Event reasons on a Restore. */
export const REASON_RESTORE_MODIFIER_MISSING = 'VMGroupRestoreModifierMissing';
export const REASON_RESTORE_STRIP_INCOMPLETE = 'VMGroupRestoreStripIncomplete';
export const REASON_RESTORE_MEMBERS_MISSING = 'VMGroupRestoreMembersMissing';
/** One per object VM Operator's webhook refused when the Restore created it (restore-fixer). */
export const REASON_RESTORE_REFUSED = 'VMGroupRestoreRefused';
export const REASON_RESTORE_GROUP_WAITING = 'VMGroupRestoreWaiting';
export const REASON_RESTORE_GROUP_MISSING = 'VMGroupRestoreGroupMissing';
export const REASON_RESTORE_GROUP_READY = 'VMGroupRestoreReady';
export const REASON_RESTORE_STAGE_RELEASED = 'VMGroupRestoreStageReleased';
export const REASON_RESTORE_GROUP_RELEASED = 'VMGroupRestoreReleased';

// --- backup guard ---

/** ConfigMap holding the restricted list (functions/backup-guard/restricted-resources.configmap.json). */
export const GUARD_CONFIGMAP = 'vmgroup-backup-restricted-resources';
/**
 * On a Backup or Restore: short hash of the findings the guard reported, so a re-delivered or
 * later update event with the same findings reports nothing again.
 */
export const ANNOTATION_GUARD_REPORTED = `${PREFIX}guard-reported`;
/** Reply CloudEvent of the guard when a Backup/Restore would touch restricted resources. */
export const EVENT_TYPE_GUARD_RESTRICTED = `${EVENT_TYPE_PREFIX}guard.restricted-resources`;
/** Kubernetes Event reason on the Backup/Restore. */
export const REASON_GUARD_RESTRICTED = 'VMGroupGuardRestrictedResources';

// --- datamover progress ---

/** On a Backup: JSON progress of its volume data uploads (functions/datamover-progress/progress.ts). */
export const ANNOTATION_DATA_PROGRESS = `${PREFIX}data-progress`;
/** Every upload of a Backup has Completed (emitted once per Backup). */
export const EVENT_TYPE_DATA_LANDED = `${EVENT_TYPE_PREFIX}backup.data-landed`;
/** Uploads of a Backup failed (UploadError: will be retried; others final). */
export const EVENT_TYPE_DATA_FAILED = `${EVENT_TYPE_PREFIX}backup.data-failed`;
export const REASON_DATA_LANDED = 'VMGroupBackupDataLanded';
export const REASON_DATA_FAILED = 'VMGroupBackupDataFailed';

/**
 * The seed label's value for a group: the name itself, or for names longer than a label value
 * may be (63) the same truncated-with-hash form as the membership key's name part.
 */
export function seedGroupLabelValue(groupName: string): string {
  return memberLabelKey(groupName).slice(MEMBER_LABEL_PREFIX.length);
}

/** More Kubernetes Event reasons of the restore sequencer on a Restore. */
export const REASON_RESTORE_GROUP_NOT_HELD = 'VMGroupRestoreNotHeld';
export const REASON_RESTORE_GROUP_BLOCKED = 'VMGroupRestoreBlocked';

/** On a VirtualMachineGroup: what stage n's VMs must reach before stage n+1 is released (issue 16). */
export const ANNOTATION_READINESS_GATE = `${PREFIX}readiness-gate`;
/** On the same group: how long one stage's gate may stay open (a Go duration; default 10m). */
export const ANNOTATION_READINESS_TIMEOUT = `${PREFIX}readiness-timeout`;
/** On the same group: what an expired gate does, `continue` (default) or `stop`. */
export const ANNOTATION_READINESS_ON_TIMEOUT = `${PREFIX}readiness-on-timeout`;
/** Kubernetes Event reasons of a readiness gate, on the Restore and the group. */
export const REASON_RESTORE_GATE_WAITING = 'VMGroupRestoreGateWaiting';
export const REASON_RESTORE_GATE_PASSED = 'VMGroupRestoreGatePassed';
export const REASON_RESTORE_GATE_TIMED_OUT = 'VMGroupRestoreGateTimedOut';
/** Warning on the Restore and the VM: the target namespace lacks what a restored VM names (issue 15.2). */
export const REASON_RESTORE_TARGET_MISSING = 'VMGroupRestoreTargetMissing';
/** Reply CloudEvent of the sequencer while a restored group is held: waiting, blocked, not held or stopped. */
export const EVENT_TYPE_RESTORE_GROUP_HELD = `${EVENT_TYPE_PREFIX}restore.group-held`;

/**
 * On member VMs and groups: a short hash of what the labeler decided from (spec.groupName, the
 * bootstrap references and PVC claims of a VM, or a group's members) and the membership labels
 * it left. An update event whose object still hashes the same and whose captures are current
 * changes nothing, so it is acknowledged without listing the namespace — VM Operator updates
 * status often, and each update is an event.
 */
export const ANNOTATION_LABELLED_INPUTS = `${PREFIX}labelled-inputs`;
