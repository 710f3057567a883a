import assert from 'node:assert/strict';
import type { FilterSpec, Scope } from '../resource-filter.ts';
import { filterStyle, includesResource, itemMatches } from '../resource-filter.ts';

describe('backup-guard resource filter (Velero semantics)', () => {
  describe('itemMatches', () => {
    const cases: Array<[string, string, boolean]> = [
      ['*', 'clusters.cluster.x-k8s.io', true],
      ['clusters.cluster.x-k8s.io', 'clusters.cluster.x-k8s.io', true],
      ['clusters', 'clusters.cluster.x-k8s.io', true],
      ['cluster', 'clusters.cluster.x-k8s.io', true],
      ['Clusters.Cluster.X-K8s.io', 'clusters.cluster.x-k8s.io', true],
      ['virtualmachines.vmoperator', 'virtualmachines.vmoperator.vmware.com', true],
      ['virtualmachines.vmware.com', 'virtualmachines.vmoperator.vmware.com', false],
      ['virtualmachine', 'virtualmachines.vmoperator.vmware.com', true],
      ['storagepolicy', 'storagepolicies.appplatform.wcp.vmware.com', true],
      ['machines', 'machinesets.cluster.x-k8s.io', false],
      ['*.cert-manager.io', 'issuers.cert-manager.io', true],
      ['*.cert-manager.io', 'challenges.acme.cert-manager.io', true],
      ['cert*', 'certificates.cert-manager.io', true],
      ['cert*', 'issuers.cert-manager.io', false],
      ['{issuers,orders}.*', 'orders.acme.cert-manager.io', true],
      ['machine?.cluster.x-k8s.io', 'machines.cluster.x-k8s.io', true],
      ['secrets', 'secrets', true],
      ['secret', 'secrets', true],
      ['configmaps', 'secrets', false],
      ['pods', 'persistentvolumeclaims', false],
    ];
    for (const [item, resource, want] of cases) {
      it(`${item} ${want ? 'matches' : 'does not match'} ${resource}`, () => {
        assert.equal(itemMatches(item, resource), want);
      });
    }
  });

  describe('filterStyle', () => {
    it('a Backup with only scoped fields (or none) uses the scoped style', () => {
      assert.equal(filterStyle({}, 'Backup'), 'scoped');
      assert.equal(filterStyle({ includedNamespaceScopedResources: ['pods'] }, 'Backup'), 'scoped');
    });
    it('any old field, including includeClusterResources=false, selects the old style', () => {
      assert.equal(filterStyle({ includeClusterResources: false }, 'Backup'), 'old');
      assert.equal(filterStyle({ includedResources: ['pods'] }, 'Backup'), 'old');
      assert.equal(filterStyle({ excludedResources: ['pods'] }, 'Backup'), 'old');
      assert.equal(filterStyle({ includeClusterResources: null }, 'Backup'), 'scoped');
    });
    it('a Restore is always old style', () => {
      assert.equal(filterStyle({}, 'Restore'), 'old');
    });
  });

  describe('includesResource', () => {
    const ns = 'clusters.cluster.x-k8s.io';
    const cl = 'clusterissuers.cert-manager.io';
    const cases: Array<[string, FilterSpec, 'Backup' | 'Restore', string, Scope, boolean]> = [
      ['default backup: namespaced types in', {}, 'Backup', ns, 'Namespaced', true],
      ['default backup of every namespace: cluster types in', {}, 'Backup', cl, 'Cluster', true],
      [
        'backup of one namespace: cluster types out',
        { includedNamespaces: ['a'] },
        'Backup',
        cl,
        'Cluster',
        false,
      ],
      [
        'excludedNamespaces makes it partial',
        { excludedNamespaces: ['kube-system'] },
        'Backup',
        cl,
        'Cluster',
        false,
      ],
      [
        'old: excluded by name',
        { excludedResources: ['clusters.cluster.x-k8s.io'] },
        'Backup',
        ns,
        'Namespaced',
        false,
      ],
      [
        'old: excluded by glob',
        { excludedResources: ['*.cluster.x-k8s.io'] },
        'Backup',
        ns,
        'Namespaced',
        false,
      ],
      [
        'old: * in excludes is ignored',
        { excludedResources: ['*'], includedResources: ['clusters'] },
        'Backup',
        ns,
        'Namespaced',
        true,
      ],
      ['old: not in includes', { includedResources: ['pods'] }, 'Backup', ns, 'Namespaced', false],
      [
        'old: includeClusterResources=false',
        { includeClusterResources: false },
        'Backup',
        cl,
        'Cluster',
        false,
      ],
      [
        'old: includeClusterResources=false keeps namespaced',
        { includeClusterResources: false },
        'Backup',
        ns,
        'Namespaced',
        true,
      ],
      [
        'old: includeClusterResources=true, one namespace',
        { includeClusterResources: true, includedNamespaces: ['a'] },
        'Backup',
        cl,
        'Cluster',
        true,
      ],
      [
        'old: nil, all namespaces, named',
        { includedResources: ['clusterissuers'] },
        'Backup',
        cl,
        'Cluster',
        true,
      ],
      [
        'old: nil, one namespace, named',
        { includedResources: ['clusterissuers'], includedNamespaces: ['a'] },
        'Backup',
        cl,
        'Cluster',
        false,
      ],
      [
        'scoped: namespaced excluded with *',
        { excludedNamespaceScopedResources: ['*'], includedClusterScopedResources: ['x'] },
        'Backup',
        ns,
        'Namespaced',
        false,
      ],
      [
        'scoped: namespaced named',
        { includedNamespaceScopedResources: ['clusters'] },
        'Backup',
        ns,
        'Namespaced',
        true,
      ],
      [
        'scoped: namespaced not named',
        { includedNamespaceScopedResources: ['pods'] },
        'Backup',
        ns,
        'Namespaced',
        false,
      ],
      [
        'scoped: cluster named, one namespace',
        {
          includedNamespaces: ['a'],
          includedClusterScopedResources: ['clusterissuers.cert-manager.io'],
        },
        'Backup',
        cl,
        'Cluster',
        true,
      ],
      [
        'scoped: cluster *',
        { includedNamespaces: ['a'], includedClusterScopedResources: ['*'] },
        'Backup',
        cl,
        'Cluster',
        true,
      ],
      [
        'scoped: cluster not named, namespaced filter narrowed',
        { includedNamespaceScopedResources: ['pods'] },
        'Backup',
        cl,
        'Cluster',
        false,
      ],
      [
        'scoped: cluster excluded by name',
        { excludedClusterScopedResources: ['clusterissuers'] },
        'Backup',
        cl,
        'Cluster',
        false,
      ],
      [
        'scoped: any cluster exclude turns off the full-cluster default',
        { excludedClusterScopedResources: ['nodes'] },
        'Backup',
        cl,
        'Cluster',
        false,
      ],
      ['restore: nil and all namespaces brings cluster types', {}, 'Restore', cl, 'Cluster', true],
      [
        'restore: nil and one namespace does not',
        { includedNamespaces: ['a'] },
        'Restore',
        cl,
        'Cluster',
        false,
      ],
      [
        'restore: scoped fields are not Restore fields',
        { excludedNamespaceScopedResources: ['clusters'] },
        'Restore',
        ns,
        'Namespaced',
        true,
      ],
    ];
    for (const [name, spec, kind, resource, scope, want] of cases) {
      it(name, () => assert.equal(includesResource(spec, kind, resource, scope), want));
    }
  });
});
