// The mapping from what Velero recorded for a refused create to the fixer's finding, table-tested
// from the real webhook's messages (webhook-refusals.ts, re-checked on the VM Operator plane).
import assert from 'node:assert/strict';
import { REASON_RESTORE_REFUSED, RESOURCE_MODIFIER_CONFIGMAP } from '../../vmgroup/names.ts';
import type { FailedItem } from '../../velero/restore-results.ts';
import { refusalsOf, refusedEvent, refusedObjects, UNSTRIPPABLE } from '../refusals.ts';
import { MAX_MESSAGE, type RestoreLike } from '../report.ts';
import { UNSTRIPPABLE_CASES } from './webhook-refusals.ts';

const restore: RestoreLike = {
  apiVersion: 'velero.io/v1',
  kind: 'Restore',
  metadata: { name: 'r1', namespace: 'velero' },
  spec: { backupName: 'b1', includedNamespaces: ['apps'] },
};
const VM_RESOURCE = 'virtualmachines.vmoperator.vmware.com';
const item = (error: string, o: Partial<FailedItem> = {}): FailedItem => ({
  resource: VM_RESOURCE,
  namespace: 'apps',
  name: 'db',
  error,
  ...o,
});
const DENIED =
  'admission webhook "default.validating.virtualmachine.v1alpha5.vmoperator.vmware.com" denied the request: ';

describe('restore fixer: refusals VM Operator gave at create', () => {
  for (const c of UNSTRIPPABLE_CASES)
    it(`${c.title}: names the VM, ${c.field}, ${c.rule} and what to do`, () => {
      const [r, ...rest] = refusalsOf(item(c.message), restore);
      assert.deepEqual(rest, []);
      assert.equal(r?.kind, 'VirtualMachine');
      assert.equal(`${r.namespace}/${r.name}`, 'apps/db');
      assert.equal(r.field, c.field);
      assert.equal(r.rule, c.rule);
      assert.equal(`${DENIED}${r.field}: ${r.detail}`, c.message);
      assert.match(r.remedy, /^create the VM .*privileged user/);
    });

  it('has one case per unstrippable rule it knows', () => {
    assert.deepEqual(
      [...new Set(UNSTRIPPABLE_CASES.map((c) => c.rule))].sort(),
      [...new Set(UNSTRIPPABLE.map((u) => u.rule))].sort(),
    );
  });

  it('splits the field errors of one refusal, and not inside a list of supported values', () => {
    const [affinity, image] = UNSTRIPPABLE_CASES;
    const both = `${affinity!.message}, ${image!.message.slice(DENIED.length)}`;
    const found = refusalsOf(item(both), restore);
    assert.deepEqual(
      found.map((f) => f.field),
      [affinity!.field, image!.field],
    );
    const multi = `${DENIED}spec.affinity.vmAntiAffinity.requiredDuringSchedulingPreferredDuringExecution[1].topologyKey: Unsupported value: "kubernetes.io/hostname": supported values: "topology.kubernetes.io/zone", "kubernetes.io/hostname"`;
    assert.equal(refusalsOf(item(multi), restore)[0]?.rule, 'validateVMAffinity');
  });

  it('a key the modifier strips: re-run with the modifier (either way the webhook prints a map key)', () => {
    for (const field of [
      'metadata.annotations[vmoperator.vmware.com/restored-vm]',
      'metadata.labels.vmoperator.vmware.com/paused',
      'spec.instanceUUID',
      'spec.bootOptions.bootOrder',
      // What the real webhook names for a stale spec.class (test/vm-operator/admission.vmop.ts).
      'spec.class.name',
    ]) {
      const [r] = refusalsOf(item(`${DENIED}${field}: Forbidden: whatever`), restore);
      assert.equal(r?.field, field);
      assert.match(
        r.remedy,
        new RegExp(`--resource-modifier-configmap ${RESOURCE_MODIFIER_CONFIGMAP}$`),
      );
    }
  });

  it('anything else VM Operator refused is passed on with its field and words', () => {
    const [r] = refusalsOf(
      item(
        `${DENIED}spec.storageClass: Invalid value: "gold": Storage policy is not associated with the namespace apps`,
      ),
      restore,
    );
    assert.equal(r?.field, 'spec.storageClass');
    assert.equal(
      r.detail,
      'Invalid value: "gold": Storage policy is not associated with the namespace apps',
    );
    assert.equal(r.rule, '');
    assert.match(r.remedy, /^correct the field/);
  });

  it('ignores what is not a VM Operator admission refusal', () => {
    assert.deepEqual(
      refusalsOf(item('the server could not find the requested resource'), restore),
      [],
    );
    assert.deepEqual(
      refusalsOf(
        item(UNSTRIPPABLE_CASES[0]!.message, { resource: 'persistentvolumeclaims' }),
        restore,
      ),
      [],
    );
    assert.deepEqual(
      refusalsOf(
        item(
          'admission webhook "policy.example.com" denied the request: spec.image: Required value',
        ),
        restore,
      ),
      [],
    );
  });

  it('one Warning per object, with every field of it, deduplicated per object and clipped', () => {
    const [a, b, c] = UNSTRIPPABLE_CASES;
    const objects = refusedObjects(
      [item(a!.message), item(c!.message, { name: 'web' }), item(b!.message)],
      restore,
    );
    assert.deepEqual(
      objects.map((o) => o.map((r) => `${r.name} ${r.field}`)),
      [[`db ${a!.field}`, `db ${b!.field}`], [`web ${c!.field}`]],
    );
    const e = refusedEvent(restore, objects[0]!);
    assert.equal(e.type, 'Warning');
    assert.equal(e.reason, REASON_RESTORE_REFUSED);
    assert.equal(e.dedupeKey, 'refused/VirtualMachine/apps/db');
    assert.match(e.message, /^Restore r1 could not create VirtualMachine apps\/db: /);
    assert.ok(e.message.includes(`${a!.field} (`) && e.message.includes(`${b!.field} (`));
    const many = refusedEvent(restore, Array(40).fill(objects[0]![0]));
    assert.equal(many.message.length, MAX_MESSAGE);
  });
});
