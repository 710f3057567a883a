// Test support: objects as a Velero restore creates them with the resource modifier applied
// (restore labels, strip marker, backed-up power state recorded, VMs held off, groups without a
// power state) — or without it (`modifier: false`).

import type { MemberRef } from '../../vmgroup/boot-order.ts';
import {
  ANNOTATION_CAPTURED_NETWORK,
  ANNOTATION_RESTORE_ORIGINAL_POWER_STATE,
  ANNOTATION_RESTORE_STRIPPED,
  RESTORE_STRIP_VERSION,
  VELERO_BACKUP_NAME_LABEL,
  VELERO_RESTORE_NAME_LABEL,
} from '../../vmgroup/names.ts';
import { groupMember, vm, vmg, vmMember } from '../../vmgroup/test/builders.ts';
import type { PowerState, Vm, Vmg, World } from '../tree.ts';

export const RESTORE = 'restore-1';
export const BACKUP = 'backup-1';

export interface RestoredOptions {
  namespace?: string;
  restore?: string;
  /** Backed-up spec.powerState; undefined = unset. */
  was?: PowerState;
  /** The resource modifier ran (default true). */
  modifier?: boolean;
  /** No restore labels: an object that existed before the restore. */
  foreign?: boolean;
  annotations?: Record<string, string>;
}

function restoredMeta(o: RestoredOptions): {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  namespace?: string;
} {
  const labels: Record<string, string> = o.foreign
    ? {}
    : { [VELERO_BACKUP_NAME_LABEL]: BACKUP, [VELERO_RESTORE_NAME_LABEL]: o.restore ?? RESTORE };
  const annotations: Record<string, string> = { ...o.annotations };
  if (!o.foreign && o.modifier !== false) {
    annotations[ANNOTATION_RESTORE_STRIPPED] = RESTORE_STRIP_VERSION;
    annotations[ANNOTATION_RESTORE_ORIGINAL_POWER_STATE] = o.was ?? 'Unset';
  }
  return { labels, annotations, ...(o.namespace ? { namespace: o.namespace } : {}) };
}

export function restoredVm(name: string, group: string | undefined, o: RestoredOptions = {}): Vm {
  const held = !o.foreign && o.modifier !== false;
  return vm(name, {
    ...restoredMeta(o),
    ...(group ? { groupName: group } : {}),
    powerState: held ? 'PoweredOff' : (o.was ?? 'PoweredOn'),
  });
}

export type StageSpec = { members: MemberRef[]; powerOnDelay?: string };

export function restoredVmg(
  name: string,
  bootOrder: StageSpec[],
  o: RestoredOptions & { parent?: string } = {},
): Vmg {
  const held = !o.foreign && o.modifier !== false;
  return vmg(name, {
    ...restoredMeta(o),
    ...(o.parent ? { groupName: o.parent } : {}),
    ...(!held && o.was ? { powerState: o.was } : {}),
    bootOrder: bootOrder.map((s) => ({
      members: s.members.map((m) =>
        m.kind === 'VirtualMachineGroup' ? groupMember(m.name) : vmMember(m.name),
      ),
      ...(s.powerOnDelay ? { powerOnDelay: s.powerOnDelay } : {}),
    })),
  });
}

export const V = (name: string): MemberRef => ({ kind: 'VirtualMachine', name });
export const G = (name: string): MemberRef => ({ kind: 'VirtualMachineGroup', name });

export function worldOf(objects: Array<Vm | Vmg>, namespace = 'apps'): World {
  return {
    namespace,
    groups: new Map(
      objects
        .filter((o): o is Vmg => o.kind === 'VirtualMachineGroup')
        .map((g) => [g.metadata.name, g]),
    ),
    vms: new Map(
      objects.filter((o): o is Vm => o.kind === 'VirtualMachine').map((v) => [v.metadata.name, v]),
    ),
  };
}

export function withCapturedNetwork(v: Vm, value: object): Vm {
  v.metadata.annotations = {
    ...v.metadata.annotations,
    [ANNOTATION_CAPTURED_NETWORK]: JSON.stringify(value),
  };
  return v;
}
