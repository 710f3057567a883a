// Pure: how a complete restored tree is released. When the whole tree had one power state at
// backup, setting the top group's power state hands the boot order and its delays to VM
// Operator's group controller, which does exactly that (controllers/virtualmachinegroup:
// it sets every member's power state with an apply-time of base + the stages' delays). When
// members differ (some were off), VM Operator would power them all on, so the sequencer releases
// stage by stage itself, delegating only uniform nested groups. A group with a readiness gate
// (gate.ts) is also released stage by stage: its top-level stages are kept apart, each step's
// offset counting from its stage's start (known only once the previous stage's gate closed).

import { KIND_VM, KIND_VMG, stages, type MemberRef } from '../vmgroup/boot-order.ts';
import {
  collectTree,
  intentOf,
  lookup,
  restoreOf,
  uniformState,
  type Intent,
  type World,
} from './tree.ts';

export interface Entry {
  ref: MemberRef;
  powerState: 'PoweredOn' | 'PoweredOff';
}

export interface Step {
  /** Milliseconds after the sequence started; in a gated schedule, after its stage started. */
  offsetMs: number;
  entries: Entry[];
  /** Gated schedules: the top group's boot-order stage this step belongs to. */
  stage?: number;
}

/** One top-level stage of a gated schedule. */
export interface GatedStage {
  index: number;
  /** Its own powerOnDelay: after the previous stage's gate closed (stage 0: after readyAt). */
  delayMs: number;
  /** The VMs it powers on (directly or through a delegated group): what its gate waits for. */
  poweredOn: string[];
}

export interface KeptOff {
  ref: MemberRef;
  state: Intent;
  reason: string;
}

export interface Schedule {
  mode: 'delegated' | 'staged';
  steps: Step[];
  /** VMs this sequence powers on (directly or through a delegated group). */
  poweredOn: MemberRef[];
  keptOff: KeptOff[];
  /** Groups whose power state stays unset because their members differ (setting it would push it onto all). */
  unsetGroups: string[];
  /** Present members this restore did not create; their power is left alone. */
  foreign: MemberRef[];
  /** Set when the schedule is gated: the top group's stages in order. */
  stages?: GatedStage[];
}

const KEPT_OFF_REASON: Record<Intent, string> = {
  PoweredOn: '',
  PoweredOff: 'was powered off at backup',
  Suspended: 'was suspended at backup; VM Operator cannot create a VM suspended, so it stays off',
  Unknown:
    'no power state was recorded at backup (no resource-modifier record, no captured annotation), so it stays off',
};

/** Every VM below a group that a delegated power state reaches, with what it will get. */
function vmsBelow(
  world: World,
  group: string,
  acc: MemberRef[] = [],
  seen: string[] = [],
): MemberRef[] {
  const g = world.groups.get(group);
  if (!g || seen.includes(group)) return acc;
  for (const ref of stages(g).flatMap((s) => s.members)) {
    if (ref.kind === KIND_VM) acc.push(ref);
    else vmsBelow(world, ref.name, acc, [...seen, group]);
  }
  return acc;
}

/** The state of one schedule being built: what it holds so far, and where the walk is. */
interface Walk {
  world: World;
  top: string;
  restore: string;
  gated: boolean;
  out: Schedule;
  entries: Array<Entry & { offsetMs: number; stage: number }>;
  /** Which top-level stage the walk is in, and where that stage starts on the ungated clock. */
  current: { stage: number; startMs: number };
}

