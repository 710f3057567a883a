import assert from 'node:assert/strict';
import {
  addRelabelledVersion,
  adjustForTestPlane,
  parseYamlObjects,
  withoutWebhookConversion,
} from './crd-sources.ts';
import type { Crd } from './crd-sources.ts';

const schema = (marker: string) => ({ openAPIV3Schema: { type: 'object', description: marker } });

const crd = (name: string, extra: Partial<Crd['spec']> = {}): Crd => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name },
  spec: {
    group: name.split('.').slice(1).join('.'),
    names: { plural: name.split('.')[0]!, kind: 'Thing' },
    versions: [
      { name: 'v1alpha4', served: true, storage: false, schema: schema('four') },
      { name: 'v1alpha5', served: true, storage: true, schema: schema('five') },
    ],
    ...extra,
  },
});

describe('crd-sources', function () {
  it('adds v1alpha6 as a copy of v1alpha5 and makes it the only storage version', function () {
    const out = addRelabelledVersion(
      crd('virtualmachinegroups.vmoperator.vmware.com'),
      'v1alpha5',
      'v1alpha6',
    );
    assert.deepEqual(
      out.spec.versions.map((v) => [v.name, v.served, v.storage]),
      [
        ['v1alpha4', true, false],
        ['v1alpha5', true, false],
        ['v1alpha6', true, true],
      ],
    );
    assert.deepEqual(out.spec.versions[2]!['schema'], schema('five'));
  });

  it('leaves a CRD that already serves v1alpha6 alone and does not touch its input', function () {
    const input = crd('virtualmachines.vmoperator.vmware.com');
    const once = addRelabelledVersion(input, 'v1alpha5', 'v1alpha6');
    assert.equal(addRelabelledVersion(once, 'v1alpha5', 'v1alpha6'), once);
    assert.equal(input.spec.versions.length, 2);
    assert.equal(input.spec.versions[1]!.storage, true);
  });

  it('fails loudly when the source version is missing', function () {
    assert.throws(
      () =>
        addRelabelledVersion(crd('virtualmachines.vmoperator.vmware.com'), 'v1alpha9', 'v1alpha10'),
      /no version v1alpha9/,
    );
  });

  it('turns webhook conversion into None, other strategies untouched', function () {
    const hooked = crd('pingsources.sources.knative.dev', {
      conversion: { strategy: 'Webhook', webhook: { conversionReviewVersions: ['v1'] } },
    });
    assert.deepEqual(withoutWebhookConversion(hooked).spec.conversion, { strategy: 'None' });
    const plain = crd('backups.velero.io');
    assert.equal(withoutWebhookConversion(plain), plain);
  });

  it('relabels only the VirtualMachine and VirtualMachineGroup CRDs', function () {
    assert.equal(
      adjustForTestPlane(crd('virtualmachines.vmoperator.vmware.com')).spec.versions.length,
      3,
    );
    assert.equal(
      adjustForTestPlane(crd('virtualmachineclasses.vmoperator.vmware.com')).spec.versions.length,
      2,
    );
  });

  it('parses multi-document YAML, skipping empty documents', function () {
    const objs = parseYamlObjects(
      '---\n# only a comment\n---\napiVersion: v1\nkind: A\n---\napiVersion: v1\nkind: B\n',
      'inline',
    );
    assert.deepEqual(
      objs.map((o) => o.kind),
      ['A', 'B'],
    );
    assert.throws(() => parseYamlObjects('a: [', 'broken.yaml'), /broken\.yaml/);
  });
});
