// Pure: a restored group tree inside one namespace — where its top is, which members exist, and
// what each member's power state was at backup.

import type { VirtualMachine } from '../../schemas/generated/objects/virtualmachine.ts';
import type { VirtualMachineGroup } from '../../schemas/generated/objects/virtualmachinegroup.ts';
import { KIND_VM, KIND_VMG, stages, type MemberRef } from '../vmgroup/boot-order.ts';
import type { Target as Offer } from './preflight.ts';
import {
  ANNOTATION_CAPTURED_POWER_STATE,
  ANNOTATION_RESTORE_ORIGINAL_POWER_STATE,
  VELERO_RESTORE_NAME_LABEL,
} from '../vmgroup/names.ts';

export type Vm = VirtualMachine;
export type Vmg = VirtualMachineGroup;
export type Member = Vm | Vmg;

/** One namespace's live groups and VMs, by name. */
export interface World {
  namespace: string;
  groups: ReadonlyMap<string, Vmg>;
  vms: ReadonlyMap<string, Vm>;
  /** What the namespace offers restored VMs (images, classes, ...), when the handler read it. */
  offer?: Offer;
}

export type PowerState = 'PoweredOn' | 'PoweredOff' | 'Suspended';
export type Intent = PowerState | 'Unknown';

const STATES: readonly string[] = ['PoweredOn', 'PoweredOff', 'Suspended'];

/**
 * The power state a member had at backup: what the resource modifier recorded from the backed-up
 * spec (exact), else what the backup labeler captured on the live object, else Unknown.
 */
export function intentOf(obj: Member): Intent {
  const a = obj.metadata.annotations ?? {};
  const recorded = a[ANNOTATION_RESTORE_ORIGINAL_POWER_STATE];
  if (recorded && STATES.includes(recorded)) return recorded as PowerState;
  const captured = a[ANNOTATION_CAPTURED_POWER_STATE];
  if (captured && STATES.includes(captured)) return captured as PowerState;
  return 'Unknown';
}

export function restoreOf(obj: Member): string | undefined {
  return obj.metadata.labels?.[VELERO_RESTORE_NAME_LABEL];
}

export function lookup(world: World, ref: MemberRef): Member | undefined {
  return ref.kind === KIND_VMG ? world.groups.get(ref.name) : world.vms.get(ref.name);
}

export type TopResult =
  | { top: string }
  | { ungrouped: true }
  | { missingGroup: string; below: MemberRef }
  | { cycle: string[] };

/** Follows spec.groupName upwards from an object to the group that has no parent. */
export function locateTop(world: World, start: MemberRef): TopResult {
  const seen: string[] = [];
  let below: MemberRef = start;
  let parent = lookup(world, start)?.spec?.groupName;
  if (start.kind === KIND_VMG) {
    seen.push(start.name);
    if (!parent) return { top: start.name };
  }
  if (!parent) return { ungrouped: true };
  for (;;) {
    if (seen.includes(parent)) return { cycle: [...seen, parent] };
    const g = world.groups.get(parent);
    if (!g) return { missingGroup: parent, below };
    seen.push(parent);
    below = { kind: KIND_VMG, name: parent };
    if (!g.spec?.groupName) return { top: parent };
    parent = g.spec.groupName;
  }
}

export interface TreeNode {
  ref: MemberRef;
  parent?: string;
  obj?: Member;
}

export interface Tree {
  top: string;
  /** Every member below the top (depth first, in boot order), present or not. */
  nodes: TreeNode[];
  missing: TreeNode[];
  /** Present, but its spec.groupName does not name the group that lists it, so VM Operator will not link it. */
  unlinked: TreeNode[];
  cycle?: string[];
}

export function collectTree(world: World, top: string): Tree {
  const tree: Tree = { top, nodes: [], missing: [], unlinked: [] };
  const visit = (groupName: string, path: string[]): void => {
    const g = world.groups.get(groupName);
    if (!g) return;
    for (const stage of stages(g)) {
      for (const ref of stage.members) {
        const obj = lookup(world, ref);
        const node: TreeNode = { ref, parent: groupName, ...(obj ? { obj } : {}) };
        tree.nodes.push(node);
        if (!obj) tree.missing.push(node);
        else if (obj.spec?.groupName !== groupName) tree.unlinked.push(node);
        if (ref.kind === KIND_VMG && obj) {
          if (path.includes(ref.name)) tree.cycle = [...path, ref.name];
          else visit(ref.name, [...path, ref.name]);
        }
      }
    }
  };
  visit(top, [top]);
  return tree;
}

/**
 * The single power state a whole subtree had at backup (the group's own and every member's,
 * nested groups included), or undefined when they differ or any is unknown. Only then does
 * setting the group's power state — which VM Operator pushes onto every member — restore
 * exactly what was backed up.
 */
export function uniformState(
  world: World,
  groupName: string,
  seen: string[] = [],
): 'PoweredOn' | 'PoweredOff' | undefined {
  const g = world.groups.get(groupName);
  if (!g || seen.includes(groupName)) return undefined;
  const own = intentOf(g);
  if (own !== 'PoweredOn' && own !== 'PoweredOff') return undefined;
  for (const ref of stages(g).flatMap((s) => s.members)) {
    const obj = lookup(world, ref);
    if (!obj) return undefined;
    const state =
      ref.kind === KIND_VMG ? uniformState(world, ref.name, [...seen, groupName]) : intentOf(obj);
    if (state !== own) return undefined;
  }
  return own;
}

export { KIND_VM, KIND_VMG };
