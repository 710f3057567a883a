// restore-fixer: for objects a Velero restore created, strip what a static resource-modifier rule
// cannot name (per-VM PVC annotation keys, the old CNS finalizer), verify the declarative strip
// happened, and say precisely on the Restore when it did not (what VM Operator rejects, and the
// command that restores correctly).

import type { FunctionDefinition, RuntimeContext } from '../runtime/function.ts';
import { bindings } from './bindings.ts';
import type { FixerDeps } from './handler.ts';
import { veleroNamespace } from '../velero/namespace.ts';

const restoreFixer: FunctionDefinition<FixerDeps> = {
  name: 'restore-fixer',
  bindings,
  deps: (ctx: RuntimeContext): FixerDeps => ({
    kube: ctx.kube,
    logger: ctx.logger,
    veleroNamespace: veleroNamespace(ctx.env),
  }),
};

export default restoreFixer;
