// Thin doing part of datamover-progress: find the Backup an event is about, list its live
// uploads, let progress.ts decide, then report failures (Warning Events), write the annotation
// only when it changed (resourceVersion-guarded, so data-landed is recorded exactly once) and
// reply with data-landed or data-failed.

import type { Clock, InboundEvent, Logger, OutboundEvent } from '../runtime/function.ts';
import type { Kube, KubeObject } from '../runtime/kube/kube-api.ts';
import {
  ANNOTATION_DATA_PROGRESS,
  EVENT_TYPE_DATA_FAILED,
  EVENT_TYPE_DATA_LANDED,
  REASON_DATA_FAILED,
  REASON_DATA_LANDED,
  VELERO_BACKUP_NAME_LABEL,
} from '../vmgroup/names.ts';
import type { BackupKey } from './link.ts';
import {
  backupForDataUpload,
  backupForUpload,
  collectItems,
  parseSnapshotReference,
} from './link.ts';
import type { DataProgress, FailureReport, ProgressPlan } from './progress.ts';
import { formatProgress, parseProgress, planProgress } from './progress.ts';
import { FAILED_SCHEMA, LANDED_SCHEMA, PING_TYPE } from './bindings.ts';
import type { BackupDataFailed } from '../../schemas/generated/events/backup-data-failed.ts';
import type { BackupDataLanded } from '../../schemas/generated/events/backup-data-landed.ts';

export interface ProgressDeps {
  kube: Pick<Kube, 'get' | 'list' | 'patch' | 'recordEvent'>;
  logger: Logger;
  clock: Clock;
  /** Where the periodic resync looks for Backups. */
  veleroNamespace: string;
}

export const API = {
  backup: { apiVersion: 'velero.io/v1', kind: 'Backup' },
  dataUpload: { apiVersion: 'velero.io/v2alpha1', kind: 'DataUpload' },
  upload: { apiVersion: 'datamover.cnsdp.vmware.com/v1alpha1', kind: 'Upload' },
  snapshot: { apiVersion: 'backupdriver.cnsdp.vmware.com/v1alpha1', kind: 'Snapshot' },
} as const;

interface BackupObject extends KubeObject {
  status?: { phase?: string; completionTimestamp?: string };
}

