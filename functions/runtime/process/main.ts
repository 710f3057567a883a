// Starting a function process: configuration read once (by the CLI, passed in), the runtime
// context built, the server started, SIGTERM/SIGINT drained. Nothing here runs at import time.

import type { FunctionDefinition, ProductIdentity, RuntimeContext } from '../function.ts';
import type { CommandIo } from './command-io.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { createKube, inClusterAccess, kubeconfigAccess } from '../kube/kube.ts';
import { loadValidators, precompiled } from '../schema/schema-source.ts';
import { DEFAULT_MAX_BODY_BYTES, startServer } from '../http/server.ts';

export interface ServeConfig {
  port?: string;
  kubeconfig?: string;
  maxBody?: string;
  logLevel?: string;
}

export async function serve(
  load: () => Promise<FunctionDefinition<unknown>>,
  product: ProductIdentity,
  config: ServeConfig,
  io: CommandIo,
  signals: NodeJS.EventEmitter = process,
): Promise<number> {
  let logger;
  let port: number;
  let maxBodyBytes: number;
  try {
    logger = createLogger(config.logLevel || 'info');
    port = parsePort(config.port || '8080');
    maxBodyBytes = config.maxBody ? parseSize(config.maxBody) : DEFAULT_MAX_BODY_BYTES;
  } catch (err) {
    io.err(`serve: ${(err as Error).message}`);
    return 2;
  }
  try {
    const [def, validators] = await Promise.all([load(), loadValidators()]);
    const metrics = createMetrics(def.name);
    const access = config.kubeconfig
      ? kubeconfigAccess(config.kubeconfig)
      : inClusterAccess(io.env);
    const ctx: RuntimeContext = {
      kube: createKube(access, metrics.kube, {
        component: `vmgroup-backup/${def.name}`,
        eventLabels: product.ownLabels,
      }),
      clock: { now: () => new Date() },
      logger,
      env: io.env,
    };
    // A promise a handler forgot to await must not take every other event down with it.
    const onRejection = (reason: unknown) =>
      logger.error({ err: reason }, 'unhandled promise rejection');
    process.on('unhandledRejection', onRejection);
    const server = await startServer(def, {
      port,
      ctx,
      product,
      validators,
      metrics,
      maxBodyBytes,
    });
    logger.info(
      { function: def.name, port: server.port, precompiled, api: access.server },
      'ready',
    );
    const signal = await new Promise<string>((resolve) => {
      signals.once('SIGTERM', () => resolve('SIGTERM'));
      signals.once('SIGINT', () => resolve('SIGINT'));
    });
    logger.info({ signal }, 'draining');
    await server.close();
    process.off('unhandledRejection', onRejection);
    logger.info({}, 'stopped');
    return 0;
  } catch (err) {
    logger.fatal({ err }, 'cannot start');
    io.err(`serve: ${(err as Error).message}`);
    return 1;
  }
}

export function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new Error(`port "${text}" is not 0-65535`);
  return port;
}

const UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  ki: 1024,
  m: 1e6,
  mi: 1024 ** 2,
  g: 1e9,
  gi: 1024 ** 3,
};

/** `8388608`, `8Mi`, `8MiB`, `512k` → bytes. */
export function parseSize(text: string): number {
  const m = /^(\d+)\s*([kKmMgG]i?)?[bB]?$/.exec(text.trim());
  const unit = UNITS[(m?.[2] ?? '').toLowerCase()];
  if (!m || unit === undefined || Number(m[1]) === 0)
    throw new Error(`size "${text}" is not a positive byte count like 8Mi`);
  return Number(m[1]) * unit;
}
