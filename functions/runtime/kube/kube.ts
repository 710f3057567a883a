// The Kube adapter: the only product module that talks to the Kubernetes API (and the only one
// that may import @kubernetes/client-node). A small REST client over node:https with discovery
// of resource names; see kube-config.ts for why it does not use the library on the common path.
// Errors: 404 on get → undefined; 409 → ConflictError; network/429/5xx → TransientError;
// anything else → KubeApiError (a plain Error carrying the status). Transient failures are retried
// by the runtime's one policy (../apply/retry-policy.ts) before they surface.

import type * as HttpsModule from 'node:https';
import { http, https } from '../http/node-http.ts';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import type {
  ApiGroupResources,
  EventRecord,
  Kube,
  KubeObject,
  ListOptions,
  ObjectList,
  ObjectRef,
  Patch,
} from './kube-api.ts';
import { ConflictError, TransientError } from '../errors.ts';
import type { ClusterAccess } from './kube-config.ts';
import { kubeconfigAccess } from './kube-config.ts';
import type { KubeObserver } from '../process/metrics.ts';
import { newEvent, repeatPatch } from './kube-events.ts';
import type { RetryPolicy } from '../apply/retry-policy.ts';
import {
  DEFAULT_RETRY,
  isTransientStatus,
  parseRetryAfter,
  retrying,
} from '../apply/retry-policy.ts';
import { DEFAULT_CONFLICT_ATTEMPTS, replanOnConflict } from '../apply/conflict-policy.ts';

export type { ClusterAccess } from './kube-config.ts';
export { inClusterAccess, kubeconfigAccess } from './kube-config.ts';

/** Accept header that makes the API server answer with metadata only (never a Secret's data). */
export const PARTIAL_METADATA_ACCEPT =
  'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';
const PARTIAL_METADATA_LIST_ACCEPT =
  'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';

export class KubeApiError extends Error {
  override name = 'KubeApiError';
  readonly status: number;
  readonly reason: string | undefined;
  constructor(message: string, status: number, reason?: string) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

export interface KubeOptions {
  /** Shown as the reporting component of recorded Events. */
  component?: string;
  /** Labels on the Events it records (main passes the product's, e.g. its exclude-from-backup label). */
  eventLabels?: Readonly<Record<string, string>>;
  /** Tries in all for idempotent calls (get, list, merge patch, delete) on transient failures. */
  attempts?: number;
  timeoutMs?: number;
}

interface RawResponse {
  status: number;
  body: string;
  retryAfter?: string;
}

interface Transport {
  request(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<RawResponse>;
}

interface Resource {
  plural: string;
  namespaced: boolean;
  /** `plural.group` for metrics. */
  label: string;
}

/** `config`: a kubeconfig path, a client-node KubeConfig, or ClusterAccess (e.g. inClusterAccess(env)). */
export function createKube(
  config: string | KubeConfig | ClusterAccess,
  observer?: KubeObserver,
  options: KubeOptions = {},
): Kube {
  const transport = makeTransport(config, options.timeoutMs ?? 30_000);
  return new RestKube(transport, observer, options);
}

function makeTransport(config: string | KubeConfig | ClusterAccess, timeoutMs: number): Transport {
  if (typeof config === 'string') config = kubeconfigAccess(config);
  if ('server' in config && typeof config.server === 'string') {
    const access = config as ClusterAccess;
    if (access.needsClientNode)
      return clientNodeTransport(loadKubeConfig(access.needsClientNode.kubeconfigPath), timeoutMs);
    return leanTransport(access, timeoutMs);
  }
  return clientNodeTransport(Promise.resolve(config as KubeConfig), timeoutMs);
}

async function loadKubeConfig(path: string): Promise<KubeConfig> {
  const { KubeConfig: Config } = await import('@kubernetes/client-node');
  const kc = new Config();
  kc.loadFromFile(path);
  return kc;
}

function leanTransport(access: ClusterAccess, timeoutMs: number): Transport {
  const url = new URL(access.server);
  const secure = url.protocol === 'https:';
  const agent = secure
    ? new https.Agent({
        keepAlive: true,
        ...(access.ca ? { ca: access.ca } : {}),
        ...(access.cert ? { cert: access.cert } : {}),
        ...(access.key ? { key: access.key } : {}),
        ...(access.tlsServerName ? { servername: access.tlsServerName } : {}),
        rejectUnauthorized: !access.insecureSkipTlsVerify,
      })
    : new http.Agent({ keepAlive: true });
  let token = { value: access.token, readAt: 0 };
  const authorization = (): string | undefined => {
    if (access.tokenFile && Date.now() - token.readAt > 60_000) {
      token = { value: readFileSync(access.tokenFile, 'utf8').trim(), readAt: Date.now() };
    }
    if (token.value) return `Bearer ${token.value}`;
    if (access.basicAuth) {
      return `Basic ${Buffer.from(`${access.basicAuth.username}:${access.basicAuth.password}`).toString('base64')}`;
    }
    return undefined;
  };
  const prefix = url.pathname.replace(/\/+$/, '');
  return {
    request(method, path, headers, body) {
      const auth = authorization();
      return send(
        secure ? https : http,
        new URL(prefix + path, url),
        {
          method,
          agent,
          headers: auth ? { ...headers, authorization: auth } : headers,
        },
        body,
        timeoutMs,
      );
    },
  };
}

function clientNodeTransport(kubeConfig: Promise<KubeConfig>, timeoutMs: number): Transport {
  return {
    async request(method, path, headers, body) {
      const kc = await kubeConfig;
      const server = kc.getCurrentCluster()?.server;
      if (!server) throw new Error('kubeconfig has no current cluster');
      const opts: HttpsModule.RequestOptions = { method, headers: {} };
      await kc.applyToHTTPSOptions(opts);
      const url = new URL(server.replace(/\/+$/, '') + path);
      opts.headers = { ...(opts.headers as Record<string, string>), ...headers };
      return send(url.protocol === 'https:' ? https : http, url, opts, body, timeoutMs);
    },
  };
}

function send(
  lib: typeof http | typeof https,
  url: URL,
  options: HttpsModule.RequestOptions,
  body: string | undefined,
  timeoutMs: number,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = lib.request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const retryAfter = res.headers['retry-after'];
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          ...(typeof retryAfter === 'string' ? { retryAfter } : {}),
        });
      });
      res.on('error', (err) => reject(new TransientError(`reading response: ${err.message}`, err)));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) =>
      reject(
        err instanceof TransientError
          ? err
          : new TransientError(`${options.method} ${url.pathname}: ${err.message}`, err),
      ),
    );
    req.end(body);
  });
}