const isNotFound = (err: unknown): boolean => (err as { status?: unknown } | null)?.status === 404;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A list of a kind whose CRD is not installed (plugin or data mover absent) is empty. */
async function listOrEmpty(
  deps: ProgressDeps,
  api: { apiVersion: string; kind: string },
  namespace: string | undefined,
  labelSelector?: string,
): Promise<KubeObject[]> {
  try {
    return (
      await deps.kube.list(
        api.apiVersion,
        api.kind,
        namespace,
        labelSelector ? { labelSelector } : {},
      )
    ).items;
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

async function backupKeyFor(
  event: InboundEvent,
  deps: ProgressDeps,
): Promise<BackupKey | undefined> {
  const obj = event.data as KubeObject & { spec?: { snapshotReference?: string } };
  if (obj.kind === 'Backup')
    return { namespace: obj.metadata.namespace ?? '', name: obj.metadata.name };
  if (obj.kind === 'DataUpload') return backupForDataUpload(obj);
  const ref = parseSnapshotReference(obj.spec?.snapshotReference);
  if (!ref) return undefined;
  const snapshot = await deps.kube.get({ ...API.snapshot, ...ref });
  return backupForUpload(obj, snapshot);
}

async function liveItems(deps: ProgressDeps, backup: BackupObject) {
  const { name, namespace = '', uid } = backup.metadata;
  // The plugin labels Snapshots with the full Backup name; a name that is no valid label value
  // never got a Snapshot.
  const snapshots =
    LABEL_VALUE.test(name) && name.length <= 63
      ? await listOrEmpty(deps, API.snapshot, undefined, `${VELERO_BACKUP_NAME_LABEL}=${name}`)
      : [];
  const uploads = snapshots.length > 0 ? await listOrEmpty(deps, API.upload, namespace) : [];
  const dataUploads = uid
    ? await listOrEmpty(deps, API.dataUpload, namespace, `velero.io/backup-uid=${uid}`)
    : [];
  return collectItems(snapshots, uploads, dataUploads);
}

function progressData(p: DataProgress): BackupDataLanded['progress'] {
  const { done, total, bytesDone, totalBytes, failed, retrying } = p;
  return {
    done,
    total,
    ...(totalBytes !== undefined ? { bytesDone: bytesDone ?? 0, totalBytes } : {}),
    failed,
    retrying,
  };
}

function failureText(f: FailureReport): string {
  const { kind, namespace, name, phase, retryCount, message } = f.item;
  const retry = f.final ? 'final' : `retry ${retryCount ?? 0}, will be retried`;
  return `${kind} ${namespace}/${name} ${phase} (${retry})${message ? `: ${message}` : ''}`;
}

async function report(deps: ProgressDeps, backup: BackupObject, plan: ProgressPlan): Promise<void> {
  for (const f of plan.failures) {
    await deps.kube.recordEvent(backup, {
      type: 'Warning',
      reason: REASON_DATA_FAILED,
      message: failureText(f),
      dedupeKey: f.key,
    });
  }
  if (plan.landed) {
    const { done, totalBytes } = plan.next;
    const bytes = totalBytes !== undefined ? `, ${totalBytes} bytes` : '';
    await deps.kube.recordEvent(backup, {
      type: 'Normal',
      reason: REASON_DATA_LANDED,
      message: `all ${done} volume uploads Completed${bytes}`,
      dedupeKey: 'data-landed',
    });
  }
}

export async function handle(
  event: InboundEvent,
  deps: ProgressDeps,
): Promise<OutboundEvent[] | void> {
  if (event.type === PING_TYPE) return resync(deps);
  const key = await backupKeyFor(event, deps);
  if (!key) {
    deps.logger.debug(
      { id: event.id, subject: event.subject },
      'upload not linked to a Backup (yet)',
    );
    return;
  }
  const backup = await deps.kube.get<BackupObject>({ ...API.backup, ...key });
  if (!backup) return;
  const out = await reconcile(deps, backup);
  return out ? [out] : undefined;
}

/** Backups that never had an upload this long after completing will not get one. */
const RESYNC_HORIZON_MS = 24 * 3600_000;
const NO_DATA = new Set(['Failed', 'FailedValidation', 'Deleting']);

/**
 * The periodic tick: recompute every Backup that may still be moving data, so lost or dropped
 * events cannot leave progress stale. HTTP carries one reply, so a tick that lands or fails
 * several Backups replies for the first; all of them get their Events and annotation.
 */
async function resync(deps: ProgressDeps): Promise<OutboundEvent[] | void> {
  const now = deps.clock.now().getTime();
  const backups = await deps.kube.list<BackupObject>(
    API.backup.apiVersion,
    API.backup.kind,
    deps.veleroNamespace,
  );
  const replies: OutboundEvent[] = [];
  for (const b of backups.items) {
    if (NO_DATA.has(b.status?.phase ?? '')) continue;
    const raw = b.metadata.annotations?.[ANNOTATION_DATA_PROGRESS];
    if (parseProgress(raw)?.landed) continue;
    const completed = Date.parse(b.status?.completionTimestamp ?? '');
    if (raw === undefined && now - completed > RESYNC_HORIZON_MS) continue;
    const out = await reconcile(deps, b);
    if (out) replies.push(out);
  }
  if (replies.length > 1)
    deps.logger.info({ replies: replies.length }, 'resync: replying for the first Backup only');
  return replies.slice(0, 1);
}

async function reconcile(
  deps: ProgressDeps,
  backup: BackupObject,
): Promise<OutboundEvent | undefined> {
  if (backup.metadata.deletionTimestamp) return undefined;
  const key = { namespace: backup.metadata.namespace ?? '', name: backup.metadata.name };
  const previous = parseProgress(backup.metadata.annotations?.[ANNOTATION_DATA_PROGRESS]);
  if (previous?.landed) return undefined;
  const plan = planProgress(await liveItems(deps, backup), backup.status?.phase, previous);
  if (!plan.changed) return undefined;
  // Events first, deduplicated by key: if the guarded write below loses a race, the retry
  // re-plans from live state and re-records the same Events without duplicating them.
  await report(deps, backup, plan);
  await deps.kube.patch(
    { ...API.backup, ...key },
    {
      type: 'merge',
      body: {
        metadata: {
          resourceVersion: backup.metadata.resourceVersion,
          annotations: { [ANNOTATION_DATA_PROGRESS]: formatProgress(plan.next) },
        },
      },
    },
  );
  return replyFor(backup, plan);
}

function replyFor(backup: BackupObject, plan: ProgressPlan): OutboundEvent | undefined {
  const { namespace = '', name, uid } = backup.metadata;
  const phase = backup.status?.phase;
  const ref = { namespace, name, ...(uid ? { uid } : {}), ...(phase ? { phase } : {}) };
  const subject = `backups/${namespace}/${name}`;
  if (plan.landed) {
    const data: BackupDataLanded = { backup: ref, progress: progressData(plan.next) };
    return { type: EVENT_TYPE_DATA_LANDED, subject, dataschema: LANDED_SCHEMA, data };
  }
  if (plan.failures.length === 0) return undefined;
  const failures = plan.failures.map((f) => ({
    kind: f.item.kind,
    namespace: f.item.namespace,
    name: f.item.name,
    phase: f.item.phase,
    final: f.final,
    ...(f.item.retryCount !== undefined ? { retryCount: f.item.retryCount } : {}),
    ...(f.item.message ? { message: f.item.message } : {}),
  }));
  const data: BackupDataFailed = { backup: ref, failures, progress: progressData(plan.next) };
  return { type: EVENT_TYPE_DATA_FAILED, subject, dataschema: FAILED_SCHEMA, data };
}
