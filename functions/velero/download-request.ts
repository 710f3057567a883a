// Reading a file of Velero's object store the way its CLI does (pkg/cmd/util/downloadrequest
// `StreamWithBSLCACert`): create a DownloadRequest for the target, wait for Velero to give it a
// download URL, GET only that URL (TLS verified with the storage location's CA); the
// DownloadRequest is deleted afterwards whatever happened. The caller parses the (gzipped) bytes.

import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kube, KubeObject } from '../runtime/kube/kube-api.ts';
import { TransientError } from '../runtime/errors.ts';
import { download, DownloadStatusError } from './download.ts';
import type { DownloadOptions } from './download.ts';

export const DOWNLOAD_REQUEST = { apiVersion: 'velero.io/v1', kind: 'DownloadRequest' } as const;
const STORAGE_LOCATION = { apiVersion: 'velero.io/v1', kind: 'BackupStorageLocation' } as const;

export interface DownloadRequestDeps {
  kube: Pick<Kube, 'get' | 'create' | 'delete'>;
  download(url: string, options: DownloadOptions): Promise<Uint8Array>;
  sleep(ms: number): Promise<void>;
  /** How long Velero may take to give the DownloadRequest its URL (its CLI waits 30 s). */
  urlTimeoutMs: number;
  pollMs: number;
  downloadTimeoutMs: number;
  maxBytes: number;
}

/** Velero's DownloadTargetKind values this product reads. */
export type DownloadTargetKind = 'BackupResourceList' | 'RestoreResults';

export interface DownloadTarget {
  /** Velero's namespace: where the DownloadRequest and the storage location are. */
  namespace: string;
  kind: DownloadTargetKind;
  /** The Backup's or the Restore's name. */
  name: string;
  /** The BackupStorageLocation holding it (its inline CA is trusted), if known. */
  storageLocation?: string;
  /** Name of the DownloadRequest to create (unique per read). */
  downloadRequest: string;
  /** What is read, for messages ("item list for backup b1"). */
  what: string;
}

interface DownloadRequest extends KubeObject {
  spec?: { target?: { kind?: string; name?: string } };
  status?: { phase?: string; downloadURL?: string };
}

interface StorageLocation extends KubeObject {
  spec?: { objectStorage?: { caCert?: string; caCertRef?: { name?: string; key?: string } } };
}

/** The object store answered 404: Velero never uploaded the file. */
export class DownloadMissing extends Error {
  override name = 'DownloadMissing';
}

/**
 * The storage location's CA as PEM: inline `caCert` (base64 in the API, as Velero's CLI reads it).
 * A `caCertRef` names a Secret, which this product never reads: then only the system's roots are
 * trusted, and a TLS failure says where the CA is.
 */
async function storageCa(
  deps: DownloadRequestDeps,
  namespace: string,
  location: string | undefined,
): Promise<{ pem?: string; secretRef?: string }> {
  if (!location) return {};
  const bsl = await deps.kube.get<StorageLocation>({
    ...STORAGE_LOCATION,
    namespace,
    name: location,
  });
  const os = bsl?.spec?.objectStorage;
  if (os?.caCert) return { pem: Buffer.from(os.caCert, 'base64').toString('utf8') };
  if (os?.caCertRef?.name) return { secretRef: `${os.caCertRef.name}/${os.caCertRef.key ?? ''}` };
  return {};
}

async function waitForUrl(deps: DownloadRequestDeps, created: DownloadRequest): Promise<string> {
  const ref = {
    ...DOWNLOAD_REQUEST,
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

/**
 * The target's file as stored (gzipped). DownloadMissing when the store has none; TransientError when it
 * could not be read now (no URL yet, TLS, network). The DownloadRequest is created, then deleted.
 */
export async function readDownload(
  deps: DownloadRequestDeps,
  t: DownloadTarget,
): Promise<Uint8Array> {
  const created = await deps.kube.create<DownloadRequest>({
    ...DOWNLOAD_REQUEST,
    metadata: { name: t.downloadRequest, namespace: t.namespace },
    spec: { target: { kind: t.kind, name: t.name } },
  });
  try {
    const url = await waitForUrl(deps, created);
    const ca = await storageCa(deps, t.namespace, t.storageLocation);
    try {
      return await deps.download(url, {
        ...(ca.pem ? { caPem: ca.pem } : {}),
        timeoutMs: deps.downloadTimeoutMs,
        maxBytes: deps.maxBytes,
      });
    } catch (err) {
      if (err instanceof DownloadStatusError && err.status === 404)
        throw new DownloadMissing(`the object store has no ${t.what}`);
      const hint = ca.secretRef
        ? ` (the storage location's CA is in Secret ${ca.secretRef}, which this product never reads: set spec.objectStorage.caCert)`
        : '';
      throw new TransientError(`reading the ${t.what}: ${(err as Error).message}${hint}`);
    }
  } finally {
    await deps.kube.delete({
      ...DOWNLOAD_REQUEST,
      namespace: t.namespace,
      name: t.downloadRequest,
    });
  }
}

/** A DownloadRequest name of Velero's CLI form, `<target>-<random>`, kept within 253 characters. */
export function downloadRequestName(target: string, random: string): string {
  return `${target.slice(0, 253 - random.length - 1)}-${random}`;
}

const seconds = (raw: string | undefined, fallback: number): number => {
  const n = Number(raw);
  return Number.isFinite(n) && n > 0 ? n * 1000 : fallback * 1000;
};

/** The production wiring of a function that reads the object store (env: the two timeouts). */
export function downloadRequestDeps(
  env: Readonly<Record<string, string | undefined>>,
): Omit<DownloadRequestDeps, 'kube'> & { randomSuffix(): string } {
  return {
    download,
    sleep: (ms) => sleep(ms),
    randomSuffix: () => randomBytes(4).toString('hex'),
    urlTimeoutMs: seconds(env.DOWNLOAD_URL_TIMEOUT_SECONDS, 60),
    pollMs: 250,
    downloadTimeoutMs: seconds(env.DOWNLOAD_TIMEOUT_SECONDS, 60),
    // A gzipped item list of a hundred thousand items is a few MiB.
    maxBytes: 64 * 1024 * 1024,
  };
}
