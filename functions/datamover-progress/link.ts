// What ties an upload to its Backup, as pure functions over the objects.
//
// vSphere plugin: the PVC BackupItemAction creates a backupdriver Snapshot in the PVC's namespace
// labelled `velero.io/backup-name: <backup>` (pkg/plugin/backup_pvc_action_plugin.go); the backup
// driver then creates the Upload in the Velero namespace with `spec.snapshotReference:
// "<snapshot namespace>/<snapshot name>"` (pkg/backupdriver/backup_driver_controller.go,
// pkg/snapshotmgr/snapshot_manager.go UploadSnapshot). The Upload itself carries no backup label,
// so the link is Upload → Snapshot → label, and the Backup is in the Upload's namespace (both live
// in the Velero namespace). Limits: an Upload whose Snapshot was already cleaned up cannot be
// linked; in a guest cluster the Supervisor-side Snapshot is labelled with the guest's backup name.
//
// Velero data mover: a DataUpload is created in the Backup's namespace, owned by the Backup, and
// labelled `velero.io/backup-uid` (pkg/backup/actions/csi/pvc_action.go); the
// `velero.io/backup-name` label holds a truncated name when the Backup's is over 63 characters, so
// the owner reference is preferred.

import type { KubeObject } from '../runtime/kube/kube-api.ts';
import { VELERO_BACKUP_NAME_LABEL } from '../vmgroup/names.ts';
import type { ItemKind, UploadItem } from './progress.ts';

export interface BackupKey {
  namespace: string;
  name: string;
}

export function parseSnapshotReference(ref: unknown): BackupKey | undefined {
  if (typeof ref !== 'string') return undefined;
  const [namespace, name, extra] = ref.split('/');
  if (!namespace || !name || extra !== undefined) return undefined;
  return { namespace, name };
}

export function backupForDataUpload(du: KubeObject): BackupKey | undefined {
  const namespace = du.metadata.namespace;
  if (!namespace) return undefined;
  const owners = (du.metadata.ownerReferences ?? []) as Array<{
    apiVersion?: string;
    kind?: string;
    name?: string;
  }>;
  const owner = owners.find((o) => o.kind === 'Backup' && o.apiVersion?.startsWith('velero.io/'));
  const name = owner?.name ?? du.metadata.labels?.[VELERO_BACKUP_NAME_LABEL];
  return name ? { namespace, name } : undefined;
}

export function backupForUpload(
  upload: KubeObject,
  snapshot: KubeObject | undefined,
): BackupKey | undefined {
  const namespace = upload.metadata.namespace;
  const name = snapshot?.metadata.labels?.[VELERO_BACKUP_NAME_LABEL];
  return namespace && name ? { namespace, name } : undefined;
}

interface WithStatus {
  status?: {
    phase?: string;
    message?: string;
    retryCount?: number;
    progress?: { totalBytes?: number; bytesDone?: number };
  };
}

export function toItem(kind: ItemKind, obj: KubeObject): UploadItem {
  const status = (obj as WithStatus).status ?? {};
  const item: UploadItem = {
    kind,
    namespace: obj.metadata.namespace ?? '',
    name: obj.metadata.name,
    phase: status.phase ?? '',
  };
  const p = status.progress;
  if (typeof p?.totalBytes === 'number') item.totalBytes = p.totalBytes;
  if (typeof p?.bytesDone === 'number') item.bytesDone = p.bytesDone;
  if (typeof status.retryCount === 'number') item.retryCount = status.retryCount;
  if (typeof status.message === 'string' && status.message)
    item.message = status.message.slice(0, 300);
  return item;
}

/**
 * The upload items of one Backup: every Upload whose Snapshot belongs to it, every Snapshot that
 * has no live Upload (not created yet, or cleaned up: the Snapshot's phase tells), and every
 * DataUpload.
 */
export function collectItems(
  snapshots: readonly KubeObject[],
  uploads: readonly KubeObject[],
  dataUploads: readonly KubeObject[],
): UploadItem[] {
  const refs = new Set(snapshots.map((s) => `${s.metadata.namespace}/${s.metadata.name}`));
  const linked = uploads.filter((u) =>
    refs.has(String((u.spec as { snapshotReference?: string } | undefined)?.snapshotReference)),
  );
  const uploaded = new Set(
    linked.map((u) => (u.spec as { snapshotReference: string }).snapshotReference),
  );
  const waiting = snapshots.filter(
    (s) => !uploaded.has(`${s.metadata.namespace}/${s.metadata.name}`) && !snapshotNeedsNoUpload(s),
  );
  return [
    ...linked.map((u) => toItem('Upload', u)),
    ...waiting.map((s) => toItem('Snapshot', s)),
    ...dataUploads.map((d) => toItem('DataUpload', d)),
  ];
}

/** A Snapshot that was never taken gets no Upload; Velero reports that failure on the Backup. */
function snapshotNeedsNoUpload(s: KubeObject): boolean {
  return (s as WithStatus).status?.phase === 'SnapshotFailed';
}
