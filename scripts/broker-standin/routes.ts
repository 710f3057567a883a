// The one stand-in for a Knative Broker (no Knative data plane runs locally), used by
// `npm run demo` (scripts/demo.ts), the end-to-end stack (test/e2e/stack/stack.ts) and the config
// tests (test/config/event-routes.ts). It lives under scripts/ rather than test/ because the demo
// is product-facing and must not depend on test code, and rather than functions/ because it is
// not product code: nothing shipped emulates Knative. Nothing in this folder imports from test/.
//
// This file is the pure routing half: a Trigger reduced to a Route, routed with Knative's Trigger
// filters (filters.ts: `filters` SubscriptionsAPI or `filter.attributes`).
import type { KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import { isoDurationMs } from './delivery.ts';
import { attributesFilter, triggerPasses, unsupportedFilter } from './filters.ts';
import type { EventAttributes, TriggerFilter } from './filters.ts';

/** A Trigger reduced to what the Broker needs to route to it and deliver. */
export interface Route {
  trigger: string;
  /** The Trigger's `filter` and `filters`, as written. */
  filter: TriggerFilter;
  /** Name of the Knative Service the Trigger subscribes. */
  subscriber: string;
  /** Retries after the first attempt (spec.delivery.retry). */
  retry: number;
  backoffPolicy: 'exponential' | 'linear';
  /** spec.delivery.backoffDelay; 0 when unset, as Knative then waits not at all. */
  backoffDelayMs: number;
  /** Per-attempt timeout (spec.delivery.timeout), when the Trigger sets one. */
  timeoutMs?: number;
  /** The dead-letter Service's name (spec.delivery.deadLetterSink.ref). */
  deadLetter?: string;
}

interface TriggerDelivery {
  retry?: number;
  backoffPolicy?: string;
  backoffDelay?: string;
  timeout?: string;
  deadLetterSink?: { ref?: { name?: string } };
}

/** Attributes a Trigger filters on (none: it takes every event). */
export function triggerAttributes(trigger: KubeObject): Record<string, string> {
  const spec = trigger['spec'] as { filter?: { attributes?: Record<string, string> } };
  return spec.filter?.attributes ?? {};
}

/** The Knative Service a Trigger subscribes, or undefined when its subscriber is something else. */
export function triggerSubscriber(trigger: KubeObject): string | undefined {
  const spec = trigger['spec'] as { subscriber?: { ref?: { kind?: string; name?: string } } };
  return spec.subscriber?.ref?.kind === 'Service' ? spec.subscriber.ref.name : undefined;
}

/** What of a Trigger decides which events it takes. */
export function triggerFilter(trigger: KubeObject): TriggerFilter {
  const spec = trigger['spec'] as TriggerFilter;
  return {
    ...(spec.filter ? { filter: spec.filter } : {}),
    ...(spec.filters ? { filters: spec.filters } : {}),
  };
}

export function routeOf(trigger: KubeObject): Route {
  const subscriber = triggerSubscriber(trigger);
  // Failing loudly beats a route that silently delivers nowhere.
  if (!subscriber)
    throw new Error(
      `Trigger ${trigger.metadata.name}: the Broker stand-in only delivers to a Knative Service ref`,
    );
  const filter = triggerFilter(trigger);
  const unsupported = unsupportedFilter(filter);
  // Routing differently from Knative would be worse than not running.
  if (unsupported)
    throw new Error(
      `Trigger ${trigger.metadata.name}: ${unsupported} is CESQL, which the Broker stand-in does not evaluate (the e2e suite runs Knative's Broker)`,
    );
  const d = (trigger['spec'] as { delivery?: TriggerDelivery }).delivery ?? {};
  return {
    trigger: trigger.metadata.name,
    filter,
    subscriber,
    retry: d.retry ?? 0,
    backoffPolicy: d.backoffPolicy === 'linear' ? 'linear' : 'exponential',
    backoffDelayMs: d.backoffDelay ? isoDurationMs(d.backoffDelay) : 0,
    ...(d.timeout ? { timeoutMs: isoDurationMs(d.timeout) } : {}),
    ...(d.deadLetterSink?.ref?.name ? { deadLetter: d.deadLetterSink.ref.name } : {}),
  };
}

/** Every Trigger among rendered config objects, as a Route. */
export function routesOf(objects: readonly KubeObject[]): Route[] {
  return objects.filter((o) => o.kind === 'Trigger').map(routeOf);
}

/** Knative's attribute filter alone (`spec.filter.attributes`) passes these attributes. */
export const filterMatches = (
  filter: Readonly<Record<string, string>>,
  attributes: EventAttributes,
): boolean => attributesFilter(filter, attributes) === 'pass';

/** The routes whose Trigger lets an event with these attributes through, in config order. */
export function routesFor(routes: readonly Route[], attributes: EventAttributes): Route[] {
  return routes.filter((r) => triggerPasses(r.filter, attributes));
}
