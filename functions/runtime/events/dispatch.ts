// One request through the runtime: parse → envelope schema → match a binding → deduplicate →
// data schema → handler → reply. Returns what to answer; never throws. Kept free of HTTP
// framework types so the decision table (docs/reference.md, "HTTP contract") is readable in one place.

import type { IncomingHttpHeaders } from 'node:http';
import type {
  Binding,
  FunctionDefinition,
  InboundEvent,
  Logger,
  ProductIdentity,
  RuntimeContext,
} from '../function.ts';
import type { ValidatorSet } from '../schema/validation.ts';
import type { RecentEvents } from './dedupe.ts';
import type { RuntimeMetrics } from '../process/metrics.ts';
import type { RuntimeLogger } from '../process/logger.ts';
import { violation } from '../schema/validation.ts';
import { matchBinding } from './match.ts';
import { parseEvent } from '../http/http-event.ts';
import { HttpProblem } from '../http/problem.ts';
import { ConflictError, TransientError, UnprocessableError } from '../errors.ts';
import { toHttpReply } from './reply.ts';
import { schemaId } from '../schema/schema-files.ts';
import { replanOnConflict } from '../apply/conflict-policy.ts';

export const ENVELOPE_SCHEMA = schemaId('cloudevents/cloudevent');
const APISERVER_ENVELOPE = schemaId('cloudevents/apiserver-envelope');
const PING_ENVELOPE = schemaId('cloudevents/pingsource-envelope');

export interface Dispatcher {
  def: FunctionDefinition<unknown>;
  deps: unknown;
  ctx: RuntimeContext;
  validators: ValidatorSet;
  recent: RecentEvents;
  metrics: RuntimeMetrics;
  product: ProductIdentity;
  /** Extra handler attempts after a ConflictError (the handler re-reads live state each time). */
  conflictRetries: number;
}

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body?: string;
}

interface Outcome extends Answer {
  outcome: string;
  type: string;
  event?: Pick<InboundEvent, 'id' | 'type' | 'subject'>;
  problem?: string;
}

const PROBLEM_JSON = { 'content-type': 'application/problem+json' };
const CORE = new Set([
  'specversion',
  'id',
  'source',
  'type',
  'subject',
  'time',
  'datacontenttype',
  'dataschema',
]);

export async function dispatch(
  d: Dispatcher,
  headers: IncomingHttpHeaders,
  body: Buffer,
): Promise<Answer> {
  const started = process.hrtime.bigint();
  const result = await decide(d, headers, body);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  d.metrics.eventHandled(result.type, result.outcome, seconds);
  logOutcome((d.ctx.logger as RuntimeLogger).eventLine ?? d.ctx.logger, result, seconds);
  const { status, headers: h, body: b } = result;
  return b === undefined ? { status, headers: h } : { status, headers: h, body: b };
}

async function decide(d: Dispatcher, headers: IncomingHttpHeaders, body: Buffer): Promise<Outcome> {
  let type = 'invalid';
  let event: InboundEvent | undefined;
  try {
    const parsed = parseEvent(headers, body);
    const attrs = parsed.attributes;
    checkSchema(d.validators, envelopeSchema(attrs.type), attrs, 'envelope');
    const envelope = toInbound(attrs);
    const match = matchBinding(d.def.bindings, envelope.type, envelope.extensions);
    if ('skip' in match) {
      return {
        status: 202,
        headers: {},
        outcome: 'ignored',
        type: 'unmatched',
        event: envelope,
        problem: match.skip,
      };
    }
    type = match.binding.type;
    if (d.recent.has(envelope.source, envelope.id)) {
      return { status: 202, headers: {}, outcome: 'duplicate', type, event: envelope };
    }
    event = { ...envelope, data: parsed.data() };
    checkSchema(d.validators, match.binding.dataSchema, event.data, 'data');
    const replies = (await invoke(d, match.binding, event)) ?? [];
    d.recent.add(event.source, event.id);
    const first = replies[0];
    if (first === undefined) return { status: 204, headers: {}, outcome: 'handled', type, event };
    if (replies.length > 1) {
      d.ctx.logger.warn(
        { id: event.id, dropped: replies.length - 1 },
        'handler returned several replies; HTTP carries one, the rest are dropped',
      );
    }
    const reply = await toHttpReply(first, event, 0, d.validators, d.ctx.clock.now(), d.product);
    return {
      status: 200,
      headers: reply.headers,
      body: reply.body,
      outcome: 'replied',
      type,
      event,
    };
  } catch (err) {
    return { ...failure(err, d.ctx.logger, event), type, ...(event ? { event } : {}) };
  }
}

