// datamover-progress: per-Backup progress of volume data moving to object storage (vSphere plugin
// Uploads, Velero DataUploads) on the Backup, and an event when all of it has landed: a Backup
// shows Completed long before the plugin's uploads finish.

import type { FunctionDefinition, RuntimeContext } from '../runtime/function.ts';
import { bindings } from './bindings.ts';
import type { ProgressDeps } from './handler.ts';
import { veleroNamespace } from '../velero/namespace.ts';

const datamoverProgress: FunctionDefinition<ProgressDeps> = {
  name: 'datamover-progress',
  bindings,
  deps: (ctx: RuntimeContext): ProgressDeps => ({
    kube: ctx.kube,
    logger: ctx.logger,
    clock: ctx.clock,
    veleroNamespace: veleroNamespace(ctx.env),
  }),
};

export default datamoverProgress;
