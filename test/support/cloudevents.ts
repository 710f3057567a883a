// Builds CloudEvents exactly as Knative sends them, for handler and HTTP tests.
// Shapes follow knative.dev/eventing v0.50.0:
//  - pkg/adapter/apiserver/events/events.go (ApiServerSource): type per verb and mode, source =
//    the API server host of the adapter's rest.Config, subject = createSelfLink(), extensions
//    kind/apiversion/name/namespace, data = the object (Resource mode) or a core/v1
//    ObjectReference (Reference mode), application/json, binary HTTP mode, fresh UUID id and
//    current time (pkg/adapter/v2/cloudevents.go: WithUUIDs, WithTimeNow).
//  - pkg/adapter/mtping/runner.go (PingSource): type dev.knative.sources.ping, source
//    /apis/v1/namespaces/<ns>/pingsources/<name>, data = spec.data with spec.contentType.
//  - A Broker adds the `knativearrivaltime` extension when it delivers to a Trigger subscriber.

import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { InboundEvent } from '../../functions/runtime/function.ts';

/** What ApiServerSource's in-cluster rest.Config has as Host. */
export const IN_CLUSTER_API_HOST = 'https://10.96.0.1:443';

export type Verb = 'add' | 'update' | 'delete';
export type Mode = 'resource' | 'ref';

interface ObjectLike {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

/** k8s.io/apimachinery meta.UnsafeGuessKindToResource, which the adapter uses for the subject. */
export function guessPlural(kind: string): string {
  const singular = kind.toLowerCase();
  if (singular.endsWith('endpoints')) return singular;
  if (singular.endsWith('s')) return `${singular}es`;
  if (singular.endsWith('y')) return `${singular.slice(0, -1)}ies`;
  return `${singular}s`;
}

/** The adapter's createSelfLink(), quirks included (`/apis/v1/...` for core objects). */
export function selfLink(
  apiVersion: string,
  kind: string,
  namespace: string,
  name: string,
): string {
  const version =
    apiVersion.includes('.') && !apiVersion.includes('/')
      ? `${apiVersion}/versionUnknown`
      : apiVersion;
  return `/apis/${version}/namespaces/${namespace}/${guessPlural(kind)}/${name}`;
}

export function apiServerEvent<T extends ObjectLike>(
  verb: Verb,
  obj: T,
  mode: Mode = 'resource',
  overrides: Partial<InboundEvent> = {},
): InboundEvent {
  const { apiVersion, kind } = obj;
  const { name, namespace = '' } = obj.metadata;
  // corev1.ObjectReference marshals in this field order, empty fields omitted.
  const ref = { kind, ...(namespace ? { namespace } : {}), name, apiVersion };
  return {
    id: randomUUID(),
    source: IN_CLUSTER_API_HOST,
    type: `dev.knative.apiserver.${mode}.${verb}`,
    subject: selfLink(apiVersion, kind, namespace, name),
    time: new Date().toISOString(),
    extensions: { kind, apiversion: apiVersion, name, namespace },
    data: mode === 'resource' ? structuredClone(obj) : ref,
    ...overrides,
  };
}

export function pingEvent(
  data: unknown = { resync: 'all' },
  pingSource: { namespace: string; name: string } = {
    namespace: 'vmgroup-backup',
    name: 'resync',
  },
): InboundEvent {
  return {
    id: randomUUID(),
    source: `/apis/v1/namespaces/${pingSource.namespace}/pingsources/${pingSource.name}`,
    type: 'dev.knative.sources.ping',
    time: new Date().toISOString(),
    extensions: {},
    data,
  };
}

export interface HttpMessage {
  headers: Record<string, string>;
  body: string;
}

/** Binary content mode, as the Broker delivers to a Trigger's subscriber. */
export function toBinaryHttp(
  event: InboundEvent,
  options: { viaBroker?: boolean } = {},
): HttpMessage {
  const headers: Record<string, string> = {
    'ce-specversion': '1.0',
    'ce-id': event.id,
    'ce-source': event.source,
    'ce-type': event.type,
  };
  if (event.subject !== undefined) headers['ce-subject'] = event.subject;
  if (event.time !== undefined) headers['ce-time'] = event.time;
  for (const [key, value] of Object.entries(event.extensions)) headers[`ce-${key}`] = value;
  if (options.viaBroker ?? true) headers['ce-knativearrivaltime'] = new Date().toISOString();
  if (event.data === undefined || event.data === null) return { headers, body: '' };
  headers['content-type'] = 'application/json';
  return { headers, body: JSON.stringify(event.data) };
}

/** Structured content mode (application/cloudevents+json). */
export function toStructuredHttp(event: InboundEvent): HttpMessage {
  const { extensions, data, ...attributes } = event;
  const body = {
    specversion: '1.0',
    ...attributes,
    ...extensions,
    ...(data === undefined ? {} : { datacontenttype: 'application/json', data }),
  };
  return {
    headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
    body: JSON.stringify(body),
  };
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON when the response is JSON, the text otherwise, undefined when empty. */
  body: unknown;
  /** The reply CloudEvent when the response is a binary-mode event. */
  reply?: InboundEvent;
}

export async function postRaw(
  url: string,
  message: HttpMessage,
  method = 'POST',
): Promise<HttpResponse> {
  const res = await fetch(url, { method, headers: message.headers, body: message.body });
  return responseOf(res.status, Object.fromEntries(res.headers.entries()), await res.text());
}

function responseOf(status: number, headers: Record<string, string>, text: string): HttpResponse {
  const type = headers['content-type'] ?? '';
  const body = text === '' ? undefined : /[/+]json\b/.test(type) ? JSON.parse(text) : text;
  return { status, headers, body, reply: replyEvent(headers, body) };
}

/**
 * An event POSTed with no client-side timeout, for requests that outlive fetch's 300 s headers
 * timeout (undici's default): a labeler resync over 10,000 VMs answers its tick after minutes.
 */
export function postEventUnbounded(url: string, event: InboundEvent): Promise<HttpResponse> {
  const message = toBinaryHttp(event);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: message.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers))
          if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
        try {
          resolve(responseOf(res.statusCode ?? 0, headers, Buffer.concat(chunks).toString('utf8')));
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
    req.on('error', reject);
    req.end(message.body);
  });
}

export async function postEvent(
  url: string,
  event: InboundEvent,
  mode: 'binary' | 'structured' = 'binary',
): Promise<HttpResponse> {
  return postRaw(url, mode === 'binary' ? toBinaryHttp(event) : toStructuredHttp(event));
}

const CORE_HEADERS = new Set([
  'specversion',
  'id',
  'source',
  'type',
  'subject',
  'time',
  'dataschema',
]);

function replyEvent(headers: Record<string, string>, body: unknown): InboundEvent | undefined {
  if (headers['ce-specversion'] === undefined) return undefined;
  const extensions: Record<string, string> = {};
  const attrs: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith('ce-')) continue;
    const key = name.slice(3);
    (CORE_HEADERS.has(key) ? attrs : extensions)[key] = decodeURIComponent(value);
  }
  return {
    id: attrs.id ?? '',
    source: attrs.source ?? '',
    type: attrs.type ?? '',
    ...(attrs.subject === undefined ? {} : { subject: attrs.subject }),
    ...(attrs.time === undefined ? {} : { time: attrs.time }),
    extensions:
      attrs.dataschema === undefined ? extensions : { ...extensions, dataschema: attrs.dataschema },
    data: body,
  };
}