const JSON_ACCEPT = 'application/json';
/** Aggregated discovery (GA v2 since Kubernetes 1.30, v2beta1 before), one call per root. */
const AGGREGATED_DISCOVERY_ACCEPT = [
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
  'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList',
  JSON_ACCEPT,
].join(',');

interface AggregatedDiscoveryList {
  kind?: string;
  items?: Array<{
    metadata?: { name?: string };
    versions?: Array<{
      version: string;
      freshness?: string;
      resources?: Array<{
        resource: string;
        responseKind?: { kind?: string };
        scope?: string;
        singularResource?: string;
        shortNames?: string[];
        verbs?: string[];
      }>;
    }>;
  }>;
}

class RestKube implements Kube {
  private readonly discovery = new Map<string, Promise<Map<string, Resource>>>();
  private readonly retry: RetryPolicy;
  private readonly component: string;
  private readonly eventLabels: Readonly<Record<string, string>>;
  private readonly transport: Transport;
  private readonly observer: KubeObserver | undefined;

  constructor(transport: Transport, observer: KubeObserver | undefined, options: KubeOptions) {
    this.transport = transport;
    this.observer = observer;
    this.retry = {
      ...DEFAULT_RETRY,
      attempts: Math.max(1, options.attempts ?? DEFAULT_RETRY.attempts),
    };
    this.component = options.component ?? 'velero-vmgroup-functions';
    this.eventLabels = options.eventLabels ?? {};
  }

