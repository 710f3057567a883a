// Pure: one step of a restored group's sequence as a function of (live tree, progress, now).
// The handler reads, calls decide(), writes what it returns and answers; the next event or tick
// calls decide() again. Progress is an annotation on the top group, keyed by restore name, so a
// new restore of the same backup starts a fresh sequence and any replica can continue it.
//
// Before the sequence starts, each held VM that will be powered on is checked against what its
// namespace offers (preflight.ts): a tree one of whose members can never start is `blocked`
// with the reasons, not `waiting`. A top group with a readiness gate (gate.ts) is released
// stage by stage, stage n+1 only after stage n's gate closed; the gate records live in the
// progress, so a replica restarting mid-gate evaluates the same gate again.

import type { Patch } from '../runtime/kube/kube-api.ts';
import { KIND_VM, KIND_VMG, type MemberRef } from '../vmgroup/boot-order.ts';
import { ANNOTATION_RESTORE_PROGRESS } from '../vmgroup/names.ts';
import { createHash } from 'node:crypto';
import { decideGate, readGate, type Gate, type GateRecord, type VmStatus } from './gate.ts';
import { networkPatch } from './network.ts';
import { describeLack, preflight, restoredVmSpec, type Lack } from './preflight.ts';
import { buildSchedule, type GatedStage, type Schedule, type Step } from './schedule.ts';
import {
  collectTree,
  intentOf,
  restoreOf,
  type Tree,
  type Vm,
  type Vmg,
  type World,
} from './tree.ts';
import { ANNOTATION_RESTORE_RELEASED } from '../vmgroup/names.ts';
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
  /** The sequence is gated (fixed when the tree became ready). */
  gated?: boolean;
  /** Gated: how each closed gate closed, by the index of the stage before it. */
  gates?: Array<GateRecord | null>;
  /** Gated: the open gate's stage and a digest of what it last reported lacking (one Event per change). */
  gateSeen?: string;
}

export type State = 'waiting' | 'blocked' | 'not-held' | 'releasing' | 'released' | 'stopped';

/** What one gate did in this decision (each becomes an Event). */
export type GateNote =
  | { stage: number; kind: 'waiting'; lacking: Lacking; timeoutAtMs: number }
  | { stage: number; kind: 'passed'; dueAtMs: number }
  | { stage: number; kind: 'timed-out'; lacking: Lacking; dueAtMs: number }
  | { stage: number; kind: 'stopped'; lacking: Lacking };

type Lacking = Array<{ vm: string; why: string }>;

/** A held VM whose namespace lacks what it names. */
export interface Unstartable {
  vm: string;
  lacks: Lack[];
  /** It is to be powered on by this sequence (so the tree is blocked until it can start). */
  blocks: boolean;
}

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
  /** Held VMs the preflight found unable to start (checked while any member is held). */
  unstartable: Unstartable[];
  /** The gate the sequence runs with, when gated. */
  gate?: Gate;
  gateNotes: GateNote[];
  /** Gated: the gate currently open (re-check it by polling; timeoutAtMs is the latest). */
  openGate?: { stage: number; timeoutAtMs: number };
  /** Gated, state stopped: the gate that timed out under `stop`. */
  stopped?: { stage: number; since: string; lacking: Lacking };
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
    unstartable: [],
    gateNotes: [],
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
  d.unstartable = unstartable(world, ours, restore);
  const blocking = prev ? [] : d.unstartable.filter((u) => u.blocks);
  if (blocking.length > 0)
    return {
      ...d,
      state: 'blocked',
      problem: blocking.flatMap((u) => u.lacks.map((l) => describeLack(u.vm, l))).join('; '),
    };
  if (tree.missing.length > 0 || tree.unlinked.length > 0) return d;

  const gateRead = topGroup ? readGate(topGroup) : {};
  if (gateRead.error) return { ...d, state: 'blocked', problem: gateRead.error };
  const gated = prev ? prev.gated === true : gateRead.gate !== undefined;
  const schedule = buildSchedule(world, top, restore, { gated });
  const now = new Date(nowMs).toISOString();
  const progress: Progress = prev
    ? { ...prev, times: [...prev.times], ...(prev.gates ? { gates: [...prev.gates] } : {}) }
    : {
        restore,
        mode: schedule.mode,
        readyAt: now,
        released: 0,
        times: [],
        ...(gated ? { gated: true } : {}),
      };
  d.schedule = schedule;
  d.becameReady = !prev;
  const before = JSON.stringify(progress);
  if (gated) {
    if (gateRead.gate) d.gate = gateRead.gate;
    releaseGated(d, world, progress, nowMs);
    // A stopped sequence has no continuation in flight: without its lease, the event that resumes
    // it (the policy switched to continue) starts the next chain at once, not after the lease.
    if (d.state === 'stopped') delete progress.lease;
  } else releaseTimed(d, progress, nowMs);
  if (d.becameReleased) {
    progress.releasedAt = now;
    delete progress.lease;
    delete progress.gateSeen;
    d.state = 'released';
  }
  if (d.becameReady || JSON.stringify(progress) !== before) d.progress = progress;
  return d;
}

