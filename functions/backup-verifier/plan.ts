// The backup verifier's decisions, pure: whether a Backup is to be verified now (and claimed), what
// the claim and the result recorded on it look like, and the Events and reply a result makes.
//
// Where the result lives: the annotation ANNOTATION_BACKUP_VERIFICATION on the Backup. It is the
// one object every delivery, replica and the resync tick all read before acting, it goes away with
// the Backup, and Velero keeps it in the Backup's own copy in object storage (Events expire after
// an hour). While a delivery reads the item list the annotation holds its claim (the
// DownloadRequest it created, and since when), so a second delivery neither verifies again nor
// leaves a DownloadRequest behind; a claim older than the lease belongs to a delivery that died,
// and the next one deletes that DownloadRequest and takes over.

import type { BackupVerified } from '../../schemas/generated/events/backup-verified.ts';
import type { EventRecord } from '../runtime/kube/kube-api.ts';
import type { GroupVerification, ResourceList } from '../vmgroup/backup-verification.ts';
import {
  backupVerifiable,
  verificationMessage,
  verifyGroups,
} from '../vmgroup/backup-verification.ts';
import type { ClosureRecord, RecordedGroup } from '../vmgroup/closure-record.ts';
import { parseClosureRecord } from '../vmgroup/closure-record.ts';
import { keyString } from '../vmgroup/closure.ts';
import {
  ANNOTATION_BACKUP_CLOSURE,
  ANNOTATION_BACKUP_VERIFICATION,
  REASON_BACKUP_INCOMPLETE,
  REASON_BACKUP_VERIFIED,
} from '../vmgroup/names.ts';

/** The parts of a Backup the verifier decides from. */
export interface BackupView {
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    deletionTimestamp?: string;
    annotations?: Record<string, string>;
  };
  spec?: { storageLocation?: string };
  status?: { phase?: string };
}

export interface Claim {
  state: 'verifying';
  downloadRequest: string;
  since: string;
}

export interface Result {
  state: 'verified' | 'incomplete' | 'unverifiable';
  at: string;
  /** Why the item list could not be compared (unverifiable only). */
  reason?: string;
  groups?: BackupVerified['groups'];
}

export type Recorded = Claim | Result;

/** A delivery still reading after this long has died; its claim may be taken over. */
export const CLAIM_LEASE_MS = 5 * 60_000;

export type Decision =
  | { action: 'skip'; reason: string }
  /** Another delivery holds a live claim: acknowledge, it reports. */
  | { action: 'wait'; reason: string }
  | { action: 'verify'; record: ClosureRecord; staleDownloadRequest?: string }
  /** Nothing to compare with: record that once and say why (a Warning). */
  | { action: 'refuse'; reason: string };

export function parseRecorded(raw: string | undefined): Recorded | undefined {
  if (raw === undefined) return undefined;
  try {
    const v = JSON.parse(raw) as {
      state?: string;
      downloadRequest?: unknown;
      since?: unknown;
    } | null;
    if (
      v?.state === 'verifying' &&
      typeof v.downloadRequest === 'string' &&
      typeof v.since === 'string'
    )
      return { state: 'verifying', downloadRequest: v.downloadRequest, since: v.since };
    if (v?.state === 'verified' || v?.state === 'incomplete' || v?.state === 'unverifiable')
      return v as Result;
  } catch {
    // fall through: a value we did not write
  }
  // Someone else's value under our key: treat it as done rather than overwrite it.
  return { state: 'unverifiable', at: '', reason: 'annotation not written by the verifier' };
}

