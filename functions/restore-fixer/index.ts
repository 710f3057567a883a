// restore-fixer: for objects a Velero restore created, strip what a static resource-modifier rule
// cannot name (per-VM PVC annotation keys, the old CNS finalizer), verify the declarative strip
// happened, and say precisely on the Restore when it did not (what VM Operator rejects, and the
// command that restores correctly), and, when a Restore ended with errors, name each VM VM
// Operator's webhook refused: the field, the upstream rule, what the user can do.

import type { FunctionDefinition, RuntimeContext } from '../runtime/function.ts';
import { bindings } from './bindings.ts';
import type { FixerDeps } from './handler.ts';
import { veleroNamespace } from '../velero/namespace.ts';
import { downloadRequestDeps } from '../velero/download-request.ts';

const restoreFixer: FunctionDefinition<FixerDeps> = {
  name: 'restore-fixer',
  bindings,
  deps: (ctx: RuntimeContext): FixerDeps => ({
    kube: ctx.kube,
    logger: ctx.logger,
    veleroNamespace: veleroNamespace(ctx.env),
    // The Restore's results, read when it ended with errors (what VM Operator refused).
    ...downloadRequestDeps(ctx.env),
  }),
};

export default restoreFixer;
