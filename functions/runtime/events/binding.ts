// Building bindings: each names its schema by key (schemas/<key>.schema.json) and gets a handler
// whose event data is that schema's generated type (schema/schema-types.ts), so no handler checks
// the event's type or kind again or casts its data.

import type { Binding, EventMatch, InboundEvent, OutboundEvent } from '../function.ts';
import { schemaId } from '../schema/schema-files.ts';
import type { SchemaKey, SchemaTypes } from '../schema/schema-types.ts';

export type Handler<D, T> = (event: InboundEvent<T>, deps: D) => Promise<OutboundEvent[] | void>;

export const PING_TYPE = 'dev.knative.sources.ping';

/** An ApiServerSource verb: `dev.knative.apiserver.resource.<verb>`. */
export type Verb = 'add' | 'update' | 'delete';

export function bind<K extends SchemaKey, D>(
  key: K,
  match: EventMatch,
  handle: Handler<D, SchemaTypes[K]>,
): Binding<D, SchemaTypes[K]> {
  return { ...match, dataSchema: schemaId(key), handle };
}

/** One binding per verb for ApiServerSource (Resource mode) events about one kind. */
export function onObject<K extends SchemaKey, D>(
  verbs: readonly Verb[],
  object: { kind: string; apiVersionPrefix: string },
  key: K,
  handle: Handler<D, SchemaTypes[K]>,
): Array<Binding<D, SchemaTypes[K]>> {
  return verbs.map((verb) =>
    bind(key, { type: `dev.knative.apiserver.resource.${verb}`, ...object }, handle),
  );
}

/** The PingSource tick (a periodic resync: ApiServerSource drops events and replays none). */
export function onTick<D>(handle: Handler<D, SchemaTypes['objects/pingsource-event']>) {
  return bind('objects/pingsource-event', { type: PING_TYPE }, handle);
}