function envelopeSchema(type: unknown): string {
  if (typeof type === 'string' && type.startsWith('dev.knative.apiserver.'))
    return APISERVER_ENVELOPE;
  if (type === 'dev.knative.sources.ping') return PING_ENVELOPE;
  return ENVELOPE_SCHEMA;
}

function checkSchema(
  validators: ValidatorSet,
  id: string,
  value: unknown,
  part: 'envelope' | 'data',
): void {
  const bad = violation(validators, id, value);
  if (bad) {
    throw new HttpProblem('invalid-event', `${part} ${bad.message}`, {
      part,
      schema: bad.schema,
      schemaPath: bad.schemaPath,
      instancePath: bad.instancePath,
    });
  }
}

function toInbound(attrs: Record<string, unknown>): InboundEvent {
  const extensions: Record<string, string> = {};
  for (const key in attrs) if (!CORE.has(key)) extensions[key] = String(attrs[key]);
  return {
    id: attrs.id as string,
    source: attrs.source as string,
    type: attrs.type as string,
    ...(attrs.subject === undefined ? {} : { subject: attrs.subject as string }),
    ...(attrs.time === undefined ? {} : { time: attrs.time as string }),
    extensions,
    data: null,
  };
}

/** The handler re-reads live state on every run, so a conflict is answered by running it again. */
function invoke(d: Dispatcher, binding: Binding, event: InboundEvent) {
  return replanOnConflict(d.conflictRetries + 1, () => binding.handle(event, d.deps));
}

/** The Kube adapter's KubeApiError for HTTP 403 (duck-typed: dispatch does not load the adapter). */
function isForbidden(err: unknown): boolean {
  const e = err as { name?: unknown; status?: unknown } | null;
  return e?.name === 'KubeApiError' && e.status === 403;
}

function failure(
  err: unknown,
  logger: Logger,
  event: InboundEvent | undefined,
): Omit<Outcome, 'type'> {
  if (err instanceof HttpProblem) {
    const outcome =
      err.status === 413 ? 'too_large' : err.status === 415 ? 'unsupported' : 'invalid';
    return {
      status: err.status,
      headers: PROBLEM_JSON,
      body: JSON.stringify(err.body()),
      outcome,
      problem: err.detail,
    };
  }
  // A 403 from the API server: the event points at an object outside this function's RBAC (a
  // forged or misrouted event, e.g. a Backup in kube-system). Retrying cannot help, so it is
  // answered like an unprocessable event (422, dead-lettered at once with the reason) rather than
  // as an unexpected 500 (reliability suite, hostile input).
  if (err instanceof UnprocessableError || isForbidden(err)) {
    const p = new HttpProblem('unprocessable', (err as Error).message);
    return {
      status: 422,
      headers: PROBLEM_JSON,
      body: JSON.stringify(p.body()),
      outcome: 'unprocessable',
      problem: (err as Error).message,
    };
  }
  if (err instanceof TransientError) {
    const p = new HttpProblem('unavailable', `${err.name}: ${err.message}`);
    return {
      status: 503,
      headers: { ...PROBLEM_JSON, 'retry-after': '1' },
      body: JSON.stringify(p.body()),
      outcome: err instanceof ConflictError ? 'conflict' : 'transient',
      problem: err.message,
    };
  }
  // Unexpected: log the stack here, answer without it.
  logger.error({ id: event?.id, err }, 'handler failed');
  const p = new HttpProblem('internal', 'the function failed unexpectedly; see its logs');
  return {
    status: 500,
    headers: PROBLEM_JSON,
    body: JSON.stringify(p.body()),
    outcome: 'error',
    problem: (err as Error)?.message,
  };
}

function logOutcome(logger: Logger, r: Outcome, seconds: number): void {
  const line = {
    id: r.event?.id,
    type: r.event?.type,
    subject: r.event?.subject,
    outcome: r.outcome,
    status: r.status,
    ms: Math.round(seconds * 1e6) / 1e3,
    ...(r.problem === undefined ? {} : { reason: r.problem }),
  };
  if (r.status >= 500) logger.error(line, 'event');
  else if (r.status >= 400) logger.warn(line, 'event');
  else if (r.outcome === 'ignored' || r.outcome === 'duplicate') logger.debug(line, 'event');
  else logger.info(line, 'event');
}
