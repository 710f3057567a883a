// Stands in for the Knative Broker (no Knative data plane runs here): one ingress the receive
// adapters send to, routing by the rendered config's Triggers (exact attribute filters), retrying
// with each Trigger's `delivery` (count, backoff, retryable statuses as Knative's dispatcher), and
// sending a subscriber's reply CloudEvent back into itself, as a Broker does. Events that exhaust
// their retries are kept as dead letters (the config's dead-letter Service only logs them).
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRetryable, retryDelayMs, routesFor } from './knative-model.ts';
import type { Route } from './knative-model.ts';

export interface BrokerEvent {
  /** CloudEvent context attributes and extensions, lower-case names, as strings. */
  attributes: Record<string, string>;
  contentType: string | undefined;
  body: Buffer;
  receivedAt: number;
  /** `adapter` (from an ingress POST) or the subscriber whose reply this is. */
  from: string;
}

export interface Delivery {
  event: BrokerEvent;
  trigger: string;
  subscriber: string;
  attempts: number;
  status: number;
  /** Reply event type, if the subscriber replied with one. */
  reply?: string;
  doneAt: number;
}

export interface Broker {
  url: string;
  events: BrokerEvent[];
  deliveries: Delivery[];
  deadLetters: Delivery[];
  /** Resolves when no delivery is in flight. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export interface BrokerOptions {
  routes: Route[];
  /** Knative Service name → URL of the process standing in for it. */
  subscribers: ReadonlyMap<string, string>;
  log?: (line: string) => void;
  /** Per-attempt timeout (Knative's default delivery timeout is none; a hung function must fail the test). */
  attemptTimeoutMs?: number;
}

const STRUCTURED = 'application/cloudevents+json';

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A CloudEvent from HTTP headers and body, binary or structured mode. */
export function parseHttpEvent(
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
  from: string,
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
    return { attributes, contentType: dataType, body: data, receivedAt: Date.now(), from };
  }
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith('ce-') || value === undefined) continue;
    // Forwarded as received: the CloudEvents HTTP binding's percent-encoding is the receiver's job.
    attributes[name.slice(3)] = Array.isArray(value) ? value[0]! : value;
  }
  if (!attributes['type']) return undefined;
  return { attributes, contentType, body, receivedAt: Date.now(), from };
}

function binaryHeaders(e: BrokerEvent): Record<string, string> {
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.attributes)) h[`ce-${k}`] = v;
  if (e.contentType) h['content-type'] = e.contentType;
  return h;
}

export async function startBroker(options: BrokerOptions): Promise<Broker> {
  const log = options.log ?? (() => {});
  const events: BrokerEvent[] = [];
  const deliveries: Delivery[] = [];
  const deadLetters: Delivery[] = [];
  let inFlight = 0;
  let closed = false;
  // Ends pending backoffs and attempts on close, so no timer outlives the suite.
  const stopping = new AbortController();
  let idleWaiters: Array<() => void> = [];
  const settle = () => {
    if (inFlight > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  };

  async function attempt(url: string, e: BrokerEvent) {
    const res = await fetch(url, {
      method: 'POST',
      headers: binaryHeaders(e),
      body: new Uint8Array(e.body),
      signal: AbortSignal.any([
        AbortSignal.timeout(options.attemptTimeoutMs ?? 60_000),
        stopping.signal,
      ]),
    });
    const body = Buffer.from(await res.arrayBuffer());
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => (headers[k] = v));
    return { status: res.status, headers, body };
  }

  async function deliver(route: Route, e: BrokerEvent): Promise<void> {
    const url = options.subscribers.get(route.subscriber);
    const what = `${e.attributes['type']} ${e.attributes['kind'] ?? ''}/${e.attributes['name'] ?? ''} → ${route.trigger}`;
    let status = -1;
    let attempts = 0;
    let reply: BrokerEvent | undefined;
    for (;;) {
      attempts++;
      try {
        if (!url) throw new Error(`no process for Service ${route.subscriber}`);
        const res = await attempt(url, e);
        status = res.status;
        if (status >= 200 && status < 300) {
          reply = parseHttpEvent(res.headers, res.body, route.subscriber);
          break;
        }
        if (!isRetryable(status)) break;
      } catch (err) {
        status = -1;
        log(`broker: ${what}: ${(err as Error).message}`);
      }
      if (attempts > route.retry || closed) break;
      await sleep(retryDelayMs(route, attempts), undefined, { signal: stopping.signal }).catch(
        () => undefined,
      );
    }
    const d: Delivery = {
      event: e,
      trigger: route.trigger,
      subscriber: route.subscriber,
      attempts,
      status,
      ...(reply ? { reply: reply.attributes['type'] } : {}),
      doneAt: Date.now(),
    };
    // Attempts cut short by close() are the suite ending, not a delivery failure.
    if (closed) return;
    deliveries.push(d);
    if (status < 200 || status >= 300) {
      deadLetters.push(d);
      log(`broker: dead letter after ${attempts} attempt(s), status ${status}: ${what}`);
    }
    // A Trigger subscriber's reply goes back into the Broker like any other event.
    if (reply) ingest(reply);
  }

  function ingest(e: BrokerEvent): void {
    e.attributes['id'] ??= randomUUID();
    events.push(e);
    for (const route of routesFor(options.routes, e.attributes)) {
      inFlight++;
      void deliver(route, e).finally(() => {
        inFlight--;
        settle();
      });
    }
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const body = await readBody(req);
      const e = req.method === 'POST' ? parseHttpEvent(req.headers, body, 'adapter') : undefined;
      if (!e) {
        res.writeHead(400).end();
        return;
      }
      ingest(e);
      // The Broker ingress acknowledges once the event is accepted, before fan-out.
      res.writeHead(202).end();
    })().catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('broker: no address');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    events,
    deliveries,
    deadLetters,
    idle: () =>
      inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => idleWaiters.push(r)),
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        stopping.abort();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