/** Ungated: every step at readyAt + its offset. */
function releaseTimed(d: Decision, progress: Progress, nowMs: number): void {
  const steps = d.schedule!.steps;
  const start = Date.parse(progress.readyAt);
  const now = new Date(nowMs).toISOString();
  while (progress.released < steps.length && start + stepAt(steps[progress.released]!) <= nowMs) {
    d.due.push(progress.released);
    progress.released += 1;
    progress.times.push(now);
  }
  if (progress.released >= steps.length) d.becameReleased = true;
  else {
    d.state = 'releasing';
    d.nextDueMs = start + stepAt(steps[progress.released]!);
  }
}

/**
 * Gated: stage 0 starts at readyAt + its delay; each later stage starts its own delay after the
 * previous stage's gate closed (passed, or timed out under `continue`). A stage that powers
 * nothing on has no gate. Without the gate annotation any more (removed mid-sequence), the
 * remaining stages follow their delays only.
 */
function releaseGated(d: Decision, world: World, progress: Progress, nowMs: number): void {
  const schedule = d.schedule!;
  const stages = schedule.stages ?? [];
  let stageStart = Date.parse(progress.readyAt) + (stages[0]?.delayMs ?? 0);
  for (const stage of stages) {
    const own = schedule.steps.flatMap((s, k) => (s.stage === stage.index ? [k] : []));
    if (!releaseStageSteps(d, progress, own, stageStart, nowMs)) return;
    const next = stages[stage.index + 1];
    if (!next) break;
    if (own.length === 0 && stageStart > nowMs) {
      d.state = 'releasing';
      d.nextDueMs = stageStart;
      return;
    }
    const releasedAt =
      own.length > 0 ? progress.times[own.at(-1)!]! : new Date(stageStart).toISOString();
    if (!d.gate || stage.poweredOn.length === 0) {
      stageStart = Date.parse(releasedAt) + next.delayMs;
      continue;
    }
    const nextStart = passGate(d, world, progress, { stage, next, releasedAt, nowMs });
    if (nextStart === undefined) return;
    stageStart = nextStart;
  }
  d.becameReleased = true;
}

/**
 * Releases the steps of one stage that are due by now (stage started at `stageStart`); false when
 * one is still to come (the decision then says when).
 */
function releaseStageSteps(
  d: Decision,
  progress: Progress,
  own: number[],
  stageStart: number,
  nowMs: number,
): boolean {
  const now = new Date(nowMs).toISOString();
  for (const k of own) {
    if (k < progress.released) continue;
    const due = stageStart + d.schedule!.steps[k]!.offsetMs;
    if (due > nowMs) {
      d.state = 'releasing';
      d.nextDueMs = due;
      return false;
    }
    d.due.push(k);
    progress.released += 1;
    progress.times.push(now);
  }
  return true;
}

interface GateAt {
  stage: GatedStage;
  next: GatedStage;
  /** When `stage` was released: its gate's timeout counts from here. */
  releasedAt: string;
  nowMs: number;
}

/**
 * The gate after one stage: the epoch ms at which the next stage starts once it is closed (passed
 * or timed out under `continue`); undefined while it is open or when it stopped the sequence.
 */
