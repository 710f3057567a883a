// Pure: how a complete restored tree is released. When the whole tree had one power state at
// backup, setting the top group's power state hands the boot order and its delays to VM
// Operator's group controller, which does exactly that (controllers/virtualmachinegroup:
// it sets every member's power state with an apply-time of base + the stages' delays). When
// members differ (some were off), VM Operator would power them all on, so the sequencer releases
// stage by stage itself, delegating only uniform nested groups.

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
  /** Milliseconds after the sequence started. */
  offsetMs: number;
  entries: Entry[];
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

export function buildSchedule(world: World, top: string, restore: string): Schedule {
  const tree = collectTree(world, top);
  const topGroup = world.groups.get(top);
  const allOurs =
    !!topGroup &&
    restoreOf(topGroup) === restore &&
    tree.nodes.every((n) => n.obj && restoreOf(n.obj) === restore);
  const uniform = uniformState(world, top);
  const out: Schedule = {
    mode: 'staged',
    steps: [],
    poweredOn: [],
    keptOff: [],
    unsetGroups: [],
    foreign: [],
  };
  const entries: Array<Entry & { offsetMs: number }> = [];

  const delegate = (group: string, state: 'PoweredOn' | 'PoweredOff', offsetMs: number): void => {
    entries.push({ ref: { kind: KIND_VMG, name: group }, powerState: state, offsetMs });
    for (const vm of vmsBelow(world, group)) {
      if (state === 'PoweredOn') out.poweredOn.push(vm);
      else out.keptOff.push({ ref: vm, state: 'PoweredOff', reason: KEPT_OFF_REASON.PoweredOff });
    }
  };

  if (uniform && allOurs) {
    out.mode = 'delegated';
    delegate(top, uniform, 0);
  } else {
    out.unsetGroups.push(top);
    const walk = (group: string, base: number, seen: string[]): void => {
      const g = world.groups.get(group);
      if (!g) return;
      for (const stage of stages(g)) {
        const offsetMs = base + stage.offsetMs;
        for (const ref of stage.members) {
          const obj = lookup(world, ref);
          if (!obj) continue;
          if (restoreOf(obj) !== restore) {
            out.foreign.push(ref);
            continue;
          }
          if (ref.kind === KIND_VM) {
            const intent = intentOf(obj);
            if (intent === 'PoweredOn') {
              entries.push({ ref, powerState: 'PoweredOn', offsetMs });
              out.poweredOn.push(ref);
            } else out.keptOff.push({ ref, state: intent, reason: KEPT_OFF_REASON[intent] });
            continue;
          }
          if (seen.includes(ref.name)) continue;
          const u = uniformState(world, ref.name);
          if (
            u &&
            collectTree(world, ref.name).nodes.every((n) => n.obj && restoreOf(n.obj) === restore)
          )
            delegate(ref.name, u, offsetMs);
          else {
            out.unsetGroups.push(ref.name);
            walk(ref.name, offsetMs, [...seen, ref.name]);
          }
        }
      }
    };
    walk(top, 0, [top]);
  }

  const byOffset = new Map<number, Entry[]>();
  for (const { offsetMs, ...entry } of entries)
    byOffset.set(offsetMs, [...(byOffset.get(offsetMs) ?? []), entry]);
  out.steps = [...byOffset.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([offsetMs, es]) => ({ offsetMs, entries: es }));
  return out;
}
