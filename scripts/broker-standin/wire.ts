// CloudEvents on the wire for the Broker stand-in, pure: read one from an HTTP message (binary or
// structured mode, as sources and function replies send them), write it in binary mode (as a
// Broker delivers to a Trigger's subscriber), and turn the runtime's InboundEvent into one. The
// body is kept as received, so the data reaches the subscriber byte for byte.
// Why this folder is under scripts/: see routes.ts.
import type { InboundEvent } from '../../functions/runtime/function.ts';
import { canonicalTime } from './filters.ts';

export interface BrokerEvent {
  /** CloudEvent context attributes and extensions, lower-case names, decoded string values. */
  attributes: Record<string, string>;
  /** datacontenttype, carried as Content-Type in binary mode. */
  contentType: string | undefined;
  body: Buffer;
  receivedAt: number;
  /** Who put it on the Broker: a source, `adapter` (ingress POST), or the subscriber that replied. */
  from: string;
}

const STRUCTURED = 'application/cloudevents+json';

type Headers = Readonly<Record<string, string | string[] | undefined>>;

/** A CloudEvent from HTTP headers and body, binary or structured mode; undefined if it is none. */
export function parseHttpEvent(
  headers: Headers,
  body: Buffer,
  from: string,
  now = Date.now(),
): BrokerEvent | undefined {
  const header = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const contentType = header('content-type');
  if (contentType?.startsWith(STRUCTURED)) {
    const doc = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    const attributes: Record<string, string> = {};
    let data: Buffer = Buffer.alloc(0);
    let dataType: string | undefined;
    for (const [k, v] of Object.entries(doc)) {
      if (k === 'data') data = Buffer.from(JSON.stringify(v));
      else if (k === 'data_base64') data = Buffer.from(String(v), 'base64');
      else if (k === 'datacontenttype') dataType = String(v);
      else attributes[k] = String(v);
    }
    if (!attributes['type']) return undefined;
    return { attributes, contentType: dataType, body: data, receivedAt: now, from };
  }
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith('ce-') || value === undefined) continue;
    const decoded = decodeHeaderValue(Array.isArray(value) ? value[0]! : value);
    if (decoded === undefined) return undefined;
    attributes[name.slice(3)] = decoded;
  }
  if (!attributes['type']) return undefined;
  return { attributes, contentType, body, receivedAt: now, from };
}

/**
 * Why Knative's ingress would refuse the event (400), or undefined: the CloudEvents 1.0 required
 * attributes and an RFC 3339 `time` (the Go SDK's Validate and its attribute parsing).
 */
export function invalidEvent(e: BrokerEvent): string | undefined {
  const a = e.attributes;
  if (a['specversion'] !== '1.0') return `specversion ${a['specversion'] ?? '(none)'} is not 1.0`;
  for (const name of ['id', 'source', 'type']) if (!a[name]) return `${name} is required`;
  if (a['time'] !== undefined && canonicalTime(a['time']) === undefined)
    return `time ${a['time']} is not RFC 3339`;
  return undefined;
}

/** Binary content mode headers, as the Broker delivers to a Trigger's subscriber. */
export function binaryHeaders(e: BrokerEvent): Record<string, string> {
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.attributes)) h[`ce-${k}`] = encodeHeaderValue(v);
  if (e.contentType) h['content-type'] = e.contentType;
  return h;
}

/** What a Trigger filter sees: every attribute, datacontenttype included. */
export function filterView(e: BrokerEvent): Record<string, string> {
  return e.contentType === undefined
    ? e.attributes
    : { ...e.attributes, datacontenttype: e.contentType };
}

/**
 * CloudEvents HTTP binding 1.0, 3.1.3.2: space, '"', '%' and anything outside printable ASCII are
 * percent-encoded in ce- headers (the runtime decodes them).
 */
export function encodeHeaderValue(value: string): string {
  return value.replace(/[^\x21\x23\x24\x26-\x7e]/gu, (c) => encodeURIComponent(c));
}

/** The reverse; undefined for a malformed escape (the real ingress answers 400). */
function decodeHeaderValue(value: string): string | undefined {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** The runtime's event shape (what test/support builds) as the bytes a source would send. */
export function fromInboundEvent(e: InboundEvent, from: string, now = Date.now()): BrokerEvent {
  const attributes: Record<string, string> = { specversion: '1.0' };
  const plain: Record<string, string | undefined> = {
    id: e.id,
    source: e.source,
    type: e.type,
    subject: e.subject,
    time: e.time,
    ...e.extensions,
  };
  for (const [k, v] of Object.entries(plain)) if (v !== undefined) attributes[k] = v;
  const hasData = e.data !== undefined && e.data !== null;
  return {
    attributes,
    contentType: hasData ? 'application/json' : undefined,
    body: hasData ? Buffer.from(JSON.stringify(e.data)) : Buffer.alloc(0),
    receivedAt: now,
    from,
  };
}
