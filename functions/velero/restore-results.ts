// A Restore's results, read as `velero restore describe --details` reads them: a DownloadRequest
// of kind RestoreResults (the storage location's CA from the Restore's Backup, as the CLI's
// `cacert.GetCACertFromRestore`), the gzipped JSON Velero's restore controller uploads
// (pkg/controller/restore_controller.go `putResults`: {"warnings": Result, "errors": Result},
// pkg/util/results `Result`), and the create errors in it (pkg/restore/restore.go `restoreItem`:
// "error restoring <group.resource>/<namespace>/<name>: <the API server's error>").

import { gunzipSync } from 'node:zlib';
import type { Kube, KubeObject } from '../runtime/kube/kube-api.ts';
import type { DownloadRequestDeps } from './download-request.ts';
import { readDownload } from './download-request.ts';

/** pkg/util/results.Result: messages about Velero itself, cluster-scoped and per-namespace items. */
export interface ResultMessages {
  velero?: string[];
  cluster?: string[];
  namespaces?: Record<string, string[]>;
}

export interface RestoreResults {
  warnings: ResultMessages;
  errors: ResultMessages;
}

/** One item Velero could not create, as its error names it. */
export interface FailedItem {
  /** `group.resource` as Velero prints it (schema.GroupResource.String()), e.g. `virtualmachines.vmoperator.vmware.com`. */
  resource: string;
  namespace: string;
  name: string;
  /** What the API server said (for an admission refusal: `admission webhook "…" denied the request: …`). */
  error: string;
}

function messages(v: unknown, where: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((m) => typeof m !== 'string'))
    throw new Error(`${where} is not a list of messages`);
  return v as string[];
}

function resultOf(v: unknown, where: string): ResultMessages {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`${where} is not an object`);
  const r = v as Record<string, unknown>;
  const out: ResultMessages = {};
  const velero = messages(r['velero'], `${where}.velero`);
  const cluster = messages(r['cluster'], `${where}.cluster`);
  if (velero) out.velero = velero;
  if (cluster) out.cluster = cluster;
  if (r['namespaces'] !== undefined && r['namespaces'] !== null) {
    if (typeof r['namespaces'] !== 'object' || Array.isArray(r['namespaces']))
      throw new Error(`${where}.namespaces is not an object`);
    out.namespaces = {};
    for (const [ns, list] of Object.entries(r['namespaces'] as Record<string, unknown>))
      out.namespaces[ns] = messages(list, `${where}.namespaces.${ns}`) ?? [];
  }
  return out;
}

/** The gzipped JSON Velero uploads for a Restore. Throws on anything else. */
export function parseRestoreResults(gzipped: Uint8Array): RestoreResults {
  const parsed: unknown = JSON.parse(gunzipSync(gzipped).toString('utf8'));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error('restore results are not a JSON object');
  const p = parsed as Record<string, unknown>;
  return { warnings: resultOf(p['warnings'], 'warnings'), errors: resultOf(p['errors'], 'errors') };
}

const FAILED = /^error restoring ([^/\s]+)\/([^/\s]+)\/([^/:\s]+): ([\s\S]*)$/;

/** The namespaced items whose create failed, from the results' per-namespace errors. */
export function failedItems(results: RestoreResults): FailedItem[] {
  const out: FailedItem[] = [];
  for (const [ns, list] of Object.entries(results.errors.namespaces ?? {}))
    for (const line of list) {
      const m = FAILED.exec(line);
      if (m && m[2] === ns)
        out.push({ resource: m[1]!, namespace: m[2]!, name: m[3]!, error: m[4]! });
    }
  return out;
}

export interface RestoreForResults extends KubeObject {
  spec?: { backupName?: string };
}

export interface RestoreResultsDeps extends DownloadRequestDeps {
  kube: Pick<Kube, 'get' | 'create' | 'delete'>;
}

/** The Backup's storage location, whose CA the store's certificate is verified with. */
async function storageLocationOf(
  deps: RestoreResultsDeps,
  restore: RestoreForResults,
): Promise<string | undefined> {
  const backupName = restore.spec?.backupName;
  if (!backupName) return undefined;
  const backup = await deps.kube.get<KubeObject & { spec?: { storageLocation?: string } }>({
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    namespace: restore.metadata.namespace ?? '',
    name: backupName,
  });
  return backup?.spec?.storageLocation || undefined;
}

/**
 * The Restore's results; the DownloadRequest `downloadRequest` is created in the Restore's
 * namespace (Velero's), then deleted. Errors as readDownload's, or the parse's.
 */
export async function readRestoreResults(
  deps: RestoreResultsDeps,
  restore: RestoreForResults,
  downloadRequest: string,
): Promise<RestoreResults> {
  const location = await storageLocationOf(deps, restore);
  const bytes = await readDownload(deps, {
    namespace: restore.metadata.namespace ?? '',
    kind: 'RestoreResults',
    name: restore.metadata.name,
    downloadRequest,
    what: `results of restore ${restore.metadata.name}`,
    ...(location ? { storageLocation: location } : {}),
  });
  return parseRestoreResults(bytes);
}
