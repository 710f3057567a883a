// The guard's decisions with Velero's name resolution: a Backup or Restore that names resources
// by short name, singular, kind or partial group is judged exactly like one that spells them out.
import assert from 'node:assert/strict';
import type { FilterSpec } from '../../velero/resource-filter.ts';
import { includesResource, itemMatches } from '../../velero/resource-filter.ts';
import type { GuardKind } from '../plan.ts';
import { decide } from '../plan.ts';
import { defaultRestrictedData, parseRestrictedList } from '../restricted-list.ts';
import { resourceResolver } from '../resource-names.ts';
import { TABLE } from './discovery-table.ts';

const resolve = resourceResolver(TABLE);
const restricted = parseRestrictedList(defaultRestrictedData()).entries;
const VM = 'virtualmachines.vmoperator.vmware.com';
const VMG = 'virtualmachinegroups.vmoperator.vmware.com';
const VMI = 'virtualmachineimages.vmoperator.vmware.com';
const membership = { matchLabels: { 'member.vmgroup-backup.dev/app': 'VirtualMachineGroup' } };

describe('backup-guard with API discovery (short names)', () => {
  describe('judged the same as full names', () => {
    const pairs: Array<[string, FilterSpec, FilterSpec, GuardKind?]> = [
      [
        'VMs without their closure',
        { includedNamespaces: ['app'], includedResources: ['vm', 'pod'] },
        { includedNamespaces: ['app'], includedResources: [VM, 'pods'] },
      ],
      [
        'the whole closure by short names and singulars',
        {
          includedNamespaces: ['app'],
          includedResources: ['vm', 'vmg', 'secret', 'cm', 'pvc'],
          labelSelector: membership,
        },
        {
          includedNamespaces: ['app'],
          includedResources: [VM, VMG, 'secrets', 'configmaps', 'persistentvolumeclaims'],
          labelSelector: membership,
        },
      ],
      [
        'a restricted resource by short name',
        { includedNamespaces: ['app'], includedResources: ['vmi'] },
        { includedNamespaces: ['app'], includedResources: [VMI] },
      ],
      [
        'excluding product kinds from a wide backup by kind and partial group',
        {
          includedNamespaces: ['app'],
          excludedResources: ['VirtualMachine', 'virtualmachinegroups.vmoperator'],
        },
        { includedNamespaces: ['app'], excludedResources: [VM, VMG] },
      ],
      [
        'scoped filters, trailing dot',
        {
          includedNamespaces: ['app'],
          includedNamespaceScopedResources: ['vmg', 'persistentvolumeclaims.'],
        },
        {
          includedNamespaces: ['app'],
          includedNamespaceScopedResources: [VMG, 'persistentvolumeclaims'],
        },
      ],
      [
        'a Restore by short names',
        { includedNamespaces: ['app'], includedResources: ['vm', 'vmg'] },
        { includedNamespaces: ['app'], includedResources: [VM, VMG] },
        'Restore',
      ],
    ];
    for (const [name, short, full, kind = 'Backup'] of pairs) {
      it(name, () => {
        const a = decide(short, kind, restricted, [], undefined, resolve);
        const b = decide(full, kind, restricted, [], undefined, resolve);
        assert.deepEqual(a.findings, b.findings);
        assert.equal(a.selection, b.selection);
        // Full names were already understood without discovery.
        assert.deepEqual(decide(full, kind, restricted).findings, b.findings);
      });
    }
    it('without discovery a short name goes unrecognised (why discovery matters)', () => {
      const spec = { includedNamespaces: ['app'], includedResources: ['vm', 'pods'] };
      assert.deepEqual(decide(spec, 'Backup', restricted).findings, []);
      assert.deepEqual(
        decide(spec, 'Backup', restricted, [], undefined, resolve).findings.map((f) => f.reason),
        ['without-group-closure'],
      );
    });
  });

  it('the remedy removes the name as the user wrote it', () => {
    const d = decide(
      { includedNamespaces: ['app'], includedResources: ['vmi', 'pods'] },
      'Backup',
      restricted,
      [],
      undefined,
      resolve,
    );
    assert.deepEqual(d.findings, [
      { resource: VMI, scopes: ['Namespaced'], reason: 'included-by-name' },
    ]);
    assert.deepEqual(d.avoidWith, [
      {
        field: 'spec.includedResources',
        flag: '--include-resources',
        action: 'remove',
        values: ['vmi'],
      },
    ]);
  });

  describe('resolved names are exact', () => {
    it('a core name does not reach a same-named resource of another group', () => {
      assert.equal(itemMatches('configmaps', 'configmaps.example.com'), true);
      assert.equal(itemMatches('configmaps', 'configmaps.example.com', resolve), false);
      assert.equal(itemMatches('cm', 'configmaps', resolve), true);
    });
    it('a name discovery gives to another group does not reach the restricted one', () => {
      // `machines` resolves to Cluster API's (listed first); with a group it is example.com's.
      assert.equal(itemMatches('machines', 'machines.cluster.x-k8s.io', resolve), true);
      assert.equal(
        itemMatches('machines.example.com', 'machines.cluster.x-k8s.io', resolve),
        false,
      );
    });
    it('names discovery cannot resolve are still matched by name and glob', () => {
      assert.equal(itemMatches('clusters', 'clusters.cluster.x-k8s.io', resolve), true);
      assert.equal(itemMatches('*.cluster.x-k8s.io', 'machines.cluster.x-k8s.io', resolve), true);
    });
  });

  describe('scoped filters drop names of the other scope, as Velero does', () => {
    it('a cluster-scoped name in the namespaced include list leaves it empty: everything', () => {
      const spec = { includedNamespaces: ['app'], includedNamespaceScopedResources: ['ns'] };
      assert.equal(includesResource(spec, 'Backup', VM, 'Namespaced', resolve), true);
      // Without discovery `ns` is a name that matches nothing namespaced.
      assert.equal(includesResource(spec, 'Backup', VM, 'Namespaced'), false);
    });
    it('a namespaced name in the cluster include list is dropped, leaving the list empty', () => {
      const cs = 'contentsources.vmoperator.vmware.com';
      const some = { includedNamespaces: ['app'], includedClusterScopedResources: ['vm'] };
      assert.equal(includesResource(some, 'Backup', cs, 'Cluster', resolve), false);
      // Every namespace and type: an empty cluster list then means a full-cluster backup.
      const all = { includedClusterScopedResources: ['vm'] };
      assert.equal(includesResource(all, 'Backup', cs, 'Cluster', resolve), true);
      assert.equal(includesResource(all, 'Backup', cs, 'Cluster'), false);
    });
    it('a cluster-scoped name in the namespaced exclude list excludes nothing', () => {
      const spec = { excludedNamespaceScopedResources: ['ns'] };
      assert.equal(includesResource(spec, 'Backup', VM, 'Namespaced', resolve), true);
    });
  });
});
