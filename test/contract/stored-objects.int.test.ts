// Issue 13 item 5, as a property: every object the real API server stores for a kind the product
// watches is let in by every function bound to that kind. The kinds and versions are the ones the
// deploy config's ApiServerSources watch (config/base/sources/); each kind's schema is the pinned
// upstream CRD's own openAPIV3Schema at that version (VM Operator, Velero; the vSphere datamover's
// Upload is the hand-written CRD of test/harness/crds/), or for core PersistentVolumeClaim the
// OpenAPI v3 the running kube-apiserver serves. Objects are generated from the schema
// (openapi-arbitrary.ts: `nullable` nulls, optional fields omitted or present), created through
// kube-apiserver (status through the status subresource where there is one), read back with a
// list, wrapped as ApiServerSource's add/update/delete CloudEvents and dispatched through the
// runtime of every function (through-runtime.ts). Any refusal is a schema in schemas/ that is
// stricter than what the API really sends.

import assert from 'node:assert/strict';
import https from 'node:https';
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { KubeConfig } from '@kubernetes/client-node';
import { findGo } from '../../scripts/binaries/go-toolchain.ts';
import { loadVersions } from '../../scripts/binaries/versions.ts';
import { functionNames, loadFunction } from '../../functions/registry.ts';
import type { KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import { rawRequest } from '../harness/cluster-api.ts';
import { localObjects, parseYamlObjects, upstreamCrds } from '../harness/crd-sources.ts';
import type { Crd } from '../harness/crd-sources.ts';
import { testCluster } from '../harness/index.ts';
import type { TestCluster } from '../harness/index.ts';
import { sharedValidators } from '../support/runtime.ts';
import { arbitraryOf } from './openapi-arbitrary.ts';
import type { OpenApi } from './openapi-arbitrary.ts';
import { runtimeEntry } from './through-runtime.ts';
import type { RuntimeEntry } from './through-runtime.ts';

/** Objects per kind (VVF_CONTRACT_OBJECTS overrides; the acceptance asks for several thousand). */
const PER_KIND = Number(process.env['VVF_CONTRACT_OBJECTS'] ?? 2000);
/** Requests in flight against kube-apiserver. */
const CONCURRENCY = 24;
const SEED = Number(process.env['VVF_CONTRACT_SEED'] ?? 20261203);
const VERBS = ['add', 'update', 'delete'] as const;

const SOURCES_DIR = new URL('../../config/base/sources/', import.meta.url);
const LOCAL_CRDS = new URL('../harness/crds/', import.meta.url);

interface Watched {
  apiVersion: string;
  kind: string;
}

/** What the deploy config's ApiServerSources watch in Resource mode. */
function watchedResources(): Watched[] {
  const out: Watched[] = [];
  for (const file of readdirSync(SOURCES_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    const text = readFileSync(new URL(file, SOURCES_DIR), 'utf8');
    for (const obj of parseYamlObjects(text, file)) {
      if (obj.kind !== 'ApiServerSource') continue;
      const spec = obj['spec'] as { mode?: string; resources?: Watched[] };
      if (spec.mode !== 'Resource') continue;
      for (const r of spec.resources ?? []) out.push({ apiVersion: r.apiVersion, kind: r.kind });
    }
  }
  return out;
}

// --- metadata: what users and controllers put there (the CRD schemas leave it to the server) ---

const QUALIFIED =
  /^([a-z0-9]([-a-z0-9]{0,6}[a-z0-9])?(\.[a-z]{2,4})?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,10}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,10})?[A-Za-z0-9])?$/;
const metadataArbitrary = fc.record(
  {
    labels: fc.dictionary(fc.stringMatching(QUALIFIED), fc.stringMatching(LABEL_VALUE), {
      maxKeys: 4,
    }),
    annotations: fc.dictionary(fc.stringMatching(QUALIFIED), fc.string({ maxLength: 40 }), {
      maxKeys: 4,
    }),
  },
  { requiredKeys: [] },
);

