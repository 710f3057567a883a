// The Broker stand-in's doing half, kept thin: one HTTP ingress (sources POST to it) plus an
// in-process publish(), fan-out to every Route whose Trigger filter passes (routes.ts), binary-mode
// POSTs to the subscriber's URL, and after each attempt whatever delivery.ts decides. A
// subscriber's reply CloudEvent goes back into the Broker, as Knative's broker does with a
// Trigger subscriber's reply. Events that end in dead letter are kept in `deadLetters` (the
// config's dead-letter Service only logs them). Why this folder is under scripts/: see routes.ts.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { NO_RESPONSE, nextStep } from './delivery.ts';
import type { NextStep } from './delivery.ts';
import { routesFor } from './routes.ts';
import type { Route } from './routes.ts';
import { binaryHeaders, filterView, invalidEvent, parseHttpEvent } from './wire.ts';
import type { BrokerEvent } from './wire.ts';

export type { BrokerEvent } from './wire.ts';

export interface Delivery {
  event: BrokerEvent;
  trigger: string;
  subscriber: string;
  attempts: number;
  /** Last attempt's HTTP status, NO_RESPONSE (-1) when there was none. */
  status: number;
  outcome: 'delivered' | 'dead-letter';
  /** Reply event type, if the subscriber replied with one. */
  reply?: string;
  startedAt: number;
  doneAt: number;
}

export interface Broker {
  /** The ingress: POST a CloudEvent (binary or structured), answered 202 once accepted. */
  url: string;
  /** Every event the Broker accepted, replies included, in arrival order. */
  events: BrokerEvent[];
  deliveries: Delivery[];
  deadLetters: Delivery[];
  /** Accepts an event without HTTP, as a source posting to the ingress would. */
  publish(event: BrokerEvent): void;
  /** Resolves when no delivery is in flight. */
  idle(): Promise<void>;
  /**
   * Resolves once nothing is in flight and nothing happened for `quietMs` (a function's write
   * may come back as a new event a moment after its delivery ended).
   */
  settled(quietMs?: number, timeoutMs?: number): Promise<void>;
  /** Marks activity coming from outside (an event about to be published). */
  touch(): void;
  /** Stops the ingress and cuts pending retries short; deliveries cut short are not recorded. */
  close(): Promise<void>;
}

export interface BrokerOptions {
  routes: readonly Route[];
  /** Knative Service name → URL of the process standing in for it. */
  subscribers: ReadonlyMap<string, string>;
  log?: (line: string) => void;
  /** Called as each delivery ends, delivered or dead-lettered. */
  onDelivery?: (d: Delivery) => void;
  /**
   * Per-attempt timeout when the Trigger sets none (Knative's default is none, but a hung
   * function must fail a run rather than hang it).
   */
  attemptTimeoutMs?: number;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** One attempt: the event in binary mode to the subscriber, its answer read whole. */
async function attempt(url: string, e: BrokerEvent, timeoutMs: number, stop: AbortSignal) {
  const res = await fetch(url, {
    method: 'POST',
    headers: binaryHeaders(e),
    body: new Uint8Array(e.body),
    signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), stop]),
  });
  const body = Buffer.from(await res.arrayBuffer());
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => (headers[k] = v));
  return { status: res.status, headers, body };
}

interface Attempts {
  attempts: number;
  status: number;
  /** The last step decided: delivered, dead-letter, or retry when close() cut it short. */
  next: NextStep;
  reply?: BrokerEvent;
}

/** Attempts until delivery.ts says delivered or dead letter, or until `stop` fires. */
async function attemptAll(
  route: Route,
  e: BrokerEvent,
  url: string | undefined,
  timeoutMs: number,
  stop: AbortSignal,
  log: (line: string) => void,
): Promise<Attempts> {
  for (let attempts = 1; ; attempts++) {
    let res: Awaited<ReturnType<typeof attempt>> | undefined;
    try {
      if (!url) throw new Error(`no process for Service ${route.subscriber}`);
      res = await attempt(url, e, timeoutMs, stop);
    } catch (err) {
      if (!stop.aborted) log(`broker: ${label(e, route)}: ${(err as Error).message}`);
    }
    const status = res?.status ?? NO_RESPONSE;
    const next = nextStep(route, attempts, status);
    if (next.step === 'delivered' && res) {
      const reply = replyOf(res, route, e, log);
      return { attempts, status, next, ...(reply ? { reply } : {}) };
    }
    if (next.step !== 'retry' || stop.aborted) return { attempts, status, next };
    await sleep(next.afterMs, undefined, { signal: stop }).catch(() => undefined);
  }
}

