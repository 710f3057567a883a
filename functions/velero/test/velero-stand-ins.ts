// Test support: what Velero's own controllers write, for tests where no Velero server runs — a
// DataUpload its CSI data mover creates for a Backup, and the answer to a DownloadRequest (a
// Backup's resource list, a Restore's results).

import type { Kube, KubeObject } from '../../runtime/kube/kube-api.ts';

interface OwningBackup {
  metadata: { name: string; uid?: string };
}

/** A CSI DataUpload of PVC `data` in `appNamespace`, owned by `backup` as Velero labels it. */
export function dataUploadFor(
  backup: OwningBackup,
  o: {
    name: string;
    veleroNamespace: string;
    appNamespace: string;
    status: Record<string, unknown>;
    /** Velero's backup-name label and a controller owner reference, as its node agent sets. */
    controlled?: boolean;
  },
): KubeObject {
  const uid = backup.metadata.uid ?? '';
  return {
    apiVersion: 'velero.io/v2alpha1',
    kind: 'DataUpload',
    metadata: {
      name: o.name,
      namespace: o.veleroNamespace,
      labels: {
        ...(o.controlled ? { 'velero.io/backup-name': backup.metadata.name } : {}),
        'velero.io/backup-uid': uid,
      },
      ownerReferences: [
        {
          apiVersion: 'velero.io/v1',
          kind: 'Backup',
          name: backup.metadata.name,
          uid,
          ...(o.controlled ? { controller: true } : {}),
        },
      ],
    },
    spec: {
      snapshotType: 'CSI',
      sourcePVC: 'data',
      sourceNamespace: o.appNamespace,
      backupStorageLocation: 'default',
      operationTimeout: '10m',
      csiSnapshot: { volumeSnapshot: 'vs', storageClass: 'sc' },
    },
    status: o.status,
  };
}

/** Answers a DownloadRequest as Velero's controller does: Processed, `url`, valid ten minutes. */
export async function answerDownloadRequest(
  admin: Pick<Kube, 'patch'>,
  veleroNamespace: string,
  request: string,
  url: string,
): Promise<void> {
  await admin.patch(
    {
      apiVersion: 'velero.io/v1',
      kind: 'DownloadRequest',
      namespace: veleroNamespace,
      name: request,
    },
    {
      type: 'merge',
      body: {
        status: {
          phase: 'Processed',
          downloadURL: url,
          expiration: new Date(Date.now() + 600_000).toISOString(),
        },
      },
    },
  );
}

/**
 * Answers a DownloadRequest for `backup`'s resource list as Velero's controller does: Processed,
 * with a presigned-looking URL into `storeUrl`'s bucket, valid ten minutes.
 */
export async function answerResourceListRequest(
  admin: Pick<Kube, 'patch'>,
  veleroNamespace: string,
  request: string,
  backup: string,
  storeUrl: string,
): Promise<void> {
  const url = `${storeUrl}/bucket/backups/${backup}/${backup}-resourcelist.json.gz?X-Amz-Signature=s`;
  await answerDownloadRequest(admin, veleroNamespace, request, url);
}

/** Where Velero keeps a Restore's results (pkg/persistence `getRestoreResultsKey`), presigned-looking. */
export function restoreResultsUrl(storeUrl: string, restore: string): string {
  return `${storeUrl}/bucket/restores/${restore}/restore-${restore}-results.gz?X-Amz-Signature=s`;
}