// --- core PersistentVolumeClaim: what kube-apiserver validates in Go, not in its OpenAPI ---
// (k8s.io/kubernetes pkg/apis/core/validation ValidatePersistentVolumeClaim{Spec,StatusUpdate}):
// access modes from the known set, a storage request, valid names and selectors.

const DNS_LABEL = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?$/);
const QUANTITY = fc
  .tuple(
    fc.integer({ min: 1, max: 4096 }),
    fc.constantFrom('', 'Ki', 'Mi', 'Gi', 'Ti', 'k', 'M', 'G'),
  )
  .map(([n, unit]) => `${n}${unit}`);
const ACCESS_MODES = fc.uniqueArray(
  fc.constantFrom('ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany'),
  {
    minLength: 1,
    maxLength: 3,
  },
);
const SELECTOR = fc.record(
  {
    matchLabels: fc.dictionary(fc.stringMatching(QUALIFIED), fc.stringMatching(LABEL_VALUE), {
      maxKeys: 2,
    }),
    matchExpressions: fc.array(
      fc.oneof(
        fc.record({
          key: fc.stringMatching(QUALIFIED),
          operator: fc.constantFrom('In', 'NotIn'),
          values: fc.array(fc.stringMatching(LABEL_VALUE), { minLength: 1, maxLength: 2 }),
        }),
        fc.record({
          key: fc.stringMatching(QUALIFIED),
          operator: fc.constantFrom('Exists', 'DoesNotExist'),
        }),
      ),
      { maxLength: 2 },
    ),
  },
  { requiredKeys: [] },
);
const PVC_OVERRIDES: Record<string, fc.Arbitrary<unknown>> = {
  'spec.accessModes': ACCESS_MODES,
  'spec.resources': fc.record(
    {
      requests: fc.record({ storage: QUANTITY }),
      limits: fc.record({ storage: QUANTITY }),
    },
    { requiredKeys: ['requests'] },
  ),
  'spec.selector': SELECTOR,
  'spec.storageClassName': DNS_LABEL,
  'spec.volumeName': DNS_LABEL,
  'spec.volumeAttributesClassName': DNS_LABEL,
  // Populators need a matching CRD and controller; a restored PVC never carries one.
  'spec.dataSource': fc.constant(undefined),
  'spec.dataSourceRef': fc.constant(undefined),
  'status.accessModes': ACCESS_MODES,
  'status.capacity': fc.record({ storage: QUANTITY }),
  'status.allocatedResources': fc.record({ storage: QUANTITY }),
  'status.allocatedResourceStatuses': fc.record(
    {
      storage: fc.constantFrom(
        'ControllerResizeInProgress',
        'ControllerResizeInfeasible',
        'NodeResizePending',
        'NodeResizeInProgress',
        'NodeResizeInfeasible',
      ),
    },
    { requiredKeys: [] },
  ),
  'status.currentVolumeAttributesClassName': DNS_LABEL,
  'status.modifyVolumeStatus': fc.record(
    {
      targetVolumeAttributesClassName: DNS_LABEL,
      status: fc.constantFrom('Pending', 'InProgress', 'Infeasible'),
    },
    { requiredKeys: ['status'] },
  ),
};

// --- reading schemas ---

interface KindSchema {
  watched: Watched;
  plural: string;
  namespaced: boolean;
  /** The status subresource exists: create drops status, /status sets it. */
  statusSubresource: boolean;
  schema: OpenApi;
  resolve?: (ref: string) => OpenApi;
  overrides?: Record<string, fc.Arbitrary<unknown>>;
  requiredAt?: Record<string, string[]>;
  origin: string;
}