/** The subscriber's reply CloudEvent, if any; a malformed one is logged and dropped. */
function replyOf(
  res: { headers: Record<string, string>; body: Buffer },
  route: Route,
  e: BrokerEvent,
  log: (line: string) => void,
): BrokerEvent | undefined {
  try {
    return parseHttpEvent(res.headers, res.body, route.subscriber);
  } catch (err) {
    log(`broker: ${label(e, route)}: malformed reply: ${(err as Error).message}`);
    return undefined;
  }
}

const label = (e: BrokerEvent, route: Route): string =>
  `${e.attributes['type']} ${e.attributes['kind'] ?? ''}/${e.attributes['name'] ?? ''} → ${route.trigger}`;

/**
 * What is in flight and when anything last happened, for idle() and settled(). Exported for the
 * real Broker's recorder (test/e2e/stack/knative-broker.ts), which counts proxied exchanges.
 */
export class Activity {
  private inFlight = 0;
  private last = Date.now();
  private waiters: Array<() => void> = [];

  touch(): void {
    this.last = Date.now();
  }

  begin(): void {
    this.inFlight++;
    this.touch();
  }

  end(): void {
    this.inFlight--;
    this.touch();
    if (this.inFlight > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  track(work: Promise<void>): void {
    this.begin();
    void work.finally(() => this.end());
  }

  idle(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => this.waiters.push(r));
  }

  async settled(quietMs: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight > 0 || Date.now() - this.last < quietMs) {
      if (Date.now() > deadline)
        throw new Error(`events still in flight after ${timeoutMs / 1000}s`);
      await sleep(100);
    }
  }
}

/** The HTTP ingress on an ephemeral local port: 202 once accepted, before fan-out, as Knative's. */
async function listenIngress(accept: (e: BrokerEvent) => void) {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const body = await readBody(req);
      const e = req.method === 'POST' ? parseHttpEvent(req.headers, body, 'adapter') : undefined;
      if (!e || invalidEvent(e)) return void res.writeHead(400).end();
      accept(e);
      res.writeHead(202).end();
    })().catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('broker: no address');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function startBroker(options: BrokerOptions): Promise<Broker> {
  const log = options.log ?? (() => {});
  const events: BrokerEvent[] = [];
  const deliveries: Delivery[] = [];
  const deadLetters: Delivery[] = [];
  const activity = new Activity();
  // Ends pending backoffs and attempts on close, so no timer outlives the run.
  const stopping = new AbortController();

  async function deliver(route: Route, e: BrokerEvent): Promise<void> {
    const startedAt = Date.now();
    const timeoutMs = route.timeoutMs ?? options.attemptTimeoutMs ?? 60_000;
    const url = options.subscribers.get(route.subscriber);
    const done = await attemptAll(route, e, url, timeoutMs, stopping.signal, log);
    // Attempts cut short by close() are the run ending, not a delivery failure.
    if (stopping.signal.aborted || done.next.step === 'retry') return;
    const d: Delivery = {
      event: e,
      trigger: route.trigger,
      subscriber: route.subscriber,
      attempts: done.attempts,
      status: done.status,
      outcome: done.next.step,
      ...(done.reply ? { reply: done.reply.attributes['type'] } : {}),
      startedAt,
      doneAt: Date.now(),
    };
    deliveries.push(d);
    if (done.next.step === 'dead-letter') {
      deadLetters.push(d);
      log(
        `broker: dead letter (${done.next.reason}) after ${d.attempts} attempt(s), status ${d.status}: ${label(e, route)}`,
      );
    }
    options.onDelivery?.(d);
    // A Trigger subscriber's reply goes back into the Broker like any other event.
    if (done.reply) ingest(done.reply);
  }

  function ingest(e: BrokerEvent): void {
    if (stopping.signal.aborted) return;
    e.attributes['id'] ??= randomUUID();
    // The real ingress stamps every event it accepts (pkg/broker/ingress/ingress_handler.go).
    e.attributes['knativearrivaltime'] = new Date().toISOString();
    events.push(e);
    activity.touch();
    for (const route of routesFor(options.routes, filterView(e))) activity.track(deliver(route, e));
  }

  const ingress = await listenIngress(ingest);
  return {
    url: ingress.url,
    events,
    deliveries,
    deadLetters,
    publish: ingest,
    idle: () => activity.idle(),
    settled: (quietMs = 1500, timeoutMs = 120_000) => activity.settled(quietMs, timeoutMs),
    touch: () => activity.touch(),
    close: () => {
      stopping.abort();
      return ingress.close();
    },
  };
}
