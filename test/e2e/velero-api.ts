// What the scenario reads from Velero, through the API as Velero's own CLI does: a Backup's or
// Restore's phase, and a backup's item list via a DownloadRequest (`velero backup describe
// --details` does exactly this: DownloadRequest BackupResourceList → presigned URL → gzipped JSON).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { Kube, KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import type { ResourceList } from '../../functions/vmgroup/backup-verification.ts';
import { parseResourceList } from '../../functions/vmgroup/backup-verification.ts';
import { RESOURCE_MODIFIER_CONFIGMAP } from '../../functions/vmgroup/names.ts';
import { eventually } from './stack/proc.ts';
import { VELERO_NAMESPACE } from './stack/velero.ts';

export interface VeleroStatus extends KubeObject {
  status?: {
    phase?: string;
    errors?: number;
    warnings?: number;
    failureReason?: string;
    validationErrors?: string[];
    progress?: { totalItems?: number; itemsBackedUp?: number; itemsRestored?: number };
  };
}

const TERMINAL = ['Completed', 'PartiallyFailed', 'Failed', 'FailedValidation'];

export async function waitTerminal(
  kube: Kube,
  kind: 'Backup' | 'Restore',
  name: string,
  timeoutMs: number,
): Promise<VeleroStatus> {
  return eventually(`${kind} ${name} to finish`, timeoutMs, async () => {
    const obj = await kube.get<VeleroStatus>({
      apiVersion: 'velero.io/v1',
      kind,
      namespace: VELERO_NAMESPACE,
      name,
    });
    return obj?.status?.phase && TERMINAL.includes(obj.status.phase) ? obj : undefined;
  });
}

/**
 * `velero restore create R --from-backup B --resource-modifier-configmap <the product's>`, as a
 * user runs it, waited to its end: it must complete without errors.
 */
export async function restoreWithModifier(
  velero: { cli(args: string[]): Promise<string> },
  kube: Kube,
  backup: string,
  restore: string,
): Promise<VeleroStatus> {
  await velero.cli([
    'restore',
    'create',
    restore,
    '--from-backup',
    backup,
    '--resource-modifier-configmap',
    RESOURCE_MODIFIER_CONFIGMAP,
  ]);
  const done = await waitTerminal(kube, 'Restore', restore, 5 * 60_000);
  assert.equal(done.status?.phase, 'Completed', JSON.stringify(done.status));
  assert.equal(done.status?.errors ?? 0, 0);
  return done;
}

export type { ResourceList };

/** Read with the product's own parser, so the scenario and the backup verifier agree on the format. */
export async function backupResourceList(kube: Kube, backup: string): Promise<ResourceList> {
  return parseResourceList(await download(kube, 'BackupResourceList', backup));
}

/** A restore's warnings and errors as `velero restore describe` shows them. */
export async function restoreResults(
  kube: Kube,
  restore: string,
): Promise<Record<string, unknown>> {
  return JSON.parse(
    gunzipSync(await download(kube, 'RestoreResults', restore)).toString('utf8'),
  ) as Record<string, unknown>;
}

async function download(
  kube: Kube,
  kind: string,
  target: string,
  timeoutMs = 120_000,
): Promise<Buffer> {
  const name = `${target}-${randomBytes(4).toString('hex')}`;
  await kube.create({
    apiVersion: 'velero.io/v1',
    kind: 'DownloadRequest',
    metadata: { name, namespace: VELERO_NAMESPACE },
    spec: { target: { kind, name: target } },
  });
  const url = await eventually(`DownloadRequest ${name} processed`, timeoutMs, async () => {
    const dr = await kube.get<KubeObject & { status?: { phase?: string; downloadURL?: string } }>({
      apiVersion: 'velero.io/v1',
      kind: 'DownloadRequest',
      namespace: VELERO_NAMESPACE,
      name,
    });
    return dr?.status?.phase === 'Processed' ? dr.status.downloadURL : undefined;
  });
  try {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  } finally {
    // As the verifier does: leave no DownloadRequest behind (the scenario checks it left none).
    await kube.delete({
      apiVersion: 'velero.io/v1',
      kind: 'DownloadRequest',
      namespace: VELERO_NAMESPACE,
      name,
    });
  }
}

/** Kind → sorted names in `namespace` (API versions differ by what discovery prefers). */
export function byKind(list: ResourceList, namespace: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, items] of Object.entries(list)) {
    const kind = key.slice(key.lastIndexOf('/') + 1);
    const names = items
      .filter((i) => i.startsWith(`${namespace}/`))
      .map((i) => i.slice(namespace.length + 1));
    if (names.length > 0) out[kind] = [...(out[kind] ?? []), ...names].sort();
  }
  return out;
}
