// The backup guard: warns when a Velero Backup or Restore would touch resources the vSphere
// Supervisor must create itself (see plan.ts for the rules, restricted-list.ts for the list).
// Blocking instead of warning is the optional ValidatingAdmissionPolicy in
// config/components/guard-admission-policy/.

import type { FunctionDefinition, RuntimeContext } from '../runtime/function.ts';
import { GUARD_CONFIGMAP } from '../vmgroup/names.ts';
import { bindings } from './bindings.ts';
import { cachedResolver } from './discovery.ts';
import type { GuardDeps } from './handler.ts';
import { veleroNamespace } from '../velero/namespace.ts';

const backupGuard: FunctionDefinition<GuardDeps> = {
  name: 'backup-guard',
  bindings,
  deps(ctx: RuntimeContext): GuardDeps {
    return {
      kube: ctx.kube,
      logger: ctx.logger,
      clock: ctx.clock,
      configMap: {
        namespace: ctx.env.GUARD_CONFIGMAP_NAMESPACE || ctx.env.POD_NAMESPACE || 'vmgroup-backup',
        name: ctx.env.GUARD_CONFIGMAP_NAME || GUARD_CONFIGMAP,
      },
      checkPluginInternal: ctx.env.GUARD_CHECK_PLUGIN_INTERNAL !== 'false',
      veleroNamespace: veleroNamespace(ctx.env),
      resolver: cachedResolver(ctx.kube, ctx.clock, ctx.logger),
    };
  },
};

export default backupGuard;
