// The application objects a group's VMs depend on or are served by, beyond Secrets, ConfigMaps
// and PVCs (issue 16 Deliver 2), and what a restore of each VM brings back (issue 15 Deliver 1).
// Pure: plain objects in, decisions out. Not yet wired into computeClosure, the labeler or the
// CLI (see docs/backup-and-restore.md).
//
// User-owned (labelled into the closure), from VM Operator v1alpha5/v1alpha6:
//  - VirtualMachineService (vmoperator.vmware.com) whose spec.selector matches a member's labels.
//    VM Operator's service controller selects nothing for an empty selector and otherwise lists
//    VMs with client.MatchingLabels(selector): every key present with an equal value.
//  - VirtualMachineSetResourcePolicy (vmoperator.vmware.com) named by spec.reserved.resourcePolicyName.
//  - EncryptionClass (encryption.vmware.com) named by spec.crypto.encryptionClassName.
// Infrastructure-owned (not backed up; to be checked on restore): VirtualMachineClass (namespaced
// binding), VirtualMachineImage / ClusterVirtualMachineImage, the StorageClass, the network.

import type { VirtualMachine } from '../../schemas/generated/objects/virtualmachine.ts';

export type AppKind =
  'VirtualMachineService' | 'VirtualMachineSetResourcePolicy' | 'EncryptionClass';

export interface AppRef {
  kind: AppKind;
  name: string;
  /** The field or selector that links it, e.g. `spec.reserved.resourcePolicyName`. */
  role: string;
  /** The member VM that links it. */
  vm: string;
}

export interface VmServiceLike {
  metadata: { name: string };
  spec?: { selector?: Record<string, string> | null };
}

/** VM Operator's selection: an empty selector selects nothing; else every pair must match. */
export function serviceSelects(
  selector: Record<string, string> | null | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  const pairs = Object.entries(selector ?? {});
  if (pairs.length === 0) return false;
  return pairs.every(
    ([k, v]) => labels !== undefined && Object.hasOwn(labels, k) && labels[k] === v,
  );
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function field(obj: unknown, ...path: string[]): unknown {
  let cur = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

/** The user-owned application objects linked by `members`, one entry per (object, VM) link. */
export function appRefs(
  members: readonly VirtualMachine[],
  services: readonly VmServiceLike[],
): AppRef[] {
  const out: AppRef[] = [];
  for (const vm of members) {
    const name = vm.metadata.name;
    const policy = str(field(vm.spec, 'reserved', 'resourcePolicyName'));
    if (policy) {
      out.push({
        kind: 'VirtualMachineSetResourcePolicy',
        name: policy,
        role: 'spec.reserved.resourcePolicyName',
        vm: name,
      });
    }
    const enc = str(field(vm.spec, 'crypto', 'encryptionClassName'));
    if (enc)
      out.push({
        kind: 'EncryptionClass',
        name: enc,
        role: 'spec.crypto.encryptionClassName',
        vm: name,
      });
    for (const s of services) {
      if (serviceSelects(s.spec?.selector, vm.metadata.labels)) {
        out.push({
          kind: 'VirtualMachineService',
          name: s.metadata.name,
          role: 'spec.selector',
          vm: name,
        });
      }
    }
  }
  return out;
}

export interface Fidelity {
  vm: string;
  comesBack: { spec: true; pvcs: string[]; bootstrap: string[] };
  doesNot: { bootDisk: string; nonPvcVolumes: string[] };
  targetMustProvide: {
    image: string;
    class: string;
    storageClass: string;
    encryptionClass: string;
  };
}

/** What a Velero restore of `vm` brings back: a new VM deployed from spec.image plus its PVCs. */
export function restoreFidelity(vm: VirtualMachine, bootstrapNames: readonly string[]): Fidelity {
  const pvcs: string[] = [];
  const nonPvc: string[] = [];
  for (const v of vm.spec?.volumes ?? []) {
    const claim = v.persistentVolumeClaim?.claimName;
    if (claim) pvcs.push(claim);
    else nonPvc.push(v.name);
  }
  const imageKind = str(field(vm.spec, 'image', 'kind'));
  const imageName = str(field(vm.spec, 'image', 'name')) || str(field(vm.spec, 'imageName'));
  const image = imageName ? `${imageKind || 'VirtualMachineImage'}/${imageName}` : '';
  return {
    vm: vm.metadata.name,
    comesBack: { spec: true, pvcs, bootstrap: [...bootstrapNames] },
    doesNot: {
      bootDisk: image
        ? `boot disk state since deploy: redeployed from image ${image}`
        : 'boot disk state since deploy: the VM names no image',
      nonPvcVolumes: nonPvc,
    },
    targetMustProvide: {
      image,
      class: str(field(vm.spec, 'className')),
      storageClass: str(field(vm.spec, 'storageClass')),
      encryptionClass: str(field(vm.spec, 'crypto', 'encryptionClassName')),
    },
  };
}
