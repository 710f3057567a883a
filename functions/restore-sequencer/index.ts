// restore-sequencer: per restored VirtualMachineGroup, hold its members powered off until the
// group and every member in its boot order exist, apply their captured network while held, then
// release power in boot order with each stage's powerOnDelay — handing the sequence to VM
// Operator's group power machinery when the whole tree was in one state at backup, stage by
// stage otherwise. All progress lives on the cluster objects.

import { setTimeout as sleep } from 'node:timers/promises';
import type { FunctionDefinition, RuntimeContext } from '../runtime/function.ts';
import { bindings } from './bindings.ts';
import type { SequencerDeps } from './handler.ts';
import { veleroNamespace } from '../velero/namespace.ts';
import { Batcher } from '../runtime/events/coalesce.ts';

/** Well below Knative Serving's default request timeout (300 s) and typical Broker delivery timeouts. */
export const DEFAULT_MAX_WAIT_SECONDS = 20;

export function maxWaitMs(env: Readonly<Record<string, string | undefined>>): number {
  const text = env.RESTORE_MAX_WAIT_SECONDS;
  const n = text === undefined || text === '' ? DEFAULT_MAX_WAIT_SECONDS : Number(text);
  if (!Number.isFinite(n) || n < 0 || n > 240)
    throw new Error(`RESTORE_MAX_WAIT_SECONDS "${text}" is not 0-240`);
  return n * 1000;
}

const restoreSequencer: FunctionDefinition<SequencerDeps> = {
  name: 'restore-sequencer',
  bindings,
  deps: (ctx: RuntimeContext): SequencerDeps => ({
    kube: ctx.kube,
    clock: ctx.clock,
    logger: ctx.logger,
    sleep: (ms) => sleep(ms),
    veleroNamespace: veleroNamespace(ctx.env),
    maxWaitMs: maxWaitMs(ctx.env),
    batcher: new Batcher(),
  }),
};

export default restoreSequencer;
