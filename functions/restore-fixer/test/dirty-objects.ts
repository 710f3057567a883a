// Test support: restored objects as Velero hands them to the resource modifier — metadata and
// status already stripped, but carrying everything in strip-rules.ts (as a VM backed up from a
// running Supervisor does).

import type { KubeObject } from '../../runtime/kube/kube-api.ts';
import { asKube, pvc, vm, vmg, vmMember, type VmOverrides } from '../../vmgroup/test/builders.ts';
import { rulesFor } from '../strip-rules.ts';

const SPEC_VALUES: Record<string, unknown> = {
  instanceUUID: '2f6b1f0e-6f0a-4c8e-9a57-3d2a1b8c9e01',
  biosUUID: '4210a9b1-07cc-1d5e-2f3a-9c8b7a6d5e4f',
  class: {
    apiVersion: 'vmoperator.vmware.com/v1alpha5',
    kind: 'VirtualMachineClassInstance',
    name: 'best-effort-small-8f3k2',
  },
  currentSnapshotName: 'before-upgrade',
  nextRestartTime: '2026-08-01T10:00:00Z',
  nextForcePowerStateSyncTime: '2026-08-01T10:00:00.123456789Z',
  'bootOptions.bootOrder': [{ type: 'Disk', name: 'boot-disk' }, { type: 'Network' }],
};

export function setPath(spec: Record<string, unknown>, dotted: string, value: unknown): void {
  const steps = dotted.split('.');
  let node = spec;
  for (const step of steps.slice(0, -1)) node = (node[step] ??= {}) as Record<string, unknown>;
  node[steps.at(-1)!] = value;
}

function dirtyMeta(kind: string): {
  annotations: Record<string, string>;
  labels: Record<string, string>;
  spec: Record<string, unknown>;
  finalizers: string[];
} {
  const annotations: Record<string, string> = {};
  const labels: Record<string, string> = {};
  const spec: Record<string, unknown> = {};
  const finalizers: string[] = [];
  for (const r of rulesFor(kind)) {
    if (r.where === 'annotation') annotations[r.key] = 'old-value';
    if (r.where === 'annotationPrefix') annotations[`${r.key}4210a9b1-07cc-1d5e`] = 'old-value';
    if (r.where === 'label') labels[r.key] = '';
    if (r.where === 'spec') setPath(spec, r.key, SPEC_VALUES[r.key] ?? 'old-value');
    if (r.where === 'finalizer') finalizers.push(r.key);
  }
  return { annotations, labels, spec, finalizers };
}

/** A VM carrying every key of strip-rules.ts that the modifier removes (nothing only reportable). */
export function dirtyVm(name: string, o: VmOverrides = {}): KubeObject {
  const d = dirtyMeta('VirtualMachine');
  for (const k of Object.keys(d.annotations))
    if (k.includes('check.vmoperator.vmware.com/')) delete d.annotations[k];
  const obj = asKube(
    vm(name, {
      ...o,
      labels: { ...d.labels, ...o.labels },
      annotations: { ...d.annotations, ...o.annotations },
      spec: { ...d.spec, ...o.spec },
    }),
  );
  return obj;
}

export function dirtyVmg(
  name: string,
  members: string[],
  powerState?: 'PoweredOn' | 'PoweredOff' | 'Suspended',
): KubeObject {
  const d = dirtyMeta('VirtualMachineGroup');
  const g = asKube(
    vmg(name, {
      annotations: d.annotations,
      bootOrder: [members.map((m) => vmMember(m))],
      ...(powerState ? { powerState } : {}),
    }),
  );
  Object.assign(g.spec as object, d.spec);
  return g;
}

export function dirtyPvc(name: string): KubeObject {
  const d = dirtyMeta('PersistentVolumeClaim');
  const p = pvc(name, {
    annotations: {
      ...d.annotations,
      'cns.vmware.com/usedby-vm-9c1d2e3f-aaaa': 'true',
      'volume.kubernetes.io/storage-provisioner': 'csi.vsphere.vmware.com',
    },
  });
  p.metadata.finalizers = ['kubernetes.io/pvc-protection', ...d.finalizers];
  return p;
}
