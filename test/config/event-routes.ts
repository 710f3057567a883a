// Pure model of how events flow through the rendered config: which (type, kind, apiversion) each
// source can put on the Broker, which of them a Trigger lets through, and whether the function
// behind the Trigger binds them. Mirrors Knative's rules: ApiServerSource types per mode
// (pkg/adapter/apiserver/events), PingSource's one type; the Trigger filter is the shared Broker
// stand-in's (scripts/broker-standin/routes.ts), the one the demo and the e2e stack route with.
import type { Binding } from '../../functions/runtime/function.ts';
import type { KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import { triggerPasses } from '../../scripts/broker-standin/filters.ts';
import type { TriggerFilter } from '../../scripts/broker-standin/filters.ts';
import { triggerFilter } from '../../scripts/broker-standin/routes.ts';

/** An event the sources can produce, reduced to what Triggers and bindings look at. */
export interface ProducedEvent {
  type: string;
  source?: string;
  kind?: string;
  apiversion?: string;
  /** `ApiServerSource/<name>` or `PingSource/<name>`, for messages. */
  from: string;
}

export const PING_TYPE = 'dev.knative.sources.ping';
const VERBS = ['add', 'update', 'delete'] as const;

interface SourceSpec {
  mode?: string;
  resources?: Array<{ apiVersion: string; kind: string }>;
}

/**
 * Everything the rendered ApiServerSources and PingSources can emit, plus the CloudEvents the
 * functions reply with (a Trigger subscriber's reply goes back into the Broker), given by type.
 */
export function producedEvents(
  objects: KubeObject[],
  replyTypes: readonly string[] = [],
): ProducedEvent[] {
  const out: ProducedEvent[] = replyTypes.map((type) => ({ type, from: 'a function reply' }));
  for (const obj of objects) {
    if (obj.kind === 'ApiServerSource') {
      const spec = obj['spec'] as SourceSpec;
      // Knative's default mode is Reference.
      const mode = spec.mode === 'Resource' ? 'resource' : 'ref';
      for (const res of spec.resources ?? []) {
        for (const verb of VERBS) {
          out.push({
            type: `dev.knative.apiserver.${mode}.${verb}`,
            kind: res.kind,
            apiversion: res.apiVersion,
            from: `ApiServerSource/${obj.metadata.name}`,
          });
        }
      }
    } else if (obj.kind === 'PingSource') {
      out.push({
        type: PING_TYPE,
        source: `/apis/v1/namespaces/${obj.metadata.namespace}/pingsources/${obj.metadata.name}`,
        from: `PingSource/${obj.metadata.name}`,
      });
    }
  }
  return out;
}

/** The shared Broker stand-in's Trigger filters, applied to what a source can produce. */
export function triggerSelects(filter: TriggerFilter, event: ProducedEvent): boolean {
  return triggerPasses(filter, {
    type: event.type,
    source: event.source,
    kind: event.kind,
    apiversion: event.apiversion,
  });
}

/** The runtime's binding match (functions/runtime/function.ts, Binding). */
export function bindingMatches(binding: Binding, event: ProducedEvent): boolean {
  if (binding.type !== event.type) return false;
  if (binding.kind !== undefined && binding.kind !== event.kind) return false;
  if (
    binding.apiVersionPrefix !== undefined &&
    !(event.apiversion ?? '').startsWith(binding.apiVersionPrefix)
  )
    return false;
  return true;
}

export interface RouteProblems {
  /** Triggers whose filter lets through nothing any source produces. */
  deadTriggers: string[];
  /** `trigger: event` pairs the Trigger delivers but no binding of the function accepts. */
  unboundDeliveries: string[];
  /** Bindings no source + Trigger of this function can ever deliver. */
  unreachableBindings: string[];
}

const describe = (e: ProducedEvent): string =>
  [e.type, e.kind, e.apiversion, e.source].filter(Boolean).join(' ') + ` (from ${e.from})`;
const describeBinding = (b: Binding): string =>
  [b.type, b.kind, b.apiVersionPrefix && `${b.apiVersionPrefix}*`].filter(Boolean).join(' ');

/** Ties one function's Triggers to its bindings, both ways. */
export function checkRoutes(
  bindings: readonly Binding[],
  triggers: KubeObject[],
  produced: ProducedEvent[],
): RouteProblems {
  const problems: RouteProblems = {
    deadTriggers: [],
    unboundDeliveries: [],
    unreachableBindings: [],
  };
  const delivered: ProducedEvent[] = [];
  for (const trigger of triggers) {
    const filter = triggerFilter(trigger);
    const selected = produced.filter((e) => triggerSelects(filter, e));
    if (selected.length === 0) problems.deadTriggers.push(trigger.metadata.name);
    for (const event of selected) {
      delivered.push(event);
      if (!bindings.some((b) => bindingMatches(b, event))) {
        problems.unboundDeliveries.push(`${trigger.metadata.name}: ${describe(event)}`);
      }
    }
  }
  for (const binding of bindings) {
    if (!delivered.some((e) => bindingMatches(binding, e)))
      problems.unreachableBindings.push(describeBinding(binding));
  }
  return problems;
}
