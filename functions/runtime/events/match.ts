// Deciding whether a function handles an event, as a pure function over the bindings (plain data):
// the first binding whose type, kind and apiVersion prefix all match wins; otherwise the reason
// for skipping is returned for the debug log.

import type { EventMatch, FunctionDefinition, InboundEvent, OutboundEvent } from '../function.ts';

export type Match<B> = { binding: B } | { skip: string };

export function matchBinding<B extends EventMatch>(
  bindings: readonly B[],
  type: string,
  extensions: Readonly<Record<string, unknown>>,
): Match<B> {
  let nearest: string | undefined;
  for (const binding of bindings) {
    if (binding.type !== type) continue;
    if (binding.kind !== undefined && extensions.kind !== binding.kind) {
      nearest ??= `kind ${String(extensions.kind)} is not ${binding.kind}`;
      continue;
    }
    const apiVersion = extensions.apiversion;
    if (
      binding.apiVersionPrefix !== undefined &&
      !(typeof apiVersion === 'string' && apiVersion.startsWith(binding.apiVersionPrefix))
    ) {
      nearest ??= `apiversion ${String(apiVersion)} does not start with ${binding.apiVersionPrefix}`;
      continue;
    }
    return { binding };
  }
  return { skip: nearest ?? `no binding for type ${type}` };
}

/**
 * An event handed to the handler of the binding it matches, as the runtime does once the data is
 * validated (tests of a function's handlers deliver through this, not around it); unmatched: none.
 */
export async function deliver<D>(
  def: Pick<FunctionDefinition<D>, 'bindings'>,
  event: InboundEvent,
  deps: D,
): Promise<OutboundEvent[] | void> {
  const match = matchBinding(def.bindings, event.type, event.extensions);
  return 'skip' in match ? undefined : match.binding.handle(event, deps);
}
