// What tests do with the admin identity: namespaces, service-account identities, applying YAML,
// installing CRDs. The harness is test infrastructure, so it uses @kubernetes/client-node directly.
import { randomBytes } from 'node:crypto';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApiextensionsV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  loadYaml,
} from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { isCrd, parseYamlObjects } from './crd-sources.ts';
import type { Crd, KubeObject } from './crd-sources.ts';

const FIELD_MANAGER = 'vvf-test-harness';

const statusOf = (err: unknown): number | undefined => (err as { code?: number } | undefined)?.code;

async function ignoreConflict(create: Promise<unknown>): Promise<void> {
  try {
    await create;
  } catch (err) {
    if (statusOf(err) !== 409) throw err;
  }
}

export function loadKubeConfig(kubeconfigPath: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return kc;
}

/** DNS-1123 label from a prefix plus a random suffix, at most 63 characters. */
export function uniqueName(prefix: string): string {
  const base =
    prefix
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-')
      .replace(/^-+|-+$/g, '') || 'test';
  return `${base.slice(0, 63 - 7)}-${randomBytes(3).toString('hex')}`;
}

export async function createNamespace(kc: KubeConfig, name: string): Promise<void> {
  await ignoreConflict(
    kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } }),
  );
}

/** A bound token for the service account (created, with its namespace, when missing). */
export async function serviceAccountToken(
  kc: KubeConfig,
  namespace: string,
  name: string,
): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  await createNamespace(kc, namespace);
  await ignoreConflict(
    core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } }),
  );
  const request = await core.createNamespacedServiceAccountToken({
    namespace,
    name,
    body: { spec: { audiences: [], expirationSeconds: 24 * 3600 } },
  });
  const token = request.status?.token;
  if (!token) throw new Error(`TokenRequest for ${namespace}/${name} returned no token`);
  return token;
}

/**
 * The client serialises known kinds through its typed models, which name fields in camelCase
 * (`xKubernetesPreserveUnknownFields`); a plain object read from YAML must go through the same
 * model first or such fields are silently dropped (a CRD then fails structural validation).
 */
function typed(obj: KubeObject): KubernetesObject {
  return loadYaml<KubernetesObject>(JSON.stringify(obj));
}

/**
 * Server-side apply of every document, in order. A fresh object client per call: its
 * discovery cache would otherwise miss CRDs installed after it was made.
 */
export async function applyYaml(
  kc: KubeConfig,
  text: string,
  namespace?: string,
): Promise<KubernetesObject[]> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  const applied: KubernetesObject[] = [];
  for (const obj of parseYamlObjects(text, 'applyYaml')) {
    const spec =
      namespace && !obj.metadata?.namespace
        ? { ...obj, metadata: { ...obj.metadata, namespace } }
        : obj;
    applied.push(
      await client.patch(
        typed(spec),
        undefined,
        undefined,
        FIELD_MANAGER,
        true,
        PatchStrategy.ServerSideApply,
      ),
    );
  }
  return applied;
}

/** Creates objects (CRDs are large: a plain create is much cheaper than apply's managed fields). */
export async function createObjects(kc: KubeConfig, objects: KubeObject[]): Promise<void> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  for (const obj of objects) await ignoreConflict(client.create(typed(obj)));
}

function established(crd: {
  status?: { conditions?: { type: string; status: string }[] };
}): boolean {
  return (
    crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false
  );
}

/** Installs CRDs and waits until each is Established and each served version is discoverable. */
export async function installCrds(
  kc: KubeConfig,
  objects: KubeObject[],
  timeoutMs = 120_000,
): Promise<number> {
  await createObjects(kc, objects);
  const crds = objects.filter(isCrd) as Crd[];
  const names = new Set(crds.map((c) => c.metadata.name));
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = await ext.listCustomResourceDefinition();
    const pending = list.items.filter((c) => names.has(c.metadata?.name ?? '') && !established(c));
    const seen = new Set(list.items.map((c) => c.metadata?.name));
    const missing = [...names].filter((n) => !seen.has(n));
    if (pending.length === 0 && missing.length === 0) break;
    if (Date.now() > deadline)
      throw new Error(
        `CRDs not Established after ${timeoutMs} ms: ${[...pending.map((c) => c.metadata?.name), ...missing].join(', ')}`,
      );
    await sleep(200);
  }
  await waitDiscoverable(kc, crds, deadline);
  return crds.length;
}

/** Established precedes discovery; an apply right after would fail with "unknown kind". */
async function waitDiscoverable(kc: KubeConfig, crds: Crd[], deadline: number): Promise<void> {
  for (const crd of crds) {
    for (const v of crd.spec.versions.filter((x) => x.served)) {
      const path = `/apis/${crd.spec.group}/${v.name}`;
      for (;;) {
        const res = await getJson(kc, path).catch(() => undefined);
        const resources =
          (res?.body as { resources?: { name: string }[] } | undefined)?.resources ?? [];
        if (resources.some((r) => r.name === crd.spec.names.plural)) break;
        if (Date.now() > deadline) throw new Error(`${path} never listed ${crd.spec.names.plural}`);
        await sleep(200);
      }
    }
  }
}

/**
 * One raw request with the kubeconfig's credentials: readiness and discovery have no typed
 * client, and server-side apply must send exactly what was rendered (the typed serializer drops
 * unknown fields). A body that is not JSON (readyz) is returned as text.
 */
export interface RawRequestOptions {
  /** Sent as is (already serialized). */
  body?: string;
  contentType?: string;
  accept?: string;
  timeoutMs?: number;
  /** A keep-alive agent for callers that send many requests. */
  agent?: https.Agent;
}

export async function rawRequest(
  kc: KubeConfig,
  method: string,
  path: string,
  o: RawRequestOptions = {},
): Promise<{ status: number; body: unknown; text: string }> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('kubeconfig has no current cluster');
  const headers: Record<string, string> = { accept: o.accept ?? 'application/json' };
  if (o.contentType) headers['content-type'] = o.contentType;
  const options: https.RequestOptions = { method, headers };
  await kc.applyToHTTPSOptions(options);
  // applyToHTTPSOptions may set its own agent; the caller's keep-alive one wins.
  if (o.agent) options.agent = o.agent;
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(path, server), options, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, text });
      });
    });
    req.setTimeout(o.timeoutMs ?? 30_000, () =>
      req.destroy(new Error(`${method} ${path} timed out`)),
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

/** A raw GET (readiness, discovery). */
export function getJson(kc: KubeConfig, path: string): Promise<{ status: number; body: unknown }> {
  return rawRequest(kc, 'GET', path, { timeoutMs: 10_000 });
}