  async get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    const res = await this.resource(ref.apiVersion, ref.kind);
    const r = await this.call(
      'get',
      res,
      'GET',
      this.path(ref.apiVersion, res, ref.namespace, ref.name),
      {},
      undefined,
      true,
    );
    if (r.status === 404) return undefined;
    return this.parse<T>(r, 'get', ref);
  }

  async list<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    options: ListOptions = {},
  ): Promise<ObjectList<T>> {
    const res = await this.resource(apiVersion, kind);
    const items: T[] = [];
    let resourceVersion = '';
    let next: string | undefined;
    do {
      const query = new URLSearchParams({ limit: String(options.pageSize ?? 500) });
      if (options.labelSelector) query.set('labelSelector', options.labelSelector);
      if (options.fieldSelector) query.set('fieldSelector', options.fieldSelector);
      if (next) query.set('continue', next);
      const path = `${this.path(apiVersion, res, namespace)}?${query}`;
      const headers: Record<string, string> = options.metadataOnly
        ? { accept: PARTIAL_METADATA_LIST_ACCEPT }
        : {};
      const r = await this.call('list', res, 'GET', path, headers, undefined, true);
      const page = this.parse<{
        items: T[];
        metadata?: { resourceVersion?: string; continue?: string };
      }>(r, 'list', {
        apiVersion,
        kind,
        namespace,
        name: '',
      });
      resourceVersion ||= page.metadata?.resourceVersion ?? '';
      // Items of a list carry no apiVersion/kind for built-in types (and PartialObjectMetadata's
      // own when metadataOnly); callers expect the kind they asked for.
      const keep = options.project;
      for (const item of page.items ?? []) {
        const typed = { ...item, apiVersion, kind };
        items.push((keep ? keep(typed) : typed) as T);
      }
      next = page.metadata?.continue || undefined;
    } while (next);
    return { items, resourceVersion };
  }

  async patch<T extends KubeObject = KubeObject>(
    ref: ObjectRef,
    patch: Patch,
    options: { metadataOnly?: boolean } = {},
  ): Promise<T> {
    const res = await this.resource(ref.apiVersion, ref.kind);
    const contentType =
      patch.type === 'merge' ? 'application/merge-patch+json' : 'application/json-patch+json';
    const accept = options.metadataOnly ? PARTIAL_METADATA_ACCEPT : JSON_ACCEPT;
    const r = await this.call(
      'patch',
      res,
      'PATCH',
      this.path(ref.apiVersion, res, ref.namespace, ref.name),
      { 'content-type': contentType, accept },
      JSON.stringify(patch.body),
      // A merge patch applies the same way twice; a JSON patch (e.g. `add` to an array) may not.
      patch.type === 'merge',
    );
    return this.parse<T>(r, 'patch', ref);
  }

  async create<T extends KubeObject = KubeObject>(obj: T): Promise<T> {
    const res = await this.resource(obj.apiVersion, obj.kind);
    const path = this.path(obj.apiVersion, res, obj.metadata.namespace);
    const r = await this.call(
      'create',
      res,
      'POST',
      path,
      { 'content-type': 'application/json' },
      JSON.stringify(obj),
      false,
    );
    return this.parse<T>(r, 'create', {
      ...obj,
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
    });
  }

  async delete(ref: ObjectRef): Promise<void> {
    const res = await this.resource(ref.apiVersion, ref.kind);
    const r = await this.call(
      'delete',
      res,
      'DELETE',
      this.path(ref.apiVersion, res, ref.namespace, ref.name),
      {},
      undefined,
      true,
    );
    if (r.status === 404) return;
    this.parse(r, 'delete', ref);
  }

  async recordEvent(involved: KubeObject, record: EventRecord): Promise<void> {
    const now = new Date();
    const event = newEvent(involved, record, {
      component: this.component,
      instance: hostname(),
      now,
      labels: this.eventLabels,
    });
    const ref = {
      apiVersion: 'v1',
      kind: 'Event',
      namespace: event.metadata.namespace,
      name: event.metadata.name,
    };
    if (!record.dedupeKey) {
      await this.create(event);
      return;
    }
    // Same key again: bump the one Event instead of adding another (optimistic on resourceVersion);
    // it changing or going away in between is a conflict, and the step runs again.
    await replanOnConflict(DEFAULT_CONFLICT_ATTEMPTS, async () => {
      try {
        await this.create(event);
        return;
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
      const existing = await this.get<KubeObject & { count?: number }>(ref);
      if (!existing)
        throw new ConflictError(`recording Event ${ref.namespace}/${ref.name}: it keeps changing`);
      await this.patch(ref, { type: 'merge', body: repeatPatch(existing, record, now) });
    });
  }

  async apiResources(): Promise<ApiGroupResources[]> {
    const discoveryRes: Resource = { plural: 'discovery', namespaced: false, label: 'discovery' };
    const groups: ApiGroupResources[] = [];
    for (const root of ['/api', '/apis']) {
      const r = await this.call(
        'discover',
        discoveryRes,
        'GET',
        root,
        { accept: AGGREGATED_DISCOVERY_ACCEPT },
        undefined,
        true,
      );
      const list = this.parse<AggregatedDiscoveryList>(r, 'discover', {
        kind: 'APIGroupDiscoveryList',
        name: root,
      });
      // A server without aggregated discovery answers the plain APIVersions/APIGroupList.
      if (list.kind !== 'APIGroupDiscoveryList')
        throw new KubeApiError(
          `discover ${root}: the API server does not serve aggregated discovery (got ${list.kind})`,
          406,
          'NotAcceptable',
        );
      for (const item of list.items ?? []) {
        groups.push({
          group: item.metadata?.name ?? '',
          versions: (item.versions ?? [])
            .filter((v) => v.freshness !== 'Stale')
            .map((v) => ({
              version: v.version,
              resources: (v.resources ?? []).map((res) => ({
                resource: res.resource,
                kind: res.responseKind?.kind ?? '',
                singular: res.singularResource ?? '',
                shortNames: res.shortNames ?? [],
                namespaced: res.scope === 'Namespaced',
                verbs: res.verbs ?? [],
              })),
            })),
        });
      }
    }
    return groups;
  }

  private path(
    apiVersion: string,
    res: Resource,
    namespace: string | undefined,
    name?: string,
  ): string {
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const ns = res.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    return `${base}${ns}/${res.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
  }

  /** Resource name and scope from discovery, cached per group/version; refreshed once on a miss (new CRD). */
  private async resource(apiVersion: string, kind: string): Promise<Resource> {
    for (let fresh = false; ; fresh = true) {
      let known = this.discovery.get(apiVersion);
      if (!known || fresh) {
        known = this.discover(apiVersion);
        this.discovery.set(apiVersion, known);
        known.catch(() => this.discovery.delete(apiVersion));
      }
      const res = (await known).get(kind);
      if (res) return res;
      if (fresh)
        throw new KubeApiError(
          `the API server does not serve ${kind} in ${apiVersion}`,
          404,
          'NotFound',
        );
    }
  }

  private async discover(apiVersion: string): Promise<Map<string, Resource>> {
    const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
    const discoveryRes: Resource = { plural: 'discovery', namespaced: false, label: 'discovery' };
    const r = await this.call('discover', discoveryRes, 'GET', path, {}, undefined, true);
    if (r.status === 404) return new Map();
    const list = this.parse<{
      resources: Array<{ name: string; kind: string; namespaced: boolean }>;
    }>(r, 'discover', {
      apiVersion,
      kind: 'APIResourceList',
      name: '',
    });
    const out = new Map<string, Resource>();
    for (const res of list.resources ?? []) {
      if (res.name.includes('/')) continue; // subresources
      out.set(res.kind, {
        plural: res.name,
        namespaced: res.namespaced,
        label: group ? `${res.name}.${group}` : res.name,
      });
    }
    return out;
  }

  /** One API call with metrics and, for idempotent calls, retries of transient failures. */
  private async call(
    verb: string,
    res: Resource,
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
    idempotent: boolean,
  ): Promise<RawResponse> {
    return retrying(
      this.retry,
      idempotent,
      async () => {
        const started = performance.now();
        let outcome = 'transient';
        try {
          const r = await this.transport.request(
            method,
            path,
            { accept: JSON_ACCEPT, ...headers },
            body,
          );
          outcome = outcomeOf(r.status);
          return r;
        } finally {
          this.observer?.kubeCall(verb, res.label, outcome, (performance.now() - started) / 1000);
        }
      },
      (r) => {
        if (!isTransientStatus(r.status)) return undefined;
        const retryAfterMs = parseRetryAfter(r.retryAfter, Date.now());
        return retryAfterMs === undefined
          ? { status: r.status }
          : { status: r.status, retryAfterMs };
      },
    );
  }

  private parse<T>(r: RawResponse, verb: string, ref: Partial<ObjectRef>): T {
    if (r.status >= 200 && r.status < 300) return JSON.parse(r.body) as T;
    const status = safeJson(r.body);
    const what =
      `${verb} ${ref.kind ?? ''} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name ?? ''}`.trim();
    const message = `${what}: ${r.status} ${status?.reason ?? ''} ${status?.message ?? ''}`.trim();
    if (r.status === 409)
      throw new ConflictError(message, new KubeApiError(message, 409, status?.reason));
    if (outcomeOf(r.status) === 'transient') throw new TransientError(message);
    throw new KubeApiError(message, r.status, status?.reason);
  }
}

function outcomeOf(status: number): string {
  if (status >= 200 && status < 300) return 'success';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (isTransientStatus(status)) return 'transient';
  return 'error';
}

function safeJson(text: string): { reason?: string; message?: string } | undefined {
  try {
    return JSON.parse(text) as { reason?: string; message?: string };
  } catch {
    return undefined;
  }
}
