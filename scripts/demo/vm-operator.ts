// The demo's VM Operator mode (`npm run demo -- --vm-operator`, or by default once the binaries are
// built): the plane is test/harness's VM Operator plane — the real VM Operator v1.10.0 (webhooks,
// conversion, controllers) on govmomi's vCenter simulator — so nothing in the demo writes a VM's
// status: VM Operator admits every VM, creates it in vSphere (powered off while the restore holds
// it) and powers it on when the sequencer releases it. This module watches the simulator and reads
// back what VM Operator and vCenter did; vsphere-times.ts (pure) turns that into times and checks.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kube, KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import { IMAGE_NAME, STORAGE_CLASS, VM_CLASS } from '../../test/harness/vm-operator.ts';
import type { SimulatorVm, VmOperatorPlane } from '../../test/harness/vm-operator.ts';
import { CONFIGMAP_TRANSPORT } from './fixture.ts';
import type { Variant } from './fixture.ts';
import { vsphereTimes } from './vsphere-times.ts';
import type { PowerEventLike, RestoredVm, VsphereTime } from './vsphere-times.ts';

const VMOP = 'vmoperator.vmware.com/v1alpha5';

/** The fixture as the simulator can back it. */
export const VM_OPERATOR_VARIANT: Variant = {
  storageClass: STORAGE_CLASS,
  network: false,
  volumes: false,
};

/** The gate the group asks for in this mode: has-ip cannot pass on the simulator. */
export const VM_OPERATOR_GATE = 'powered-on';

/** What this mode changes from the plain demo, and why, in plain words. */
export const VM_OPERATOR_NOTES = [
  `the VMs use the plane's class ${VM_CLASS}, image ${IMAGE_NAME} (an OVF item in the simulator's content library) and storage class ${STORAGE_CLASS} (the simulator's storage policy)`,
  `the web VMs carry ${CONFIGMAP_TRANSPORT}: VM Operator v1.10.0 boots them from their ConfigMap web-cloud-config only with it (without it, it looks for a Secret of that name and never creates the VM)`,
  "left out: the custom network shop-net (the simulator has no such network; VM Operator's webhook gives each VM the default one)",
  "left out: IP addresses — the simulator runs no guest, so VM Operator reports each VM's interface and MAC address but never an IP (the labeler captures what there is), and a has-ip gate could only time out",
  `so group shop's readiness gate is ${VM_OPERATOR_GATE} here: the web tier waits until VM Operator reports db powered on (status.powerState), which it writes only after vCenter powered db on`,
  "left out: the PVCs and the VMs' volumes — VM Operator powers a VM with a PVC volume on only once CSI attached the volume (pkg/providers/vsphere/session reconcileVolumes), and no CSI driver runs here",
];

interface Vm extends KubeObject {
  spec?: { powerState?: string };
  status?: { uniqueID?: string; powerState?: string };
}

export interface SimulatorWatch {
  /** moid → the first power state the poll saw (a held VM is created poweredOff). */
  firstSeen: Map<string, string>;
  /** moid → when the poll first saw it poweredOn (epoch ms). */
  seenOn: Map<string, number>;
  /** moid → its power state at the last poll. */
  now: Map<string, string>;
  stop(): Promise<void>;
}

/**
 * Polls the simulator's VMs every ~250 ms (its event collector returns only the latest events, so
 * a VM's VmPoweredOnEvent may drop out of it; the poll stands in then, as restore.vmop.ts does).
 */
export function watchSimulator(
  plane: VmOperatorPlane,
  onPoweredOn: (vm: SimulatorVm) => void,
): SimulatorWatch {
  const w: SimulatorWatch = {
    firstSeen: new Map(),
    seenOn: new Map(),
    now: new Map(),
    stop: async () => {
      polling = false;
      await loop;
    },
  };
  let polling = true;
  const loop = (async () => {
    while (polling) {
      for (const v of await plane.simulatorVms().catch(() => [])) {
        if (!w.firstSeen.has(v.moid)) w.firstSeen.set(v.moid, v.powerState);
        w.now.set(v.moid, v.powerState);
        if (v.powerState === 'poweredOn' && !w.seenOn.has(v.moid)) {
          w.seenOn.set(v.moid, Date.now());
          onPoweredOn(v);
        }
      }
      await sleep(250);
    }
  })();
  return w;
}

const listVms = async (admin: Kube, namespace: string): Promise<Vm[]> =>
  (await admin.list<Vm>(VMOP, 'VirtualMachine', namespace)).items;

/**
 * Waits (bounded) until VM Operator runs each VM in vSphere in the power state its spec asks
 * for; returns name → moid of those it created.
 */
export async function untilRunningInVsphere(
  admin: Kube,
  namespace: string,
  timeoutMs: number,
): Promise<{ moids: Map<string, string>; pending: string[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const vms = await listVms(admin, namespace);
    const pending = vms
      .filter((v) => !v.status?.uniqueID || v.status.powerState !== v.spec?.powerState)
      .map(
        (v) =>
          `${v.metadata.name} (spec ${v.spec?.powerState}, status ${v.status?.powerState ?? '-'})`,
      );
    const moids = new Map(
      vms.filter((v) => v.status?.uniqueID).map((v) => [v.metadata.name, v.status!.uniqueID!]),
    );
    if (pending.length === 0 || Date.now() > deadline) return { moids, pending };
    await sleep(1000);
  }
}

/**
 * After the restore: waits (bounded) until every VM in `poweredOn` is on in vSphere and every VM in
 * `all` exists there, then returns each VM's release and vSphere power-on time.
 */
export async function restoredTimes(
  plane: VmOperatorPlane,
  admin: Kube,
  sim: SimulatorWatch,
  o: {
    namespace: string;
    all: readonly string[];
    poweredOn: readonly string[];
    released: ReadonlyMap<string, number>;
    timeoutMs: number;
  },
): Promise<VsphereTime[]> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const vms = await listVms(admin, o.namespace);
    const restored: RestoredVm[] = o.all.map((name) => {
      const moid = vms.find((v) => v.metadata.name === name)?.status?.uniqueID;
      const releasedMs = o.released.get(name);
      return {
        name,
        ...(moid ? { moid } : {}),
        ...(releasedMs !== undefined ? { releasedMs } : {}),
      };
    });
    const events: PowerEventLike[] = await plane.powerEvents().catch(() => []);
    const times = vsphereTimes(restored, events, sim.seenOn);
    const done =
      times.every((t) => t.moid) &&
      o.poweredOn.every((n) => times.find((t) => t.name === n)?.onMs !== undefined);
    if (done || Date.now() > deadline) return times;
    await sleep(1000);
  }
}