function crdSchema(crds: Crd[], w: Watched): KindSchema | undefined {
  const [group, version] = w.apiVersion.split('/');
  const crd = crds.find((c) => c.spec.group === group && c.spec.names.kind === w.kind);
  const v = crd?.spec.versions.find((x) => x.name === version && x.served);
  if (!crd || !v) return undefined;
  return {
    watched: w,
    plural: crd.spec.names.plural,
    namespaced: crd.spec['scope'] === 'Namespaced',
    statusSubresource: !!(v['subresources'] as { status?: unknown } | undefined)?.status,
    schema: (v['schema'] as { openAPIV3Schema: OpenApi }).openAPIV3Schema,
    origin: `CRD ${crd.metadata.name} ${version}`,
  };
}

async function coreSchema(kc: KubeConfig, w: Watched): Promise<KindSchema> {
  const res = await rawRequest(kc, 'GET', '/openapi/v3/api/v1', { timeoutMs: 60_000 });
  const all = (res.body as { components: { schemas: Record<string, OpenApi> } }).components.schemas;
  const resolve = (ref: string): OpenApi => {
    const found = all[ref.replace('#/components/schemas/', '')];
    if (!found) throw new Error(`kube-apiserver /openapi/v3/api/v1 has no ${ref}`);
    return found;
  };
  return {
    watched: w,
    plural: `${w.kind.toLowerCase()}s`,
    namespaced: true,
    statusSubresource: true,
    schema: resolve(`#/components/schemas/io.k8s.api.core.v1.${w.kind}`),
    resolve,
    overrides: PVC_OVERRIDES,
    requiredAt: { '': ['spec'], spec: ['accessModes', 'resources'] },
    origin: `kube-apiserver /openapi/v3/api/v1 io.k8s.api.core.v1.${w.kind}`,
  };
}

// --- talking to kube-apiserver in parallel ---

