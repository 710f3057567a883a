// backup-labeler: keeps every object a VirtualMachineGroup depends on labelled with the group's
// membership label (so any Velero backup selecting it takes the whole group), captures what a
// restore will need from status, and reports on new Backups what they cover.

import type { FunctionDefinition, RuntimeContext } from '../runtime/function.ts';
import { VMOP_API_VERSION } from '../vmgroup/names.ts';
import { bindings } from './bindings.ts';
import type { LabelerDeps } from './handler.ts';
import { Coalescer, SingleFlight } from '../runtime/events/coalesce.ts';
import { AbsentSecrets } from './absent-secrets.ts';
import { VM_PAGE_SIZE } from './reconcile.ts';

function positiveInt(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** Like positiveInt, but 0 is allowed (it turns a feature off). */
function nonNegativeInt(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && value !== '' && Number.isInteger(n) && n >= 0 ? n : fallback;
}

const backupLabeler: FunctionDefinition<LabelerDeps> = {
  name: 'backup-labeler',
  bindings,
  deps: (ctx: RuntimeContext): LabelerDeps => ({
    kube: ctx.kube,
    logger: ctx.logger,
    vmopApiVersion: ctx.env.VMOP_API_VERSION || VMOP_API_VERSION,
    maxPasses: positiveInt(ctx.env.LABELER_MAX_PASSES, 6),
    concurrency: positiveInt(ctx.env.LABELER_WRITE_CONCURRENCY, 16),
    vmPageSize: positiveInt(ctx.env.LABELER_VM_PAGE_SIZE, VM_PAGE_SIZE),
    coalescer: new Coalescer(),
    resync: new SingleFlight(),
    // The longest a Secret found absent goes unprobed; 0 turns the memory off.
    absentSecrets: new AbsentSecrets(
      nonNegativeInt(ctx.env.LABELER_ABSENT_SECRET_MAX_SECONDS, 300) * 1000,
      undefined,
      () => ctx.clock.now().getTime(),
    ),
  }),
};

export default backupLabeler;
