import assert from 'node:assert/strict';
import type { KubeObject } from '../../../functions/runtime/kube/kube-api.ts';
import { adapterConfig, guessResource, selectorString } from './knative-model.ts';

const source = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'sources.knative.dev/v1',
  kind: 'ApiServerSource',
  metadata: { name: 's', namespace: 'vmgroup-backup' },
  spec,
});
const namespaces: Array<{ name: string; labels: Record<string, string> }> = [
  { name: 'velero', labels: { 'kubernetes.io/metadata.name': 'velero' } },
  { name: 'apps', labels: { 'kubernetes.io/metadata.name': 'apps', team: 'a' } },
];

describe('e2e stand-in for the ApiServerSource controller (pure)', () => {
  it('guesses plurals as apimachinery does', () => {
    assert.equal(guessResource('VirtualMachineGroup'), 'virtualmachinegroups');
    assert.equal(guessResource('PersistentVolumeClaim'), 'persistentvolumeclaims');
    assert.equal(guessResource('NetworkPolicy'), 'networkpolicies');
    assert.equal(guessResource('Ingress'), 'ingresses');
  });

  it('writes label selectors in the string form the adapter parses, sorted by key', () => {
    assert.equal(
      selectorString({
        matchLabels: { b: '1' },
        matchExpressions: [
          { key: 'a', operator: 'Exists' },
          { key: 'c', operator: 'In', values: ['y', 'x'] },
          { key: 'd', operator: 'DoesNotExist' },
        ],
      }),
      'a,b=1,c in (x,y),!d',
    );
  });

  it('an empty namespace selector watches all namespaces; a label selector lists the matching ones', () => {
    const all = adapterConfig(
      source({
        mode: 'Resource',
        namespaceSelector: {},
        resources: [{ apiVersion: 'vmoperator.vmware.com/v1alpha5', kind: 'VirtualMachine' }],
      }),
      namespaces,
    );
    assert.equal(all.allNamespaces, true);
    assert.deepEqual(all.namespaces, ['apps', 'velero']);
    assert.deepEqual(all.resources, [
      { gvr: { Group: 'vmoperator.vmware.com', Version: 'v1alpha5', Resource: 'virtualmachines' } },
    ]);
    assert.equal(all.mode, 'Resource');
    const one = adapterConfig(
      source({
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'velero' } },
        resources: [
          {
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            selector: { matchExpressions: [{ key: 'velero.io/restore-name', operator: 'Exists' }] },
          },
        ],
      }),
      namespaces,
    );
    assert.equal(one.allNamespaces, false);
    assert.deepEqual(one.namespaces, ['velero']);
    assert.deepEqual(one.resources[0], {
      gvr: { Group: '', Version: 'v1', Resource: 'persistentvolumeclaims' },
      selector: 'velero.io/restore-name',
    });
    // No selector: the source's own namespace.
    assert.deepEqual(adapterConfig(source({ resources: [] }), namespaces).namespaces, [
      'vmgroup-backup',
    ]);
  });
});
