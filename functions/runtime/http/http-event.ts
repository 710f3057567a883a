// Reading a CloudEvent from an HTTP request, binary or structured mode (CloudEvents HTTP
// binding 1.0). Deliberately a lean parser rather than the SDK's HTTP.toEvent: toEvent does not
// validate (we validate with our own schemas anyway), costs measurably per event on the hot path,
// rewrites `time` and turns data_base64 into a Uint32Array. Data is parsed only when a binding
// wants the event, so ignored events never pay for JSON.parse.

import type { IncomingHttpHeaders } from 'node:http';
import { HttpProblem } from './problem.ts';

export interface ParsedEvent {
  mode: 'binary' | 'structured';
  /** Context attributes and extensions as in structured-mode JSON (what the envelope schema checks). */
  attributes: Record<string, unknown>;
  /** The data, parsed; null when the event has none. Throws HttpProblem. */
  data(): unknown;
}

const JSON_MEDIA = /^(?:application\/(?:[\w.+-]+\+)?json|text\/json)\s*(?:;|$)/i;
const STRUCTURED = /^application\/cloudevents\+json\s*(?:;|$)/i;
const BATCH = /^application\/cloudevents-batch\+json\s*(?:;|$)/i;

export function isJsonMediaType(type: string | undefined): boolean {
  return type === undefined || JSON_MEDIA.test(type);
}

export function parseEvent(headers: IncomingHttpHeaders, body: Buffer): ParsedEvent {
  const contentType = headers['content-type'];
  if (contentType !== undefined && STRUCTURED.test(contentType)) return parseStructured(body);
  if (contentType !== undefined && BATCH.test(contentType)) {
    throw new HttpProblem(
      'not-a-cloudevent',
      'batched content mode is not supported; send one event per request',
    );
  }
  if (headers['ce-specversion'] !== undefined) return parseBinary(headers, contentType, body);
  throw new HttpProblem(
    'not-a-cloudevent',
    'expected a CloudEvent: binary mode (ce-specversion header) or structured mode (Content-Type application/cloudevents+json)',
  );
}

function parseBinary(
  headers: IncomingHttpHeaders,
  contentType: string | undefined,
  body: Buffer,
): ParsedEvent {
  const attributes: Record<string, unknown> = {};
  for (const name in headers) {
    if (!name.startsWith('ce-')) continue;
    const raw = headers[name];
    const value = unquote(name, Array.isArray(raw) ? raw.join(',') : (raw ?? ''));
    attributes[name.slice(3)] = value.includes('%') ? percentDecode(name, value) : value;
  }
  if (contentType !== undefined) attributes.datacontenttype = contentType;
  return {
    mode: 'binary',
    attributes,
    data() {
      if (body.length === 0) return null;
      if (!isJsonMediaType(contentType)) {
        throw new HttpProblem('unsupported-data', `data content type ${contentType} is not JSON`);
      }
      return parseJson(body, 'data');
    },
  };
}

function parseStructured(body: Buffer): ParsedEvent {
  const parsed = parseJson(body, 'structured-mode body');
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new HttpProblem('invalid-event', 'structured-mode body must be a JSON object');
  }
  const {
    data,
    data_base64: dataBase64,
    ...attributes
  } = withoutNulls(parsed as Record<string, unknown>);
  const contentType =
    typeof attributes.datacontenttype === 'string' ? attributes.datacontenttype : undefined;
  return {
    mode: 'structured',
    attributes,
    data() {
      if (dataBase64 !== undefined) {
        if (data !== undefined)
          throw new HttpProblem('invalid-event', 'both data and data_base64 are set');
        if (typeof dataBase64 !== 'string')
          throw new HttpProblem('invalid-event', 'data_base64 must be a string');
        if (!isJsonMediaType(contentType)) {
          throw new HttpProblem('unsupported-data', `data content type ${contentType} is not JSON`);
        }
        return parseJson(Buffer.from(dataBase64, 'base64'), 'data_base64');
      }
      if (data === undefined) return null;
      if (!isJsonMediaType(contentType)) {
        throw new HttpProblem('unsupported-data', `data content type ${contentType} is not JSON`);
      }
      return data;
    },
  };
}

function parseJson(body: Buffer, what: string): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new HttpProblem('invalid-event', `${what} is not valid JSON: ${(err as Error).message}`);
  }
}

// JSON format §"Type System Mapping": an attribute whose value is JSON null is unset, so a sender
// that serialises every field (`"subject": null`) means the same as one that omits it.
function withoutNulls(body: Record<string, unknown>): Record<string, unknown> {
  const set: Record<string, unknown> = {};
  for (const key in body) if (body[key] !== null) set[key] = body[key];
  return set;
}

// HTTP binding §3.1.3.2: a header value is first unescaped as an RFC 7230 §3.2.6 quoted-string
// (surrounding DQUOTEs dropped, backslash-escaped octets taken literally), then percent-decoded.
function unquote(header: string, value: string): string {
  if (!value.startsWith('"')) return value;
  let out = '';
  for (let i = 1; i < value.length; i++) {
    const c = value[i];
    if (c === '"') {
      if (i !== value.length - 1) break;
      return out;
    }
    if (c === '\\') {
      i++;
      if (i >= value.length) break;
      out += value[i];
    } else out += c;
  }
  throw new HttpProblem('invalid-event', `header ${header} has an unterminated quoted-string`);
}

function percentDecode(header: string, value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new HttpProblem('invalid-event', `header ${header} has invalid percent-encoding`);
  }
}
