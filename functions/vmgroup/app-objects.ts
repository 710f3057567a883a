// The application objects a group's VMs depend on or are served by, beyond Secrets, ConfigMaps
// and PVCs (issue 16 Deliver 2), and what a restore of each VM brings back (issue 15 Deliver 1).
// Pure: plain objects in, decisions out; computeClosure (closure.ts) calls both.
//
// User-owned (labelled into the closure), from VM Operator v1alpha5/v1alpha6 at v1.10.0:
//  - VirtualMachineService (vmoperator.vmware.com) whose spec.selector matches a member's labels.
//    controllers/virtualmachineservice: an empty selector selects nothing
//    (getVirtualMachinesSelectedByVMService returns early); otherwise VMs of the service's own
//    namespace are listed with client.MatchingLabels(selector): every key present, value equal.
//  - VirtualMachineSetResourcePolicy (vmoperator.vmware.com) named by spec.reserved.resourcePolicyName.
//  - EncryptionClass (encryption.vmware.com) named by spec.crypto.encryptionClassName.
// Infrastructure-owned (not backed up; what the target must provide): VirtualMachineClass,
// VirtualMachineImage / ClusterVirtualMachineImage, the StorageClass (VM's and PVCs'), the
// network. The full decision table is in docs/backup-and-restore.md ("Whole applications").

import type { VirtualMachine } from '../../schemas/generated/objects/virtualmachine.ts';

export type AppKind =
  'VirtualMachineService' | 'VirtualMachineSetResourcePolicy' | 'EncryptionClass';

/** Roles of the edges from a member VM to the application objects it links. */
export const APP_ROLE = {
  VirtualMachineService: 'service.spec.selector',
  VirtualMachineSetResourcePolicy: 'reserved.resourcePolicyName',
  EncryptionClass: 'crypto.encryptionClassName',
} as const satisfies Record<AppKind, string>;

export interface AppRef {
  kind: AppKind;
  name: string;
  /** The field or selector that links it (APP_ROLE). */
  role: string;
  /** The member VM that links it. */
  vm: string;
}

/** A VirtualMachineService as far as the closure reads it. */
export interface VmServiceLike {
  metadata: { name: string; namespace?: string };
  spec?: { selector?: Record<string, string> | null } | null;
}

/** VM Operator's selection: an empty selector selects nothing; else every pair must match. */
export function serviceSelects(
  selector: Record<string, string> | null | undefined,
  labels: Record<string, string> | null | undefined,
): boolean {
  const pairs = Object.entries(selector ?? {});
  if (pairs.length === 0) return false;
  return pairs.every(([k, v]) => labels != null && Object.hasOwn(labels, k) && labels[k] === v);
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

/** The user-owned application objects one member VM links, in a stable order. */
export function appRefsOf(vm: VirtualMachine, services: readonly VmServiceLike[]): AppRef[] {
  const out: AppRef[] = [];
  const name = vm.metadata.name;
  const policy = str(field(vm.spec, 'reserved', 'resourcePolicyName'));
  if (policy) {
    const kind = 'VirtualMachineSetResourcePolicy';
    out.push({ kind, name: policy, role: APP_ROLE[kind], vm: name });
  }
  const enc = str(field(vm.spec, 'crypto', 'encryptionClassName'));
  if (enc)
    out.push({ kind: 'EncryptionClass', name: enc, role: APP_ROLE.EncryptionClass, vm: name });
  for (const s of services) {
    if (serviceSelects(s.spec?.selector, vm.metadata.labels)) {
      const kind = 'VirtualMachineService';
      out.push({ kind, name: s.metadata.name, role: APP_ROLE[kind], vm: name });
    }
  }
  return out;
}

/** The user-owned application objects linked by `members`, one entry per (object, VM) link. */
export function appRefs(
  members: readonly VirtualMachine[],
  services: readonly VmServiceLike[],
): AppRef[] {
  return members.flatMap((vm) => appRefsOf(vm, services));
}

export interface FidelityInputs {
  /** Bootstrap objects of the VM that are in the closure, as `Kind/name`. */
  bootstrap: readonly string[];
  /** Claim names of the VM's PVCs that are in the closure. */
  pvcs: readonly string[];
  /** storageClassName of each PVC, when known. */
  pvcStorageClasses?: ReadonlyMap<string, string>;
}

export interface Fidelity {
  vm: string;
  comesBack: { spec: true; pvcs: string[]; bootstrap: string[] };
  doesNot: {
    /** The sentence for people: what the boot disk becomes. */
    bootDisk: string;
    /** `Kind/name` of the image the VM is redeployed from; '' when it names none. */
    redeployedFrom: string;
    /** spec.volumes entries not backed by a PVC (their data is not in the backup). */
    nonPvcVolumes: string[];
    /** Claims the VM names that are not in the namespace: nothing to back up. */
    missingPvcs: string[];
  };
  targetMustProvide: {
    image: string;
    class: string;
    /** The VM's spec.storageClass first, then each PVC's storageClassName, without repeats. */
    storageClasses: string[];
    encryptionClass: string;
  };
}

/** `Kind/name` of the image a VM deploys from: spec.image (v1alpha3+), else spec.imageName. */
export function imageOf(vm: VirtualMachine): string {
  const imageKind = str(field(vm.spec, 'image', 'kind'));
  const imageName = str(field(vm.spec, 'image', 'name')) || str(field(vm.spec, 'imageName'));
  return imageName ? `${imageKind || 'VirtualMachineImage'}/${imageName}` : '';
}

/**
 * What a Velero restore of `vm` brings back. VM Operator finds no vSphere VM for a restored object
 * (status.uniqueID stripped by Velero, spec.instanceUUID by the modifier, a new metadata.uid:
 * pkg/providers/vsphere/vcenter/getvm.go) and deploys spec.image anew; only PVC data returns.
 */
export function restoreFidelity(vm: VirtualMachine, inputs: FidelityInputs): Fidelity {
  const kept = new Set(inputs.pvcs);
  const nonPvc: string[] = [];
  const missing: string[] = [];
  const classes: string[] = [];
  const addClass = (c: string | undefined): void => {
    if (c && !classes.includes(c)) classes.push(c);
  };
  addClass(str(field(vm.spec, 'storageClass')));
  for (const v of vm.spec?.volumes ?? []) {
    const claim = v.persistentVolumeClaim?.claimName;
    if (!claim) nonPvc.push(v.name);
    else if (!kept.has(claim)) missing.push(claim);
    else addClass(inputs.pvcStorageClasses?.get(claim));
  }
  const image = imageOf(vm);
  return {
    vm: vm.metadata.name,
    comesBack: { spec: true, pvcs: [...inputs.pvcs], bootstrap: [...inputs.bootstrap] },
    doesNot: {
      bootDisk: image
        ? `boot disk state since deploy: redeployed from image ${image}`
        : 'boot disk state since deploy: the VM names no image to redeploy from',
      redeployedFrom: image,
      nonPvcVolumes: nonPvc,
      missingPvcs: missing,
    },
    targetMustProvide: {
      image,
      class: str(field(vm.spec, 'className')),
      storageClasses: classes,
      encryptionClass: str(field(vm.spec, 'crypto', 'encryptionClassName')),
    },
  };
}
