// The HTTP face of a function: POST / for CloudEvents and the health probes are answered here;
// an express app (express-app.ts) serves metrics and everything else. Owns the body limit,
// readiness and draining; what to answer an event is dispatch.ts.

import { http } from './node-http.ts';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FunctionDefinition, ProductIdentity, RuntimeContext } from '../function.ts';
import type { ValidatorSet } from '../schema/validation.ts';
import type { RuntimeMetrics } from '../process/metrics.ts';
import { createMetrics } from '../process/metrics.ts';
import { RecentEvents } from '../events/dedupe.ts';
import { dispatch } from '../events/dispatch.ts';
import type { Answer, Dispatcher } from '../events/dispatch.ts';
import { HttpProblem } from './problem.ts';
import { loadValidators } from '../schema/schema-source.ts';
import type { State } from './server-state.ts';
import { readiness } from './server-state.ts';
import { DEFAULT_CONFLICT_ATTEMPTS } from '../apply/conflict-policy.ts';

export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

export interface ServerOptions {
  /** 0 = ephemeral (tests). Default 8080. */
  port?: number;
  host?: string;
  ctx: RuntimeContext;
  /** Reply source and type prefix (the runtime imports no domain: main passes them). */
  product: ProductIdentity;
  /** Defaults to loading every schema (precompiled in the bundle). */
  validators?: ValidatorSet;
  metrics?: RuntimeMetrics;
  maxBodyBytes?: number;
  dedupeCapacity?: number;
  conflictRetries?: number;
  /** How long close() waits for in-flight events before cutting connections. */
  drainTimeoutMs?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  metrics: RuntimeMetrics;
  /** Stop accepting, let in-flight events finish (up to drainTimeoutMs), close. Idempotent. */
  close(): Promise<void>;
}

export async function startServer(
  def: FunctionDefinition<unknown>,
  options: ServerOptions,
): Promise<RunningServer> {
  const validators = options.validators ?? (await loadValidators());
  const metrics = options.metrics ?? createMetrics(def.name);
  const state = { draining: false, inFlight: 0, idle: [] as Array<() => void> };
  const d: Dispatcher = {
    def,
    deps: def.deps(options.ctx),
    ctx: options.ctx,
    validators,
    recent: new RecentEvents(options.dedupeCapacity),
    metrics,
    product: options.product,
    conflictRetries: options.conflictRetries ?? DEFAULT_CONFLICT_ATTEMPTS - 1,
  };
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  // Events and probes never go through express: per event its router and request/response
  // decoration cost ~15% of the CPU (bench/runtime.bench.ts), the margin between meeting and
  // missing the throughput target, and loading it is over half of start-up. So the process is
  // ready as soon as it can take events, and the express app is loaded right after (requests
  // for it that arrive earlier wait for it).
  let app: Promise<RequestListener> | undefined;
  const expressApp = () => (app ??= import('./express-app.ts').then((m) => m.buildApp(d, state)));
  const server = http.createServer((req, res) => {
    if (!answerDirectly(d, state, maxBody, req, res)) {
      expressApp().then(
        (listener) => listener(req, res),
        (err: unknown) => {
          d.ctx.logger.error({ err }, 'cannot load the express app');
          res.statusCode = 500;
          res.end();
        },
      );
    }
  });
  server.listen(options.port ?? 8080, options.host ?? '0.0.0.0');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  // Knative's queue-proxy keeps connections open; a keep-alive longer than its idle timeout
  // avoids racing a request against our close of the socket.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  setImmediate(() => void expressApp().catch(() => undefined));
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    metrics,
    close: () => (closing ??= drain(server, state, options.drainTimeoutMs ?? 30_000)),
  };
}

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** The hot paths: events and the probes kubelet and queue-proxy poll. False: not handled here. */
function answerDirectly(
  d: Dispatcher,
  state: State,
  maxBody: number,
  req: IncomingMessage,
  res: ServerResponse,
): boolean {
  if (req.url === '/' && req.method === 'POST') {
    void receive(d, state, maxBody, req, res);
    return true;
  }
  if (req.method !== 'GET') return false;
  if (req.url === '/health/liveness') {
    text(res, 200, 'ok');
    return true;
  }
  if (req.url === '/health/readiness') {
    // Validators and the Kubernetes client exist before listen(), so only draining makes us unready.
    text(res, state.draining ? 503 : 200, readiness(state));
    return true;
  }
  return false;
}

function text(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.end(body);
}

async function receive(
  d: Dispatcher,
  state: State,
  maxBody: number,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  state.inFlight++;
  try {
    let answer: Answer;
    try {
      const body = await readBody(req, maxBody);
      answer = await dispatch(d, req.headers, body);
    } catch (err) {
      if (!(err instanceof HttpProblem)) throw err;
      d.metrics.eventHandled('invalid', 'too_large', 0);
      d.ctx.logger.warn({ outcome: 'too_large', status: err.status, reason: err.detail }, 'event');
      // The rest of the body is not read: close the connection instead of draining it.
      res.setHeader('connection', 'close');
      answer = {
        status: err.status,
        headers: { 'content-type': 'application/problem+json' },
        body: JSON.stringify(err.body()),
      };
    }
    if (state.draining) res.setHeader('connection', 'close');
    res.statusCode = answer.status;
    for (const name in answer.headers) res.setHeader(name, answer.headers[name] as string);
    res.end(answer.body);
  } catch (err) {
    d.ctx.logger.error({ err }, 'request failed');
    if (!res.headersSent) {
      const p = new HttpProblem('internal', 'unexpected error');
      res.statusCode = p.status;
      res.setHeader('content-type', 'application/problem+json');
      res.end(JSON.stringify(p.body()));
    }
  } finally {
    state.inFlight--;
    if (state.inFlight === 0) for (const resolve of state.idle.splice(0)) resolve();
  }
}

/** Reads the whole body as a Buffer, refusing more than `limit` bytes (413) before reading it all. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding !== 'identity') {
    return Promise.reject(
      new HttpProblem('not-a-cloudevent', `content-encoding ${encoding} is not supported`),
    );
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        // The request may stay referenced until the client gives up its connection; don't keep
        // the ~limit bytes read so far with it. (The reliability suite's heap growth with oversized
        // bodies turned out to be its own client's; with a client that hangs up, heap stays flat.)
        chunks.length = 0;
        req.pause();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () =>
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)),
    );
    req.once('error', reject);
  });
}

function tooLarge(limit: number): HttpProblem {
  return new HttpProblem('payload-too-large', `request body exceeds ${limit} bytes`, { limit });
}

async function drain(server: Server, state: State, timeoutMs: number): Promise<void> {
  state.draining = true;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // close() stops accepting and drops idle keep-alive sockets; busy ones close after their response.
  server.closeIdleConnections();
  const idle =
    state.inFlight === 0
      ? Promise.resolve()
      : new Promise<void>((resolve) => state.idle.push(resolve));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  await Promise.race([idle, timeout]);
  clearTimeout(timer);
  server.closeAllConnections();
  await closed;
}
