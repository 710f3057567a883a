// The contract between the shared runtime and every function.
// A function is plain data (its bindings) plus one handler that gets a narrow `deps` object;
// the runtime owns HTTP, CloudEvent parsing, schema validation, metrics, logging and replies.

import type { Kube } from './kube/kube-api.ts';

/** A CloudEvent as a handler sees it: envelope attributes plus validated `data`. */
export interface InboundEvent<T = unknown> {
  id: string;
  source: string;
  type: string;
  subject?: string;
  time?: string;
  /** ApiServerSource extensions (`kind`, `apiversion`, `name`, `namespace`) and any others. */
  extensions: Record<string, string>;
  data: T;
}

/** An event a handler asks the runtime to emit as its reply. */
export interface OutboundEvent<T = unknown> {
  /** `dev.vmgroup-backup.<noun>.<verb>` */
  type: string;
  subject?: string;
  /** `$id` of the schema in schemas/ that `data` must satisfy; the runtime validates before replying. */
  dataschema: string;
  data: T;
}

/**
 * What a function reacts to, as plain data (no code): the runtime matches an event against the
 * bindings in order; the first match decides which schema validates `data`. An event that
 * matches no binding is acknowledged and ignored.
 */
export interface Binding {
  /** CloudEvent `type`, exact. */
  type: string;
  /** ApiServerSource `kind` extension, exact, when the binding is about one kind. */
  kind?: string;
  /** ApiServerSource `apiversion` extension must start with this (e.g. `vmoperator.vmware.com/`). */
  apiVersionPrefix?: string;
  /** `$id` of the schema that `data` must satisfy. */
  dataSchema: string;
}

/**
 * What the runtime must know about the product it serves. The runtime imports no domain, so main
 * passes this in (functions/product.ts assembles it from the vmgroup domain).
 */
export interface ProductIdentity {
  /** CloudEvent `source` of every reply. */
  eventSource: string;
  /** Every reply's `type` starts with this. */
  eventTypePrefix: string;
  /** Labels on every object the runtime itself creates (recorded Events). */
  ownLabels: Readonly<Record<string, string>>;
}

export interface Clock {
  now(): Date;
}

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Everything the runtime can hand a function; each function narrows it in `deps()`. */
export interface RuntimeContext {
  kube: Kube;
  clock: Clock;
  logger: Logger;
  /** Function configuration from the environment, read once in main (never at import time). */
  env: Readonly<Record<string, string | undefined>>;
}

export interface FunctionDefinition<D = unknown> {
  /** kebab-case name; also the folder name under functions/ and the Knative Service name. */
  name: string;
  bindings: readonly Binding[];
  /** Build the narrow dependencies this function's handler may use. */
  deps(ctx: RuntimeContext): D;
  /** Level-triggered: treat the event as "look here", recompute from live state, apply the difference. */
  handle(event: InboundEvent, deps: D): Promise<OutboundEvent[] | void>;
}
