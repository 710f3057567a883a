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
