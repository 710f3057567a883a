// VM Operator's controllers on the simulator: a backed-up, powered-on VM restored through the
// modifier (held: spec.powerState PoweredOff) is created in vSphere, in the namespace's folder,
// and stays powered off there; released (spec.powerState PoweredOn, as the sequencer does), it
// powers on in vSphere.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { kubeAs } from '../harness/identity.ts';
import { asRestored } from '../../functions/velero/test/velero-create.ts';
import { asKube, vm } from '../../functions/vmgroup/test/builders.ts';
import { getJson } from '../harness/cluster-api.ts';
import { STORAGE_CLASS, VM_CLASS } from '../harness/vm-operator.ts';
import type { VmOperatorPlane } from '../harness/vm-operator.ts';
import { vmOperatorPlane } from './plane.ts';

interface Condition {
  type: string;
  status: string;
}

interface VmStatus {
  uniqueID?: string;
  powerState?: string;
  conditions?: Condition[];
}

async function statusOf(plane: VmOperatorPlane, ns: string, name: string): Promise<VmStatus> {
  const res = await getJson(
    plane.kubeConfig(),
    `/apis/vmoperator.vmware.com/v1alpha5/namespaces/${ns}/virtualmachines/${name}`,
  );
  return (res.body as { status?: VmStatus }).status ?? {};
}

async function until<T>(
  what: string,
  plane: VmOperatorPlane,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what}\n${plane.vmOperatorLog(20)}`);
    await sleep(250);
  }
}

describe('VM Operator v1.10.0 controllers on the vCenter simulator', function () {
  it('creates a held restored VM in vSphere powered off, and powers it on once released', async function () {
    const plane = await vmOperatorPlane();
    const ns = await plane.newNamespace('held');
    await plane.prepareNamespace(ns);
    const velero = await kubeAs(plane, 'velero-held', [
      {
        apiGroups: ['vmoperator.vmware.com'],
        resources: ['virtualmachines'],
        verbs: ['get', 'list', 'create', 'patch'],
      },
    ]);
    const backedUp = asKube(
      vm('db', {
        namespace: ns,
        powerState: 'PoweredOn',
        spec: { className: VM_CLASS, storageClass: STORAGE_CLASS },
      }),
    );
    const restored = asRestored(backedUp, { restore: 'r1', backup: 'b1', namespace: ns });
    assert.equal(
      (restored as unknown as { spec: { powerState: string } }).spec.powerState,
      'PoweredOff',
    );
    await velero.create(restored);
    const moid = await until(
      `VM Operator did not create db in vSphere`,
      plane,
      120_000,
      async () => {
        const status = await statusOf(plane, ns, 'db');
        const created =
          status.conditions?.find((c) => c.type === 'VirtualMachineCreated')?.status === 'True';
        const inVsphere = (await plane.simulatorVms()).find((v) => v.moid === status.uniqueID);
        if (!created || !inVsphere || !status.powerState) return undefined;
        assert.equal(inVsphere.name, 'db');
        assert.equal(inVsphere.powerState, 'poweredOff');
        assert.equal(status.powerState, 'PoweredOff');
        return inVsphere.moid;
      },
    );
    // Held: a few more reconciles (schema upgrade, backup into ExtraConfig) change nothing.
    await sleep(2_000);
    const poweredOn = async () =>
      (await plane.powerEvents()).find((e) => e.moid === moid && e.event === 'PoweredOn');
    assert.equal(await poweredOn(), undefined, 'a held VM never powers on');

    // Released as the sequencer releases a VM: its spec.powerState, nothing else.
    const released = Date.now();
    await velero.patch(
      {
        apiVersion: 'vmoperator.vmware.com/v1alpha5',
        kind: 'VirtualMachine',
        namespace: ns,
        name: 'db',
      },
      { type: 'merge', body: { spec: { powerState: 'PoweredOn' } } },
    );
    const event = await until('db never powered on in vSphere', plane, 60_000, poweredOn);
    // The generation change makes VM Operator back the VM up first ("backed up vm", no requeue);
    // with incremental restore on, that backup's version annotation brings the next reconcile.
    assert.ok(Date.parse(event.time) >= released - 1_000, `powered on at ${event.time}`);
    await until('status.powerState PoweredOn', plane, 30_000, async () =>
      (await statusOf(plane, ns, 'db')).powerState === 'PoweredOn' ? true : undefined,
    );
  });
});