async function inParallel<T, R>(items: T[], limit: number, f: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await f(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function collectionPath(k: KindSchema, namespace: string): string {
  const base = k.watched.apiVersion.includes('/')
    ? `/apis/${k.watched.apiVersion}`
    : `/api/${k.watched.apiVersion}`;
  return `${base}/namespaces/${namespace}/${k.plural}`;
}

interface Stored {
  created: number;
  /** API-server refusals, by first line of the message (they cost coverage, not correctness). */
  refusedByServer: Map<string, number>;
  items: KubeObject[];
}

async function store(
  kc: KubeConfig,
  agent: https.Agent,
  k: KindSchema,
  namespace: string,
  objects: Array<Record<string, unknown>>,
): Promise<Stored> {
  const path = collectionPath(k, namespace);
  const refusedByServer = new Map<string, number>();
  const refuse = (text: string) => {
    const reason = text.replace(/"[^"]*"/g, '"…"').slice(0, 160);
    refusedByServer.set(reason, (refusedByServer.get(reason) ?? 0) + 1);
  };
  const send = (method: string, p: string, body: unknown) =>
    rawRequest(kc, method, p, {
      body: JSON.stringify(body),
      contentType: 'application/json',
      agent,
      timeoutMs: 60_000,
    });
  const results = await inParallel(objects, CONCURRENCY, async (obj) => {
    const { status, ...rest } = obj;
    const created = await send('POST', path, k.statusSubresource ? rest : obj);
    if (created.status !== 201) {
      refuse((created.body as { message?: string }).message ?? created.text);
      return false;
    }
    if (!k.statusSubresource || status === undefined) return true;
    const live = created.body as Record<string, unknown>;
    const name = (live['metadata'] as { name: string }).name;
    const updated = await send('PUT', `${path}/${name}/status`, { ...live, status });
    if (updated.status !== 200)
      refuse(`status: ${(updated.body as { message?: string }).message ?? updated.text}`);
    return true; // stored either way (without its status when that was refused)
  });
  const items: KubeObject[] = [];
  for (let token: string | undefined = ''; token !== undefined;) {
    const body = (
      await readPage(kc, `${path}?limit=500${token ? `&continue=${token}` : ''}`, agent)
    ).body as { items: KubeObject[]; metadata: { continue?: string } };
    // The adapter's dynamic informer hands over unstructured objects, apiVersion and kind set.
    for (const item of body.items)
      items.push({ ...item, apiVersion: k.watched.apiVersion, kind: k.watched.kind });
    token = body.metadata.continue || undefined;
  }
  return { created: results.filter(Boolean).length, refusedByServer, items };
}

/**
 * One list page; a busy API server (2 cores shared with the rest of the suite) may answer a
 * 500/504 or 429 for a page of 500 large VMs, so a page is asked again a few times before the
 * test fails with what the server said.
 */
async function readPage(
  kc: Parameters<typeof rawRequest>[0],
  path: string,
  agent: https.Agent,
): Promise<Awaited<ReturnType<typeof rawRequest>>> {
  for (let attempt = 1; ; attempt++) {
    const page = await rawRequest(kc, 'GET', path, { agent, timeoutMs: 60_000 });
    if (page.status === 200) return page;
    if (attempt >= 4 || (page.status < 500 && page.status !== 429))
      throw new Error(`list ${path}: ${page.status} ${page.text.slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, 1000 * attempt));
  }
}

// --- the property ---

interface KindResult {
  kind: string;
  origin: string;
  generated: number;
  stored: number;
  withNull: number;
  accepted: Record<string, number>;
  refusedByServer: Map<string, number>;
  /** Binding-schema refusals: "where in which schema" → functions and an example object. */
  refused: Map<string, { functions: Set<string>; count: number; example: string }>;
  ms: { generate: number; store: number; dispatch: number };
}

function noteRefusal(r: KindResult, fn: string, obj: KubeObject, detail: string): void {
  let key = detail;
  try {
    const p = JSON.parse(detail) as { schema?: string; schemaPath?: string; instancePath?: string };
    key = `${p.schema?.replace(/^.*schemas\//, '')}${p.schemaPath} at ${p.instancePath?.replace(/\/\d+(?=\/|$)/g, '/*')}`;
  } catch {
    // not a problem body: keep the text
  }
  const entry = r.refused.get(key) ?? { functions: new Set(), count: 0, example: '' };
  entry.functions.add(fn);
  entry.count++;
  entry.example ||= JSON.stringify(obj).slice(0, 600);
  r.refused.set(key, entry);
}

function hasNull(value: unknown): boolean {
  if (value === null) return true;
  if (typeof value !== 'object') return false;
  return Object.values(value as object).some(hasNull);
}

describe('binding schemas accept every object the API server stores for a watched kind', function () {
  this.timeout(600_000);
  let cluster: TestCluster;
  const kinds: KindSchema[] = [];
  const entries: RuntimeEntry[] = [];
  const results: KindResult[] = [];
  const namespaces: string[] = [];

  before(async function () {
    cluster = await testCluster();
    const go = findGo(process.env);
    if (!go) throw new Error('the pinned CRDs come from the Go module cache: install Go >= 1.26');
    const crds = [
      ...(await upstreamCrds(loadVersions(), go, process.env)),
      ...(localObjects(new URL(LOCAL_CRDS).pathname) as Crd[]),
    ];
    for (const w of watchedResources()) {
      const k = w.apiVersion.includes('/')
        ? crdSchema(crds, w)
        : await coreSchema(cluster.kubeConfig(), w);
      if (!k) throw new Error(`no pinned CRD serves ${w.kind} ${w.apiVersion}`);
      kinds.push(k);
    }
    const validators = await sharedValidators();
    for (const name of functionNames())
      entries.push(runtimeEntry(await loadFunction(name), validators));
  });

  after(async function () {
    // Thousands of random objects must not reach later tests that list cluster-wide.
    const kc = cluster.kubeConfig();
    for (const ns of namespaces)
      await rawRequest(kc, 'DELETE', `/api/v1/namespaces/${ns}`).catch(() => undefined);
    for (const r of results) {
      const accepted = Object.entries(r.accepted)
        .map(([f, n]) => `${f} ${n}`)
        .join(', ');
      process.stdout.write(
        `      ${r.kind} (${r.origin}): ${r.generated} generated, ${r.stored} stored (${r.withNull} with a null), accepted by ${accepted} (generate ${r.ms.generate} ms, store ${r.ms.store} ms, dispatch ${r.ms.dispatch} ms)\n`,
      );
      for (const [reason, n] of r.refusedByServer)
        process.stdout.write(`        kube-apiserver refused ${n}: ${reason}\n`);
    }
  });

  it('reads a schema for every kind the ApiServerSources watch', () => {
    assert.deepEqual(kinds.map((k) => k.watched.kind).sort(), [
      'Backup',
      'DataUpload',
      'PersistentVolumeClaim',
      'Restore',
      'Upload',
      'VirtualMachine',
      'VirtualMachineGroup',
    ]);
  });

  // One test per kind, so a failure names the kind and the refusals.
  for (const kind of [
    'Backup',
    'Restore',
    'DataUpload',
    'Upload',
    'VirtualMachine',
    'VirtualMachineGroup',
    'PersistentVolumeClaim',
  ])
    it(`${kind}: every stored object is accepted by every function bound to it`, async function () {
      const k = kinds.find((x) => x.watched.kind === kind);
      assert.ok(k, `${kind} is not watched`);
      const ns = await cluster.newNamespace(`contract-${kind.toLowerCase()}`);
      namespaces.push(ns);
      const arbitrary = arbitraryOf(k.schema, {
        maxDepth: 5,
        maxItems: 2,
        ...(k.overrides ? { overrides: k.overrides } : {}),
        ...(k.resolve ? { resolve: k.resolve } : {}),
        ...(k.requiredAt ? { requiredAt: k.requiredAt } : {}),
      });
      const genStart = Date.now();
      const generated = fc
        .sample(fc.tuple(arbitrary, metadataArbitrary), { numRuns: PER_KIND, seed: SEED })
        .map(([body, metadata], i) => ({
          ...(body as Record<string, unknown>),
          apiVersion: k.watched.apiVersion,
          kind: k.watched.kind,
          metadata: { ...metadata, name: `g-${i}`, namespace: ns },
        }));
      const genMs = Date.now() - genStart;
      const storeStart = Date.now();
      const agent = new https.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
      const stored = await store(cluster.kubeConfig(), agent, k, ns, generated);
      agent.destroy();
      const result: KindResult = {
        kind,
        origin: k.origin,
        generated: generated.length,
        stored: stored.items.length,
        withNull: stored.items.filter(hasNull).length,
        accepted: {},
        refusedByServer: stored.refusedByServer,
        refused: new Map(),
        ms: { generate: genMs, store: 0, dispatch: 0 },
      };
      result.ms.store = Date.now() - storeStart;
      results.push(result);
      const dispatchStart = Date.now();
      for (const obj of stored.items)
        for (const entry of entries)
          for (const verb of VERBS) {
            const a = await entry.deliver(verb, obj);
            if (a.outcome === 'accepted')
              result.accepted[entry.name] = (result.accepted[entry.name] ?? 0) + 1;
            if (a.outcome === 'refused') noteRefusal(result, entry.name, obj, a.detail);
          }
      result.ms.dispatch = Date.now() - dispatchStart;
      // Most generated objects must really be stored, or the property proves little.
      assert.ok(
        stored.items.length >= Math.min(2000, PER_KIND * 0.8),
        `only ${stored.items.length} of ${generated.length} ${kind}s stored: ${[...stored.refusedByServer].map(([r, n]) => `${n}× ${r}`).join('; ')}`,
      );
      assert.ok(Object.keys(result.accepted).length > 0, `no function binds ${kind}`);
      assert.deepEqual(
        [...result.refused].map(
          ([where, e]) =>
            `${e.count}× ${where} (${[...e.functions].join(', ')}); e.g. ${e.example}`,
        ),
        [],
      );
    });
});