export function buildSchedule(
  world: World,
  top: string,
  restore: string,
  options: { gated?: boolean } = {},
): Schedule {
  const tree = collectTree(world, top);
  const topGroup = world.groups.get(top);
  const allOurs =
    !!topGroup &&
    restoreOf(topGroup) === restore &&
    tree.nodes.every((n) => n.obj && restoreOf(n.obj) === restore);
  const uniform = uniformState(world, top);
  const gated = options.gated === true;
  const w: Walk = {
    world,
    top,
    restore,
    gated,
    out: { mode: 'staged', steps: [], poweredOn: [], keptOff: [], unsetGroups: [], foreign: [] },
    entries: [],
    current: { stage: 0, startMs: 0 },
  };
  if (gated) {
    const topStages = topGroup ? stages(topGroup) : [];
    w.out.stages = topStages.map((s) => ({ index: s.index, delayMs: s.delayMs, poweredOn: [] }));
  }
  if (uniform && allOurs && !gated) {
    w.out.mode = 'delegated';
    delegate(w, top, uniform, 0);
  } else {
    w.out.unsetGroups.push(top);
    walkGroup(w, top, 0, [top]);
  }
  w.out.steps = toSteps(w.entries, gated);
  return w.out;
}

function markPoweredOn(w: Walk, vm: MemberRef): void {
  w.out.poweredOn.push(vm);
  w.out.stages?.[w.current.stage]?.poweredOn.push(vm.name);
}

function pushEntry(w: Walk, e: Entry, offsetMs: number): void {
  w.entries.push({
    ...e,
    stage: w.current.stage,
    offsetMs: w.gated ? offsetMs - w.current.startMs : offsetMs,
  });
}

/** A group whose whole tree has one power state: VM Operator's group controller releases it. */
function delegate(
  w: Walk,
  group: string,
  state: 'PoweredOn' | 'PoweredOff',
  offsetMs: number,
): void {
  pushEntry(w, { ref: { kind: KIND_VMG, name: group }, powerState: state }, offsetMs);
  for (const vm of vmsBelow(w.world, group)) {
    if (state === 'PoweredOn') markPoweredOn(w, vm);
    else w.out.keptOff.push({ ref: vm, state: 'PoweredOff', reason: KEPT_OFF_REASON.PoweredOff });
  }
}

/** Walks a group's boot order: VMs get their own entries, uniform child groups are delegated. */
function walkGroup(w: Walk, group: string, base: number, seen: string[]): void {
  const g = w.world.groups.get(group);
  if (!g) return;
  for (const stage of stages(g)) {
    const offsetMs = base + stage.offsetMs;
    if (group === w.top) w.current = { stage: stage.index, startMs: offsetMs };
    for (const ref of stage.members) walkMember(w, ref, offsetMs, seen);
  }
}

function walkMember(w: Walk, ref: MemberRef, offsetMs: number, seen: string[]): void {
  const obj = lookup(w.world, ref);
  if (!obj) return;
  if (restoreOf(obj) !== w.restore) {
    w.out.foreign.push(ref);
    return;
  }
  if (ref.kind === KIND_VM) {
    const intent = intentOf(obj);
    if (intent === 'PoweredOn') {
      pushEntry(w, { ref, powerState: 'PoweredOn' }, offsetMs);
      markPoweredOn(w, ref);
    } else w.out.keptOff.push({ ref, state: intent, reason: KEPT_OFF_REASON[intent] });
    return;
  }
  if (seen.includes(ref.name)) return;
  const u = uniformState(w.world, ref.name);
  if (
    u &&
    collectTree(w.world, ref.name).nodes.every((n) => n.obj && restoreOf(n.obj) === w.restore)
  )
    delegate(w, ref.name, u, offsetMs);
  else {
    w.out.unsetGroups.push(ref.name);
    walkGroup(w, ref.name, offsetMs, [...seen, ref.name]);
  }
}

/** Ungated: one step per instant. Gated: one step per instant within each stage. */
function toSteps(entries: Walk['entries'], gated: boolean): Step[] {
  const byKey = new Map<string, Step>();
  for (const { offsetMs, stage, ...entry } of entries) {
    const key = gated ? `${stage}/${offsetMs}` : `${offsetMs}`;
    const step = byKey.get(key) ?? { offsetMs, entries: [], ...(gated ? { stage } : {}) };
    step.entries.push(entry);
    byKey.set(key, step);
  }
  return [...byKey.values()].sort(
    (a, b) => (a.stage ?? 0) - (b.stage ?? 0) || a.offsetMs - b.offsetMs,
  );
}
