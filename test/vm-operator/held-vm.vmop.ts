// VM Operator's controllers on the simulator: a backed-up, powered-on VM restored through the
// modifier (held: spec.powerState PoweredOff) is created in vSphere, in the namespace's folder,
// and stays powered off there.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { kubeAs } from '../../functions/restore-fixer/test/identity.ts';
import { asRestored } from '../../functions/restore-fixer/test/velero-create.ts';
import { asKube, vm } from '../../functions/vmgroup/test/builders.ts';
import { getJson } from '../harness/cluster-api.ts';
import { STORAGE_CLASS, VM_CLASS } from '../harness/vm-operator.ts';
import { vmOperatorPlane } from './plane.ts';

interface Condition {
  type: string;
  status: string;
}

describe('VM Operator v1.10.0 controllers on the vCenter simulator', function () {
  it('creates a held restored VM in vSphere powered off', async function () {
    const plane = await vmOperatorPlane();
    const ns = await plane.newNamespace('held');
    await plane.prepareNamespace(ns);
    const velero = await kubeAs(plane, 'velero-held', [
      {
        apiGroups: ['vmoperator.vmware.com'],
        resources: ['virtualmachines'],
        verbs: ['get', 'list', 'create'],
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
    const deadline = Date.now() + 120_000;
    for (;;) {
      const res = await getJson(
        plane.kubeConfig(),
        `/apis/vmoperator.vmware.com/v1alpha5/namespaces/${ns}/virtualmachines/db`,
      );
      const status = (
        res.body as {
          status?: { uniqueID?: string; powerState?: string; conditions?: Condition[] };
        }
      ).status;
      const created =
        status?.conditions?.find((c) => c.type === 'VirtualMachineCreated')?.status === 'True';
      const inVsphere = (await plane.simulatorVms()).find((v) => v.moid === status?.uniqueID);
      if (created && inVsphere && status?.powerState) {
        assert.equal(inVsphere.name, 'db');
        assert.equal(inVsphere.powerState, 'poweredOff');
        assert.equal(status?.powerState, 'PoweredOff');
        const events = (await plane.powerEvents()).filter(
          (e) => e.moid === inVsphere.moid && e.event === 'PoweredOn',
        );
        assert.deepEqual(events, [], 'a held VM never powers on');
        return;
      }
      if (Date.now() > deadline)
        throw new Error(
          `VM Operator did not create db in vSphere: ${JSON.stringify(status)}\n${plane.vmOperatorLog(20)}`,
        );
      await sleep(500);
    }
  });
});
