// backup-verifier: when a Backup that covers groups finishes (Completed or PartiallyFailed), read
// its item list as Velero's CLI does and say, per group, whether the backup holds the whole
// closure the labeler recorded for it (Event + reply CloudEvent), naming every missing object.

import type { FunctionDefinition, RuntimeContext } from '../runtime/function.ts';
import { veleroNamespace } from '../velero/namespace.ts';
import { bindings } from './bindings.ts';
import { downloadRequestDeps } from '../velero/download-request.ts';
import type { VerifierDeps } from './handler.ts';

const backupVerifier: FunctionDefinition<VerifierDeps> = {
  name: 'backup-verifier',
  bindings,
  deps: (ctx: RuntimeContext): VerifierDeps => ({
    kube: ctx.kube,
    logger: ctx.logger,
    clock: ctx.clock,
    veleroNamespace: veleroNamespace(ctx.env),
    ...downloadRequestDeps(ctx.env),
  }),
};

export default backupVerifier;