export function decide(backup: BackupView, now: Date): Decision {
  const phase = backup.status?.phase;
  if (backup.metadata.deletionTimestamp) return { action: 'skip', reason: 'being deleted' };
  if (!backupVerifiable(phase))
    return { action: 'skip', reason: `phase ${phase ?? '(none)'} is not finished` };
  const annotations = backup.metadata.annotations ?? {};
  const recorded = parseRecorded(annotations[ANNOTATION_BACKUP_VERIFICATION]);
  let stale: string | undefined;
  if (recorded?.state === 'verifying') {
    const age = now.getTime() - Date.parse(recorded.since);
    if (age < CLAIM_LEASE_MS)
      return {
        action: 'wait',
        reason: `DownloadRequest ${recorded.downloadRequest} is being read`,
      };
    stale = recorded.downloadRequest;
  } else if (recorded) return { action: 'skip', reason: `already ${recorded.state}` };
  const parsed = parseClosureRecord(annotations[ANNOTATION_BACKUP_CLOSURE]);
  // No record: the labeler has not reported on this Backup (yet: its patch is another update).
  if (!parsed) return { action: 'skip', reason: 'no closure record from the labeler' };
  if ('error' in parsed)
    return {
      action: 'refuse',
      reason: `the ${ANNOTATION_BACKUP_CLOSURE} annotation ${parsed.error}`,
    };
  if (parsed.record.groups.length === 0) return { action: 'skip', reason: 'covers no group' };
  return {
    action: 'verify',
    record: parsed.record,
    ...(stale ? { staleDownloadRequest: stale } : {}),
  };
}

export function claimFor(downloadRequest: string, now: Date): Claim {
  return { state: 'verifying', downloadRequest, since: now.toISOString() };
}

export { downloadRequestName } from '../velero/download-request.ts';

export interface Outcome {
  result: Result;
  events: EventRecord[];
  reply: BackupVerified;
}

/** Each recorded group against the item list; the labeler's cuts say why something is missing. */
export function compare(record: ClosureRecord, list: ResourceList): GroupVerification[] {
  const cuts = new Map<string, RecordedGroup['cut'][number]['reason']>();
  for (const g of record.groups)
    for (const c of g.cut) cuts.set(`${g.namespace}/${keyString(c)}`, c.reason);
  return verifyGroups(list, record.groups, {
    cutAtBackup: (ns, key) => cuts.get(`${ns}/${keyString(key)}`),
  });
}

const MAX_MESSAGE = 4000;

export function outcome(
  backup: BackupView,
  verifications: GroupVerification[],
  now: Date,
): Outcome {
  const name = backup.metadata.name;
  const groups = verifications.map((v) => ({
    namespace: v.namespace,
    name: v.name,
    result: v.result,
    found: v.found,
    missing: v.missing.map((m) => ({ kind: m.kind, name: m.name, cause: m.cause })),
  }));
  const incomplete = verifications.some((v) => v.result === 'incomplete');
  const events = verifications.map((v): EventRecord => {
    let message = verificationMessage(name, v);
    if (message.length > MAX_MESSAGE) {
      const more = `… (every one: the reply and the ${ANNOTATION_BACKUP_VERIFICATION} annotation)`;
      message = message.slice(0, MAX_MESSAGE - more.length) + more;
    }
    return {
      type: v.result === 'verified' ? 'Normal' : 'Warning',
      reason: v.result === 'verified' ? REASON_BACKUP_VERIFIED : REASON_BACKUP_INCOMPLETE,
      message,
      dedupeKey: `verified-${v.namespace}-${v.name}`,
    };
  });
  return {
    result: { state: incomplete ? 'incomplete' : 'verified', at: now.toISOString(), groups },
    events,
    reply: { backup: backupRef(backup), result: incomplete ? 'incomplete' : 'verified', groups },
  };
}

/** A Backup whose closure record is unusable: said once, recorded so it is not said again. */
export function refusal(
  backup: BackupView,
  reason: string,
  now: Date,
): { result: Result; event: EventRecord } {
  return {
    result: { state: 'unverifiable', at: now.toISOString(), reason },
    event: {
      type: 'Warning',
      reason: REASON_BACKUP_INCOMPLETE,
      message: `backup ${backup.metadata.name} cannot be verified: ${reason}`,
      dedupeKey: 'verified-unverifiable',
    },
  };
}

export function backupRef(backup: BackupView): BackupVerified['backup'] {
  const { namespace = '', name, uid } = backup.metadata;
  const phase = backup.status?.phase;
  return { namespace, name, ...(uid ? { uid } : {}), ...(phase ? { phase } : {}) };
}
