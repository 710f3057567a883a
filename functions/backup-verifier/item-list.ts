// Reading a Backup's item list the way `velero backup describe --details` does: create a
// DownloadRequest for BackupResourceList, wait for Velero to give it a download URL, GET only that
// URL (TLS verified with the storage location's CA), gunzip and parse; the DownloadRequest is
// deleted afterwards whatever happened.

import type { Kube, KubeObject } from '../runtime/kube/kube-api.ts';
import { TransientError } from '../runtime/errors.ts';
import type { ResourceList } from '../vmgroup/backup-verification.ts';
import { parseResourceList } from '../vmgroup/backup-verification.ts';
import { DownloadStatusError } from './download.ts';
import type { DownloadOptions } from './download.ts';

export const API = {
  backup: { apiVersion: 'velero.io/v1', kind: 'Backup' },
  downloadRequest: { apiVersion: 'velero.io/v1', kind: 'DownloadRequest' },
  storageLocation: { apiVersion: 'velero.io/v1', kind: 'BackupStorageLocation' },
} as const;

export interface ItemListDeps {
  kube: Pick<Kube, 'get' | 'create' | 'delete'>;
  download(url: string, options: DownloadOptions): Promise<Uint8Array>;
  sleep(ms: number): Promise<void>;
  /** How long Velero may take to give the DownloadRequest its URL (its CLI waits 30 s). */
  urlTimeoutMs: number;
  pollMs: number;
  downloadTimeoutMs: number;
  maxBytes: number;
}

interface DownloadRequest extends KubeObject {
  spec?: { target?: { kind?: string; name?: string } };
  status?: { phase?: string; downloadURL?: string };
}

interface StorageLocation extends KubeObject {
  spec?: { objectStorage?: { caCert?: string; caCertRef?: { name?: string; key?: string } } };
}

/** The item list could not be read for a reason a retry will not change. */
export class ItemListUnavailable extends Error {
  override name = 'ItemListUnavailable';
}

/**
 * The storage location's CA as PEM: inline `caCert` (base64 in the API, as Velero's CLI reads it).
 * A `caCertRef` names a Secret, which this product never reads: then only the system's roots are
 * trusted, and a TLS failure says where the CA is.
 */
async function storageCa(
  deps: ItemListDeps,
  namespace: string,
  location: string | undefined,
): Promise<{ pem?: string; secretRef?: string }> {
  if (!location) return {};
  const bsl = await deps.kube.get<StorageLocation>({
    ...API.storageLocation,
    namespace,
    name: location,
  });
  const os = bsl?.spec?.objectStorage;
  if (os?.caCert) return { pem: Buffer.from(os.caCert, 'base64').toString('utf8') };
  if (os?.caCertRef?.name) return { secretRef: `${os.caCertRef.name}/${os.caCertRef.key ?? ''}` };
  return {};
}

async function waitForUrl(deps: ItemListDeps, created: DownloadRequest): Promise<string> {
  const ref = {
    ...API.downloadRequest,
    namespace: created.metadata.namespace ?? '',
    name: created.metadata.name,
  };
  for (let waited = 0; ; waited += deps.pollMs) {
    const dr = await deps.kube.get<DownloadRequest>(ref);
    // Only the request this delivery created: same uid, not one re-created under its name.
    if (!dr || dr.metadata.uid !== created.metadata.uid)
      throw new TransientError(
        `DownloadRequest ${ref.name} disappeared before Velero processed it`,
      );
    const url = dr.status?.downloadURL;
    if (url) return url;
    if (waited >= deps.urlTimeoutMs)
      throw new TransientError(
        `DownloadRequest ${ref.name} got no download URL within ${deps.urlTimeoutMs / 1000} s (is the BackupStorageLocation available? see the Velero server log)`,
      );
    await deps.sleep(deps.pollMs);
  }
}

export interface ItemListRequest {
  namespace: string;
  backup: string;
  storageLocation?: string;
  downloadRequest: string;
}

/** The Backup's BackupResourceList; the DownloadRequest named in `req` is created, then deleted. */
export async function readItemList(
  deps: ItemListDeps,
  req: ItemListRequest,
): Promise<ResourceList> {
  const created = await deps.kube.create<DownloadRequest>({
    ...API.downloadRequest,
    metadata: { name: req.downloadRequest, namespace: req.namespace },
    spec: { target: { kind: 'BackupResourceList', name: req.backup } },
  });
  try {
    const url = await waitForUrl(deps, created);
    const ca = await storageCa(deps, req.namespace, req.storageLocation);
    let bytes: Uint8Array;
    try {
      bytes = await deps.download(url, {
        ...(ca.pem ? { caPem: ca.pem } : {}),
        timeoutMs: deps.downloadTimeoutMs,
        maxBytes: deps.maxBytes,
      });
    } catch (err) {
      if (err instanceof DownloadStatusError && err.status === 404)
        throw new ItemListUnavailable(`the object store has no item list for backup ${req.backup}`);
      const hint = ca.secretRef
        ? ` (the storage location's CA is in Secret ${ca.secretRef}, which this product never reads: set spec.objectStorage.caCert)`
        : '';
      throw new TransientError(
        `reading the item list of backup ${req.backup}: ${(err as Error).message}${hint}`,
      );
    }
    try {
      return parseResourceList(bytes);
    } catch (err) {
      throw new ItemListUnavailable(
        `the item list of backup ${req.backup} is unreadable: ${(err as Error).message}`,
      );
    }
  } finally {
    await deps.kube.delete({
      ...API.downloadRequest,
      namespace: req.namespace,
      name: req.downloadRequest,
    });
  }
}
