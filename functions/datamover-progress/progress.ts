// Pure per-backup progress: the live uploads of one Backup (vSphere plugin Uploads, Velero
// DataUploads, and plugin Snapshots whose Upload does not exist yet) plus the previous annotation
// → the next annotation and what to report. Level-triggered: the same live state always gives the
// same answer, so duplicated and out-of-order events converge; what was already reported is kept
// in the annotation so a re-delivery reports nothing twice.

export type ItemKind = 'Upload' | 'DataUpload' | 'Snapshot';

export interface UploadItem {
  kind: ItemKind;
  namespace: string;
  name: string;
  /** status.phase as the owning controller wrote it ('' when not set yet). */
  phase: string;
  totalBytes?: number;
  bytesDone?: number;
  retryCount?: number;
  message?: string;
}

export type ItemState = 'pending' | 'active' | 'done' | 'retrying' | 'failed';

/**
 * vSphere plugin Upload phases (pkg/apis/datamover/v1alpha1/upload.go): UploadError is retried by
 * the plugin and goes back to InProgress, so it is reported but not final. CleanupFailed means the
 * local snapshot could not be deleted after the upload finished or finally failed: the plugin
 * cannot say which, so it counts as failed. Velero DataUpload phases
 * (pkg/apis/velero/v2alpha1/data_upload_types.go) have no retry state.
 */
const STATES: Record<ItemKind, Record<string, ItemState>> = {
  Upload: {
    New: 'pending',
    InProgress: 'active',
    Completed: 'done',
    UploadError: 'retrying',
    CleanupFailed: 'failed',
    Canceling: 'failed',
    Canceled: 'failed',
    UploadFailedAfterRetry: 'failed',
  },
  DataUpload: {
    New: 'pending',
    Accepted: 'pending',
    Prepared: 'pending',
    InProgress: 'active',
    Completed: 'done',
    Canceling: 'failed',
    Canceled: 'failed',
    Failed: 'failed',
  },
  // A plugin Snapshot without a live Upload (pkg/apis/backupdriver/v1alpha1/snapshot.go): not
  // created yet (pending), or already cleaned up after it finished (the Snapshot keeps the result).
  Snapshot: {
    Uploaded: 'done',
    UploadFailed: 'failed',
    UploadFailedAfterRetry: 'failed',
    CleanupAfterUploadFailed: 'failed',
    Canceled: 'failed',
  },
};

export function itemState(item: UploadItem): ItemState {
  return STATES[item.kind][item.phase] ?? 'pending';
}

/** Backup phases after which Velero has created every upload it will (item collection is over). */
const ITEMS_COLLECTED = new Set([
  'WaitingForPluginOperations',
  'WaitingForPluginOperationsPartiallyFailed',
  'Finalizing',
  'FinalizingPartiallyFailed',
  'Completed',
  'PartiallyFailed',
]);

/** The annotation value (JSON) on the Backup. */
export interface DataProgress {
  done: number;
  total: number;
  /** Present when any upload reports bytes. */
  bytesDone?: number;
  totalBytes?: number;
  /** `Kind/namespace/name` of uploads that failed for good. */
  failed: string[];
  /** Uploads in UploadError that the plugin will retry. */
  retrying: string[];
  /** data-landed was emitted (never again for this Backup). */
  landed: boolean;
  /** Failure keys already reported (`Kind/ns/name:phase:retryCount`), pruned to current ones. */
  reported: string[];
}

export interface FailureReport {
  key: string;
  item: UploadItem;
  final: boolean;
}

export interface ProgressPlan {
  next: DataProgress;
  /** True when the annotation must be (re)written. */
  changed: boolean;
  landed: boolean;
  failures: FailureReport[];
}

export const itemId = (i: UploadItem): string => `${i.kind}/${i.namespace}/${i.name}`;
const failureKey = (i: UploadItem): string => `${itemId(i)}:${i.phase}:${i.retryCount ?? 0}`;

export function parseProgress(value: string | undefined): DataProgress | undefined {
  if (!value) return undefined;
  try {
    const p = JSON.parse(value) as Partial<DataProgress>;
    if (typeof p !== 'object' || p === null) return undefined;
    return {
      done: Number(p.done) || 0,
      total: Number(p.total) || 0,
      ...(p.totalBytes !== undefined
        ? { bytesDone: Number(p.bytesDone) || 0, totalBytes: Number(p.totalBytes) || 0 }
        : {}),
      failed: Array.isArray(p.failed) ? p.failed.map(String) : [],
      retrying: Array.isArray(p.retrying) ? p.retrying.map(String) : [],
      landed: p.landed === true,
      reported: Array.isArray(p.reported) ? p.reported.map(String) : [],
    };
  } catch {
    // Someone edited it by hand: start over rather than fail every event for this Backup.
    return undefined;
  }
}

/** Stable serialisation, so "changed" is a string comparison. */
export function formatProgress(p: DataProgress): string {
  const { done, total, bytesDone, totalBytes, failed, retrying, landed, reported } = p;
  return JSON.stringify({ done, total, bytesDone, totalBytes, failed, retrying, landed, reported });
}

export function planProgress(
  items: readonly UploadItem[],
  backupPhase: string | undefined,
  previous: DataProgress | undefined,
): ProgressPlan {
  // Once landed the numbers are final: the plugin deletes finished Uploads after a day and the
  // annotation must not count down as they go.
  if (previous?.landed) return { next: previous, changed: false, landed: false, failures: [] };
  const sorted = [...items].sort((a, b) => itemId(a).localeCompare(itemId(b)));
  const states = sorted.map((i) => ({ item: i, state: itemState(i) }));
  const withBytes = sorted.filter((i) => i.totalBytes !== undefined && i.totalBytes > 0);
  const already = new Set(previous?.reported ?? []);
  const failing = states.filter((s) => s.state === 'failed' || s.state === 'retrying');
  const failures: FailureReport[] = failing
    .filter((s) => !already.has(failureKey(s.item)))
    .map((s) => ({ key: failureKey(s.item), item: s.item, final: s.state === 'failed' }));

  const done = states.filter((s) => s.state === 'done').length;
  const allLanded =
    sorted.length > 0 && done === sorted.length && ITEMS_COLLECTED.has(backupPhase ?? '');
  const next: DataProgress = {
    done,
    total: sorted.length,
    ...(withBytes.length > 0
      ? {
          // A Completed upload counts whole even if its last progress write was lost.
          bytesDone: withBytes.reduce(
            (n, i) =>
              n +
              (itemState(i) === 'done'
                ? (i.totalBytes ?? 0)
                : Math.min(i.bytesDone ?? 0, i.totalBytes ?? 0)),
            0,
          ),
          totalBytes: withBytes.reduce((n, i) => n + (i.totalBytes ?? 0), 0),
        }
      : {}),
    failed: states.filter((s) => s.state === 'failed').map((s) => itemId(s.item)),
    retrying: states.filter((s) => s.state === 'retrying').map((s) => itemId(s.item)),
    landed: allLanded,
    // Only failures still present need remembering: a retry bumps retryCount, so a later failure
    // of the same upload has a new key and is reported again.
    reported: failing.map((s) => failureKey(s.item)),
  };
  const changed =
    previous === undefined ? sorted.length > 0 : formatProgress(previous) !== formatProgress(next);
  return { next, changed, landed: allLanded, failures };
}
