// Starting the real runtime server in-process for HTTP-level tests: port 0, real HTTP, a log
// sink the test can read, and a Kube adapter chosen by the test (a real control plane's, or one
// pointed at a closed port when the test must see the network fail).

import { Writable } from 'node:stream';
import type { FunctionDefinition, RuntimeContext } from '../../functions/runtime/function.ts';
import type { Kube } from '../../functions/runtime/kube/kube-api.ts';
import { createKube } from '../../functions/runtime/kube/kube.ts';
import { createLogger } from '../../functions/runtime/process/logger.ts';
import { createMetrics } from '../../functions/runtime/process/metrics.ts';
import type { RunningServer, ServerOptions } from '../../functions/runtime/http/server.ts';
import { startServer } from '../../functions/runtime/http/server.ts';
import type { ValidatorSet } from '../../functions/runtime/schema/validation.ts';
import { loadValidators } from '../../functions/runtime/schema/schema-source.ts';
import { PRODUCT } from '../../functions/product.ts';

let validators: Promise<ValidatorSet> | undefined;

/** Compiled once per test process: compiling every schema takes a while. */
export function sharedValidators(): Promise<ValidatorSet> {
  return (validators ??= loadValidators());
}

export interface TestServer extends RunningServer {
  /** Parsed JSON log lines written so far. */
  logs: Array<Record<string, unknown>>;
  ctx: RuntimeContext;
}

/** A Kube adapter whose every call fails at the network level (nothing listens on the port). */
export function unreachableKube(): Kube {
  return createKube({ server: 'https://127.0.0.1:9' }, undefined, { attempts: 2, timeoutMs: 2000 });
}

export async function startTestServer<D>(
  def: FunctionDefinition<D>,
  options: Partial<Omit<ServerOptions, 'ctx'>> & {
    kube?: Kube;
    env?: Record<string, string>;
    logLevel?: string;
  } = {},
): Promise<TestServer> {
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n'))
        if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const metrics = createMetrics(def.name);
  const ctx: RuntimeContext = {
    kube: options.kube ?? unreachableKube(),
    clock: { now: () => new Date() },
    logger: createLogger(options.logLevel ?? 'debug', sink),
    env: options.env ?? {},
  };
  const server = await startServer(def as FunctionDefinition<unknown>, {
    port: 0,
    host: '127.0.0.1',
    validators: await sharedValidators(),
    metrics,
    ...options,
    product: options.product ?? PRODUCT,
    ctx,
  });
  return { ...server, close: server.close, logs, ctx };
}
