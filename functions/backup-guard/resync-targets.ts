// Which Backups and Restores the guard judges, as pure predicates over live objects: the event
// path asks about one object, the periodic tick about every object in Velero's namespace (the
// tick catches what ApiServerSource never sent or dropped, and re-judges in-flight objects after
// the restricted list or the API's resources changed).

import type { KubeObject } from '../runtime/kube/kube-api.ts';
import type { FilterSpec } from '../velero/resource-filter.ts';
import { byNameOnly, includesResource } from '../velero/resource-filter.ts';
import { PLUGIN_INTERNAL } from './restricted-list.ts';

export interface VeleroObject extends KubeObject {
  spec?: FilterSpec & { backupName?: string; scheduleName?: string };
  status?: { phase?: string };
}

/** Past these phases Velero has done the work; warning then helps no one. */
export const FINISHED: ReadonlySet<string> = new Set([
  'Completed',
  'PartiallyFailed',
  'Failed',
  'FailedValidation',
  'Deleting',
]);

/**
 * Still worth judging: not being deleted, not finished, and for a Restore, its Backup named (a
 * Restore from a schedule names none until Velero validates it; that update is judged).
 */
export function stillJudged(obj: VeleroObject): boolean {
  if (obj.metadata.deletionTimestamp || FINISHED.has(obj.status?.phase ?? '')) return false;
  return obj.kind !== 'Restore' || Boolean(obj.spec?.backupName);
}

/** What one tick judges: every Backup and Restore still in flight, Backups first, by name. */
export function resyncTargets(
  backups: readonly VeleroObject[],
  restores: readonly VeleroObject[],
): VeleroObject[] {
  const byName = (a: VeleroObject, b: VeleroObject) =>
    a.metadata.name.localeCompare(b.metadata.name);
  return [
    ...backups.filter(stillJudged).sort(byName),
    ...restores.filter(stillJudged).sort(byName),
  ];
}

/** The plugin-internal kinds a Backup's scope reaches: the only ones worth listing for it. */
export function pluginKindsIn(spec: FilterSpec, resolve = byNameOnly): typeof PLUGIN_INTERNAL {
  return PLUGIN_INTERNAL.filter((p) =>
    includesResource(spec, 'Backup', p.resource, p.scope, resolve),
  );
}
