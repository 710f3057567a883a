// An object as every function would receive it: wrapped as ApiServerSource's Resource-mode
// CloudEvent (test/support/cloudevents.ts, knative.dev/eventing v0.50.0 pkg/adapter/apiserver),
// sent in binary HTTP mode as the Broker delivers it, and put through the runtime's own
// dispatch (parse, envelope schema, binding match, data schema). The function's handler is
// replaced by a no-op: what is measured is whether the runtime lets the object in.

import { PRODUCT } from '../../functions/product.ts';
import { Writable } from 'node:stream';
import type { FunctionDefinition, RuntimeContext } from '../../functions/runtime/function.ts';
import { dispatch } from '../../functions/runtime/events/dispatch.ts';
import type { Dispatcher } from '../../functions/runtime/events/dispatch.ts';
import { RecentEvents } from '../../functions/runtime/events/dedupe.ts';
import { createLogger } from '../../functions/runtime/process/logger.ts';
import { createMetrics } from '../../functions/runtime/process/metrics.ts';
import type { ValidatorSet } from '../../functions/runtime/schema/validation.ts';
import type { KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import { apiServerEvent, toBinaryHttp } from '../support/cloudevents.ts';
import type { Verb } from '../support/cloudevents.ts';
import { unreachableKube } from '../support/runtime.ts';

export type Admission =
  | { outcome: 'accepted' }
  | { outcome: 'not-bound' }
  | { outcome: 'refused'; status: number; detail: string };

export interface RuntimeEntry {
  name: string;
  deliver(verb: Verb, obj: KubeObject): Promise<Admission>;
}

/** A dispatcher for `def` whose handler does nothing (no Kubernetes calls, no replies). */
export function runtimeEntry(
  def: FunctionDefinition<unknown>,
  validators: ValidatorSet,
): RuntimeEntry {
  const sink = new Writable({ write: (_c, _e, done) => done() });
  const ctx: RuntimeContext = {
    kube: unreachableKube(),
    clock: { now: () => new Date() },
    logger: createLogger('silent', sink),
    env: {},
  };
  const d: Dispatcher = {
    def: { ...def, handle: async () => undefined },
    deps: undefined,
    ctx,
    validators,
    recent: new RecentEvents(0),
    metrics: createMetrics(def.name),
    conflictRetries: 0,
    product: PRODUCT,
  };
  return {
    name: def.name,
    async deliver(verb, obj) {
      const message = toBinaryHttp(
        apiServerEvent(verb, obj as KubeObject & { metadata: { name: string } }),
      );
      const answer = await dispatch(d, message.headers, Buffer.from(message.body));
      if (answer.status === 204) return { outcome: 'accepted' };
      if (answer.status === 202) return { outcome: 'not-bound' };
      return { outcome: 'refused', status: answer.status, detail: answer.body ?? '' };
    },
  };
}
