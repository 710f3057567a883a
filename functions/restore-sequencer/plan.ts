// Pure: one step of a restored group's sequence as a function of (live tree, progress, now).
// The handler reads, calls decide(), writes what it returns and answers; the next event or tick
// calls decide() again. Progress is an annotation on the top group, keyed by restore name, so a
// new restore of the same backup starts a fresh sequence and any replica can continue it.

import type { Patch } from '../runtime/kube/kube-api.ts';
import { KIND_VM, KIND_VMG, type MemberRef } from '../vmgroup/boot-order.ts';
import { ANNOTATION_RESTORE_PROGRESS } from '../vmgroup/names.ts';
import { networkPatch } from './network.ts';
import { buildSchedule, type Schedule, type Step } from './schedule.ts';
import { collectTree, restoreOf, type Tree, type Vm, type Vmg, type World } from './tree.ts';
import { isHeld } from '../velero/held.ts';

export interface Progress {
  restore: string;
  mode: Schedule['mode'];
  /** When the whole tree existed; the sequence's time zero. */
  readyAt: string;
  /** Steps released so far, and when each was. */
  released: number;
  times: string[];
  releasedAt?: string;
  /** Until when a timed continuation is in flight (so events do not start a second one). */
  lease?: string;
}

export type State = 'waiting' | 'blocked' | 'not-held' | 'releasing' | 'released';

export interface Decision {
  state: State;
  namespace: string;
  top: string;
  restore: string;
  tree: Tree;
  /** Restored members the resource modifier did not process: not held, so not sequenced. */
  notHeld: MemberRef[];
  network: Array<{ name: string; patch: Patch; interfaces: string[] }>;
  networkSkipped: string[];
  schedule?: Schedule;
  /** Steps to release now, by index into schedule.steps. */
  due: number[];
  /** Progress to write; undefined when unchanged. */
  progress?: Progress;
  becameReady: boolean;
  becameReleased: boolean;
  /** Epoch ms at which the next step is due. */
  nextDueMs?: number;
  /** Why the tree is blocked, when it is. */
  problem?: string;
}

export function readProgress(group: Vmg | undefined, restore: string): Progress | undefined {
  const text = group?.metadata.annotations?.[ANNOTATION_RESTORE_PROGRESS];
  if (!text) return undefined;
  try {
    const p = JSON.parse(text) as Progress;
    return p &&
      p.restore === restore &&
      typeof p.readyAt === 'string' &&
      Number.isInteger(p.released)
      ? p
      : undefined;
  } catch {
    return undefined;
  }
}

export function decide(world: World, top: string, restore: string, nowMs: number): Decision {
  try {
    return decideOrThrow(world, top, restore, nowMs);
  } catch (err) {
    // A spec VM Operator would refuse too (e.g. an unparsable powerOnDelay): hold and report.
    const tree = { top, nodes: [], missing: [], unlinked: [] };
    return {
      ...nothingYet(world, top, restore, tree),
      state: 'blocked',
      problem: (err as Error).message,
    };
  }
}

/** A decision that releases, switches and reports nothing (yet). */
function nothingYet(world: World, top: string, restore: string, tree: Decision['tree']): Decision {
  return {
    state: 'waiting',
    namespace: world.namespace,
    top,
    restore,
    tree,
    notHeld: [],
    network: [],
    networkSkipped: [],
    due: [],
    becameReady: false,
    becameReleased: false,
  };
}

function decideOrThrow(world: World, top: string, restore: string, nowMs: number): Decision {
  const topGroup = world.groups.get(top);
  const tree = collectTree(world, top);
  const prev = readProgress(topGroup, restore);
  const d = nothingYet(world, top, restore, tree);
  if (prev?.releasedAt) return { ...d, state: 'released' };
  if (tree.cycle)
    return { ...d, state: 'blocked', problem: `groups nest in a cycle: ${tree.cycle.join(' → ')}` };

  const ours = [
    ...(topGroup && restoreOf(topGroup) === restore
      ? [{ ref: { kind: KIND_VMG, name: top } as MemberRef, obj: topGroup }]
      : []),
    ...tree.nodes
      .filter((n) => n.obj && restoreOf(n.obj) === restore)
      .map((n) => ({ ref: n.ref, obj: n.obj! })),
  ];
  d.notHeld = ours.filter((o) => !isHeld(o.obj)).map((o) => o.ref);
  if (d.notHeld.length > 0) return { ...d, state: 'not-held' };

  for (const o of ours) {
    if (o.ref.kind !== KIND_VM) continue;
    const n = networkPatch(o.obj as Vm);
    if (n.patch) d.network.push({ name: o.ref.name, patch: n.patch, interfaces: n.applied });
    d.networkSkipped.push(...n.skipped.map((s) => `${o.ref.name} ${s}`));
  }
  if (tree.missing.length > 0 || tree.unlinked.length > 0) return d;

  const schedule = buildSchedule(world, top, restore);
  const now = new Date(nowMs).toISOString();
  const progress: Progress = prev
    ? { ...prev, times: [...prev.times] }
    : { restore, mode: schedule.mode, readyAt: now, released: 0, times: [] };
  d.schedule = schedule;
  d.becameReady = !prev;
  const start = Date.parse(progress.readyAt);
  while (
    progress.released < schedule.steps.length &&
    start + stepAt(schedule.steps[progress.released]!) <= nowMs
  ) {
    d.due.push(progress.released);
    progress.released += 1;
    progress.times.push(now);
  }
  if (progress.released >= schedule.steps.length) {
    progress.releasedAt = now;
    delete progress.lease;
    d.becameReleased = true;
    d.state = 'released';
  } else {
    d.state = 'releasing';
    d.nextDueMs = start + stepAt(schedule.steps[progress.released]!);
  }
  if (d.becameReady || d.due.length > 0) d.progress = progress;
  return d;
}

function stepAt(step: Step): number {
  return step.offsetMs;
}
