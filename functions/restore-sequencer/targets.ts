// Pure: which restored trees an event asks the sequencer to look at. An event is only "look
// here": the handler reads what this names, and plan.ts decides from live state.

import type { KubeObject } from '../runtime/kube/kube-api.ts';
import { KIND_VM, KIND_VMG, type MemberRef } from '../vmgroup/boot-order.ts';
import { ANNOTATION_RESTORE_RELEASED, VELERO_RESTORE_NAME_LABEL } from '../vmgroup/names.ts';
import { isHeld } from '../velero/held.ts';
import { veleroLabelValue } from '../velero/restore-lookup.ts';
import { readProgress } from './plan.ts';
import { restoreOf, type Vm, type Vmg } from './tree.ts';

/** One object to start from: the handler finds its top group in its namespace. */
export interface Target {
  namespace: string;
  restore: string;
  start: MemberRef;
}

export const TERMINAL_RESTORE_PHASES = [
  'Completed',
  'PartiallyFailed',
  'Failed',
  'FailedValidation',
];

/** A member's object: what its own event names. */
interface MemberObject {
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
  };
}

/** A restored group or VM appeared or changed: its tree, unless its sequence is finished. */
export function memberTargets(obj: MemberObject): Target[] {
  if (obj.metadata.deletionTimestamp) return [];
  const restore = obj.metadata.labels?.[VELERO_RESTORE_NAME_LABEL];
  // A member whose sequence is finished costs nothing (VM Operator keeps updating it).
  if (!restore || obj.metadata.annotations?.[ANNOTATION_RESTORE_RELEASED] === restore) return [];
  return [{ namespace: obj.metadata.namespace ?? '', restore, start: refOf(obj) }];
}

/** Targets without repeats (events batched into one run often name the same member). */
export function distinctTargets(targets: Target[]): Target[] {
  const seen = new Map<string, Target>();
  for (const t of targets)
    seen.set(JSON.stringify([t.namespace, t.restore, t.start.kind, t.start.name]), t);
  return [...seen.values()];
}

/**
 * The label value of a Restore that has ended, else undefined. While a restore runs, its objects'
 * own events drive the sequence; its end is what matters (groups still incomplete then will not
 * be completed by it).
 */
export function endedRestoreLabel(restore: {
  metadata: { name: string; deletionTimestamp?: string };
  status?: { phase?: string };
}): string | undefined {
  if (restore.metadata.deletionTimestamp) return undefined;
  return TERMINAL_RESTORE_PHASES.includes(restore.status?.phase ?? '')
    ? veleroLabelValue(restore.metadata.name)
    : undefined;
}

export function refOf(obj: { kind: string; metadata: { name: string } }): MemberRef {
  return { kind: obj.kind === KIND_VMG ? KIND_VMG : KIND_VM, name: obj.metadata.name };
}

/** Everything a Restore created among groups and VMs. */
export function restoreTargets(label: string, objects: Array<KubeObject | Vm | Vmg>): Target[] {
  return objects.map((o) => ({
    namespace: o.metadata.namespace ?? '',
    restore: label,
    start: refOf(o),
  }));
}

/**
 * The tick looks only where a restored tree is unfinished: a restored top group not yet
 * released, or a held VM in no group or in one that is not among the restored ones.
 */
export function tickTargets(groups: readonly Vmg[], vms: readonly Vm[]): Target[] {
  const groupKeys = new Set(groups.map((g) => `${g.metadata.namespace}/${g.metadata.name}`));
  const targets: Target[] = [];
  for (const g of groups) {
    const restore = restoreOf(g);
    if (!restore || g.spec?.groupName) continue;
    if (!readProgress(g, restore)?.releasedAt)
      targets.push({ namespace: g.metadata.namespace ?? '', restore, start: refOf(g) });
  }
  for (const v of vms) {
    const restore = restoreOf(v);
    if (!restore) continue;
    const orphan =
      !v.spec?.groupName || !groupKeys.has(`${v.metadata.namespace}/${v.spec.groupName}`);
    if (orphan && isHeld(v) && v.metadata.annotations?.[ANNOTATION_RESTORE_RELEASED] !== restore)
      targets.push({ namespace: v.metadata.namespace ?? '', restore, start: refOf(v) });
  }
  return targets;
}

export function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), x]);
  return m;
}
