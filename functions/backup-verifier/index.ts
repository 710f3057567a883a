// backup-verifier: when a Backup that covers groups finishes (Completed or PartiallyFailed), read
// its item list as Velero's CLI does and say, per group, whether the backup holds the whole
// closure the labeler recorded for it (Event + reply CloudEvent), naming every missing object.

import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FunctionDefinition, RuntimeContext } from '../runtime/function.ts';
import { veleroNamespace } from '../velero/namespace.ts';
import { bindings } from './bindings.ts';
import { download } from './download.ts';
import type { VerifierDeps } from './handler.ts';
import { handle } from './handler.ts';

const seconds = (raw: string | undefined, fallback: number): number => {
  const n = Number(raw);
  return Number.isFinite(n) && n > 0 ? n * 1000 : fallback * 1000;
};

const backupVerifier: FunctionDefinition<VerifierDeps> = {
  name: 'backup-verifier',
  bindings,
  deps: (ctx: RuntimeContext): VerifierDeps => ({
    kube: ctx.kube,
    logger: ctx.logger,
    clock: ctx.clock,
    veleroNamespace: veleroNamespace(ctx.env),
    download,
    sleep: (ms) => sleep(ms),
    randomSuffix: () => randomBytes(4).toString('hex'),
    urlTimeoutMs: seconds(ctx.env.DOWNLOAD_URL_TIMEOUT_SECONDS, 60),
    pollMs: 250,
    downloadTimeoutMs: seconds(ctx.env.DOWNLOAD_TIMEOUT_SECONDS, 60),
    // A gzipped item list of a hundred thousand items is a few MiB.
    maxBytes: 64 * 1024 * 1024,
  }),
  handle,
};

export default backupVerifier;
