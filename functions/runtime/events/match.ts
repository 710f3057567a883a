// Deciding whether a function handles an event, as a pure function over the bindings (plain data):
// the first binding whose type, kind and apiVersion prefix all match wins; otherwise the reason
// for skipping is returned for the debug log.

import type { Binding } from '../function.ts';

export type Match = { binding: Binding } | { skip: string };

export function matchBinding(
  bindings: readonly Binding[],
  type: string,
  extensions: Readonly<Record<string, unknown>>,
): Match {
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
