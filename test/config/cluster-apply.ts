// `kubectl apply --server-side [--dry-run=server]` for rendered objects, with the admin identity of
// the test control plane. Raw requests rather than the client library's object API: its typed
// serializer drops fields it does not know before sending, which would hide exactly the typos this
// is meant to catch. `fieldValidation=Strict` (kubectl's default) makes an unknown or duplicated
// field an error instead of silently pruning it. Server-side dry-run runs everything a real apply
// runs (defaulting, CRD structural-schema validation, built-in admission) except persisting.
import { CoreV1Api } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import { key } from './render.ts';
import { rawRequest } from '../harness/cluster-api.ts';

const FIELD_MANAGER = 'vvf-config-test';

export interface ApplyResult {
  key: string;
  ok: boolean;
  status: number;
  message?: string;
  /** What the server answered (the object as it would be stored). */
  stored?: KubeObject;
}

export interface Response {
  status: number;
  body: unknown;
}

interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

/** Resource paths from discovery, as kubectl finds them. */
export class ResourcePaths {
  private readonly cache = new Map<string, ApiResource[]>();
  private readonly kc: KubeConfig;
  constructor(kc: KubeConfig) {
    this.kc = kc;
  }

  async path(obj: KubeObject): Promise<string> {
    const base = obj.apiVersion.includes('/')
      ? `/apis/${obj.apiVersion}`
      : `/api/${obj.apiVersion}`;
    let resources = this.cache.get(base);
    if (!resources) {
      const res = await rawRequest(this.kc, 'GET', base);
      if (res.status !== 200) throw new Error(`discovery ${base}: ${res.status}`);
      resources = (res.body as { resources: ApiResource[] }).resources.filter(
        (r) => !r.name.includes('/'),
      );
      this.cache.set(base, resources);
    }
    const resource = resources.find((r) => r.kind === obj.kind);
    if (!resource) throw new Error(`the server does not serve ${obj.kind} in ${obj.apiVersion}`);
    const ns = resource.namespaced ? `/namespaces/${obj.metadata.namespace ?? 'default'}` : '';
    return `${base}${ns}/${resource.name}/${obj.metadata.name}`;
  }
}

/** Applies each object in order; never throws for an object the server refuses. */
export async function serverSideApply(
  kc: KubeConfig,
  objects: KubeObject[],
  options: { dryRun: boolean },
): Promise<ApplyResult[]> {
  const paths = new ResourcePaths(kc);
  const query = new URLSearchParams({
    fieldManager: FIELD_MANAGER,
    force: 'true',
    fieldValidation: 'Strict',
  });
  if (options.dryRun) query.set('dryRun', 'All');
  const results: ApplyResult[] = [];
  for (const obj of objects) {
    let res: Response;
    try {
      res = await rawRequest(kc, 'PATCH', `${await paths.path(obj)}?${query}`, {
        body: JSON.stringify(obj),
        contentType: 'application/apply-patch+yaml',
      });
    } catch (err) {
      results.push({ key: key(obj), ok: false, status: 0, message: (err as Error).message });
      continue;
    }
    const ok = res.status >= 200 && res.status < 300;
    const message = ok
      ? undefined
      : ((res.body as { message?: string }).message ?? String(res.body));
    results.push({
      key: key(obj),
      ok,
      status: res.status,
      ...(ok ? { stored: res.body as KubeObject } : { message }),
    });
  }
  return results;
}

export async function getObject(kc: KubeConfig, obj: KubeObject): Promise<Response> {
  return rawRequest(kc, 'GET', await new ResourcePaths(kc).path(obj));
}

/**
 * Namespaces must exist for namespaced objects to be dry-run (the NamespaceLifecycle admission
 * plugin rejects objects in a missing namespace), so these few are created for real.
 */
export async function ensureNamespaces(kc: KubeConfig, names: Iterable<string>): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  for (const name of names) {
    try {
      await core.createNamespace({ body: { metadata: { name } } });
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
    }
  }
}

export const failures = (results: ApplyResult[]): string[] =>
  results.filter((r) => !r.ok).map((r) => `${r.key}: ${r.status} ${r.message ?? ''}`.trim());