function passGate(d: Decision, world: World, progress: Progress, at: GateAt): number | undefined {
  const { stage, next } = at;
  const g = decideGate({
    gate: d.gate!,
    releasedAt: at.releasedAt,
    vms: stage.poweredOn.map((name) => ({
      name,
      status: (world.vms.get(name) as { status?: VmStatus } | undefined)?.status,
    })),
    nextDelayMs: next.delayMs,
    record: progress.gates?.[stage.index] ?? undefined,
    nowMs: at.nowMs,
  });
  switch (g.kind) {
    case 'closed':
      return g.dueAtMs;
    case 'closing':
      recordGate(progress, stage.index, g.record);
      d.gateNotes.push(
        g.record.outcome === 'passed'
          ? { stage: stage.index, kind: 'passed', dueAtMs: g.dueAtMs }
          : { stage: stage.index, kind: 'timed-out', lacking: g.lacking, dueAtMs: g.dueAtMs },
      );
      return g.dueAtMs;
    case 'stopped':
      if (g.record) {
        recordGate(progress, stage.index, g.record);
        d.gateNotes.push({ stage: stage.index, kind: 'stopped', lacking: g.lacking });
      }
      d.state = 'stopped';
      d.stopped = { stage: stage.index, since: g.since, lacking: g.lacking };
      return undefined;
    case 'open':
      noteOpenGate(d, progress, stage.index, g.lacking, g.timeoutAtMs);
      return undefined;
  }
}

/** A gate closed or stopped: remember how, and forget what its open state last reported. */
function recordGate(progress: Progress, stage: number, record: GateRecord): void {
  const gates: Array<GateRecord | null | undefined> = [...(progress.gates ?? [])];
  gates[stage] = record;
  progress.gates = fill(gates);
  delete progress.gateSeen;
}

/** Open: report it when what it waits for changed since it was last reported. */
function noteOpenGate(
  d: Decision,
  progress: Progress,
  stage: number,
  lacking: Lacking,
  timeoutAtMs: number,
): void {
  const seen = `${stage}:${digest(lacking)}`;
  if (progress.gateSeen !== seen) {
    progress.gateSeen = seen;
    d.gateNotes.push({ stage, kind: 'waiting', lacking, timeoutAtMs });
  }
  d.state = 'releasing';
  d.openGate = { stage, timeoutAtMs };
  d.nextDueMs = timeoutAtMs;
}

/** JSON has no holes: gates not closed yet are null. */
function fill(gates: Array<GateRecord | null | undefined>): Array<GateRecord | null> {
  return Array.from(gates, (g) => g ?? null);
}

function digest(lacking: Lacking): string {
  const text = lacking.map((l) => `${l.vm}\u0000${l.why}`).join('\u0001');
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/**
 * Held VMs of this restore, not yet released, whose namespace lacks what they name. Only when
 * the handler read what the namespace offers (world.offer); a VM that was not on at backup is
 * reported but does not block the others.
 */
function unstartable(
  world: World,
  ours: Array<{ ref: MemberRef; obj: Vm | Vmg }>,
  restore: string,
): Unstartable[] {
  if (!world.offer) return [];
  const out: Unstartable[] = [];
  for (const o of ours) {
    if (o.ref.kind !== KIND_VM) continue;
    if (o.obj.metadata.annotations?.[ANNOTATION_RESTORE_RELEASED] === restore) continue;
    const lacks = preflight(restoredVmSpec(o.obj), world.offer);
    if (lacks.length > 0)
      out.push({ vm: o.ref.name, lacks, blocks: intentOf(o.obj) === 'PoweredOn' });
  }
  return out;
}

function stepAt(step: Step): number {
  return step.offsetMs;
}

/**
 * What to do when writing a decision's progress conflicts (the top group's resourceVersion moved
 * since it was read). If the group still carries the progress the decision was made from, another
 * writer changed something else — on a real Supervisor VM Operator updates a group's status and
 * its power-state annotations while its members are created and released — so the decision
 * stands and is written again on the current version. Re-running it later instead would make a
 * tree whose first stage was just released "ready" anew: a later readyAt, and every later stage
 * delayed by as long as the re-run took. If the progress changed, another replica moved the
 * sequence on: decide again on fresh state.
 */
export function afterProgressConflict(
  decidedFrom: Vmg | undefined,
  current: Vmg | undefined,
): 'rewrite' | 'rerun' {
  if (!decidedFrom || !current) return 'rerun';
  const progressOf = (g: Vmg) => g.metadata.annotations?.[ANNOTATION_RESTORE_PROGRESS];
  return progressOf(decidedFrom) === progressOf(current) ? 'rewrite' : 'rerun';
}
