// Scanning for Secret data where it must never appear: function logs, Kubernetes Events, emitted
// CloudEvents. The world's Secrets hold `SECRET-<name>-must-never-be-logged` (stringData), so a
// leak shows as that text or as its base64 (how `data` carries it).
import type { Rest } from './rest.ts';
import { ok } from './rest.ts';
import type { NamespaceModel } from './world.ts';
import type { DeliveryStats } from './broker.ts';
import type { Replica } from './replicas.ts';

export function secretValues(models: NamespaceModel[]): string[] {
  const plain = new Set(
    models.flatMap((m) => m.secrets.map((s) => `SECRET-${s}-must-never-be-logged`)),
  );
  return [
    ...plain,
    ...[...plain].map((v) => Buffer.from(v).toString('base64')),
    'must-never-be-logged',
  ];
}

/** Every place a value was found, as `<where>: <value>`. */
export function leaks(values: string[], texts: Array<[where: string, text: string]>): string[] {
  const out: string[] = [];
  for (const [where, text] of texts)
    for (const v of values) if (text.includes(v)) out.push(`${where}: ${v}`);
  return out;
}

/** All core/v1 Events in the cluster, as text. */
export async function allEventsText(admin: Rest): Promise<string> {
  const list = await ok<{ items: unknown[] }>(
    admin.request('GET', '/api/v1/events'),
    'list events',
  );
  return JSON.stringify(list.items);
}

/** A run's leaks: the world's Secret values in the replicas' logs, the cluster's Events, the replies. */
export async function runLeaks(
  models: NamespaceModel[],
  replicas: Replica[],
  admin: Rest,
  stats: DeliveryStats,
): Promise<string[]> {
  return leaks(secretValues(models), [
    ...replicas.map((r): [string, string] => [`log ${r.name}`, r.log()]),
    ['Events', await allEventsText(admin)],
    ['replies', JSON.stringify([...stats.replies.values()])],
  ]);
}
