// Thin doing part of datamover-progress: find the Backup an event is about, list its live
// uploads, let progress.ts decide and outcome.ts word it, then record its Events, write the
// annotation only when it changed (resourceVersion-guarded, so data-landed is recorded exactly
// once) and send the reply outcome.ts chose.

import type { Clock, InboundEvent, Logger, OutboundEvent } from '../runtime/function.ts';
import type { Kube, KubeObject } from '../runtime/kube/kube-api.ts';
import { ANNOTATION_DATA_PROGRESS, VELERO_BACKUP_NAME_LABEL } from '../vmgroup/names.ts';
import type { BackupKey } from './link.ts';
import {
  backupForDataUpload,
  backupForUpload,
  collectItems,
  parseSnapshotReference,
} from './link.ts';
import { formatProgress, parseProgress, planProgress } from './progress.ts';
import { needsResync, planEvents, replyFor, type BackupObject } from './outcome.ts';
import type { VeleroBackup } from '../../schemas/generated/objects/backup.ts';
import type { VeleroDataUpload } from '../../schemas/generated/objects/dataupload.ts';
import type { VsphereUpload } from '../../schemas/generated/objects/upload.ts';

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

/** A vSphere plugin Upload: its Backup is found through the Snapshot it references. */
export async function onUpload(
  event: InboundEvent<VsphereUpload>,
  deps: ProgressDeps,
): Promise<OutboundEvent[] | void> {
  const upload = event.data;
  const ref = parseSnapshotReference(upload.spec?.snapshotReference);
  const snapshot = ref ? await deps.kube.get({ ...API.snapshot, ...ref }) : undefined;
  return onBackupKey(event, ref ? backupForUpload(upload, snapshot) : undefined, deps);
}

/** A Velero DataUpload: its Backup is its owner. */
export async function onDataUpload(
  event: InboundEvent<VeleroDataUpload>,
  deps: ProgressDeps,
): Promise<OutboundEvent[] | void> {
  return onBackupKey(event, backupForDataUpload(event.data), deps);
}

/** A Backup changed (reaching Completed after its last upload is what lets the data land). */
export async function onBackup(
  event: InboundEvent<VeleroBackup>,
  deps: ProgressDeps,
): Promise<OutboundEvent[] | void> {
  const { namespace = '', name } = event.data.metadata;
  return onBackupKey(event, { namespace, name }, deps);
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

async function onBackupKey(
  event: InboundEvent,
  key: BackupKey | undefined,
  deps: ProgressDeps,
): Promise<OutboundEvent[] | void> {
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

/**
 * The periodic tick: recompute every Backup that may still be moving data, so lost or dropped
 * events cannot leave progress stale. HTTP carries one reply, so a tick that lands or fails
 * several Backups replies for the first; all of them get their Events and annotation.
 */
export async function onTick(
  _event: InboundEvent,
  deps: ProgressDeps,
): Promise<OutboundEvent[] | void> {
  const now = deps.clock.now().getTime();
  const backups = await deps.kube.list<BackupObject>(
    API.backup.apiVersion,
    API.backup.kind,
    deps.veleroNamespace,
  );
  const replies: OutboundEvent[] = [];
  for (const b of backups.items) {
    if (!needsResync(b, now)) continue;
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
  for (const e of planEvents(plan)) await deps.kube.recordEvent(backup, e);
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
