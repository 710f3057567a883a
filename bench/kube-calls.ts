// A replica's Kubernetes calls by verb and resource (and outcome when not a success), from its own
// /metrics counter, so a bench can say where its API requests went.
import type { Replica } from '../test/reliability/support/replicas.ts';

export type Calls = Map<string, number>;

export async function callsByKind(r: Replica): Promise<Calls> {
  const text = await r.metrics();
  const out: Calls = new Map();
  for (const line of text.split('\n')) {
    if (!line.startsWith('vmgroup_kube_api_calls_total{')) continue;
    const verb = /verb="([^"]*)"/.exec(line)?.[1];
    const resource = /resource="([^"]*)"/.exec(line)?.[1];
    const outcome = /outcome="([^"]*)"/.exec(line)?.[1];
    const key = `${verb} ${resource}${outcome === 'success' ? '' : ` (${outcome})`}`;
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

export function since(after: Calls, before: Calls): Calls {
  const out: Calls = new Map();
  for (const [k, v] of after)
    if (v - (before.get(k) ?? 0) > 0) out.set(k, v - (before.get(k) ?? 0));
  return out;
}

/** Successful calls of one verb. */
export const sum = (m: Calls, verb: string): number =>
  [...m]
    .filter(([k]) => k.startsWith(`${verb} `) && !k.includes('('))
    .reduce((a, [, v]) => a + v, 0);

export const describeCalls = (m: Calls): string =>
  [...m]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
