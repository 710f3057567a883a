// Every sample is a real ApiServerSource/PingSource shape this function binds to, and its data
// satisfies the binding's schema (the same validators the runtime uses).
import assert from 'node:assert/strict';
import { matchBinding } from '../../runtime/events/match.ts';
import { itMatchesBindings, readSamples } from '../../../test/support/samples.ts';
import def from '../index.ts';

const samples = readSamples(new URL('../samples/', import.meta.url));

describe('backup-labeler samples and bindings', () => {
  it('has a sample per kind of event it handles', () => {
    assert.deepEqual(samples.map((s) => s.file).sort(), [
      'backup-add.json',
      'ping-resync.json',
      'vm-update.json',
      'vmg-add.json',
      'vmg-delete.json',
    ]);
  });
  itMatchesBindings(def, samples);

  const cases: Array<[string, string, string, boolean]> = [
    [
      'dev.knative.apiserver.resource.delete',
      'VirtualMachine',
      'vmoperator.vmware.com/v1alpha6',
      true,
    ],
    [
      'dev.knative.apiserver.resource.update',
      'VirtualMachineGroup',
      'vmoperator.vmware.com/v1alpha5',
      true,
    ],
    ['dev.knative.apiserver.resource.update', 'Backup', 'velero.io/v1', true],
    ['dev.knative.apiserver.resource.delete', 'Backup', 'velero.io/v1', false],
    ['dev.knative.apiserver.ref.add', 'VirtualMachine', 'vmoperator.vmware.com/v1alpha5', false],
    ['dev.knative.apiserver.resource.add', 'Restore', 'velero.io/v1', false],
    ['dev.knative.apiserver.resource.add', 'VirtualMachine', 'example.com/v1', false],
  ];
  for (const [type, kind, apiversion, bound] of cases) {
    it(`${type} ${kind} ${apiversion} → ${bound ? 'handled' : 'ignored'}`, () => {
      assert.equal('binding' in matchBinding(def.bindings, type, { kind, apiversion }), bound);
    });
  }
});
