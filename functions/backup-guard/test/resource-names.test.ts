// Velero's name resolution (resource-names.ts) over the Supervisor-shaped discovery table in
// discovery-table.ts: short names, singulars, kinds, partial groups, priorities and ambiguity.
import assert from 'node:assert/strict';
import { resourceResolver } from '../resource-names.ts';
import { TABLE } from './discovery-table.ts';

describe('backup-guard resource names (Velero ResourceFor)', () => {
  const resolve = resourceResolver(TABLE);
  const cases: Array<[string, string | undefined, string?]> = [
    ['vm', 'virtualmachines.vmoperator.vmware.com', 'short name'],
    ['vmg', 'virtualmachinegroups.vmoperator.vmware.com', 'short name'],
    ['vmi', 'virtualmachineimages.vmoperator.vmware.com', 'first short name of several'],
    ['vmimage', 'virtualmachineimages.vmoperator.vmware.com', 'second short name'],
    ['pvc', 'persistentvolumeclaims', 'core short name (core is written without a group)'],
    ['secret', 'secrets', 'singular guessed from the kind'],
    ['configmap', 'configmaps', 'singular'],
    ['persistentvolumeclaims.', 'persistentvolumeclaims', 'trailing dot: no group'],
    ['virtualmachines.vmoperator.vmware.com', 'virtualmachines.vmoperator.vmware.com', 'full'],
    ['virtualmachines.vmoperator', 'virtualmachines.vmoperator.vmware.com', 'group prefix'],
    ['vm.vmoperator.vmware.com', 'virtualmachines.vmoperator.vmware.com', 'short name + group'],
    ['vm.vmoperator', 'virtualmachines.vmoperator.vmware.com', 'short name + group prefix'],
    ['VirtualMachine', 'virtualmachines.vmoperator.vmware.com', 'kind: the mapper lower-cases'],
    ['VM', undefined, 'short names are case-sensitive'],
    ['deploy.app', 'deployments.apps', 'short name with group prefix'],
    ['events', 'events', 'two groups serve it: the core group comes first'],
    ['ev', 'events', 'a short name two groups share: the first wins'],
    ['events.events.k8s.io', 'events.events.k8s.io', 'group given'],
    ['ns', 'namespaces', 'cluster-scoped'],
    // Velero's copy of the shortcut expander replaces only the resource, keeping the typed group.
    ['ksvc', 'services', "Knative's short name, but the core services come first"],
    ['ksvc.serving.knative.dev', 'services.serving.knative.dev', 'short name + group'],
    ['machines', 'machines.cluster.x-k8s.io', 'two groups: the one discovery lists first'],
    ['machines.example.com', 'machines.example.com', 'group given'],
    ['legacythings', 'legacythings.vmoperator.vmware.com', 'only in a non-preferred version'],
    ['foo', undefined, 'ambiguous within one group version'],
    ['bindings', undefined, 'not backuppable (create only)'],
    ['*.cluster.x-k8s.io', undefined, 'a glob is never a resource'],
    ['vm.example.com', undefined, 'no such resource in that group'],
    ['widgets', undefined, 'not served'],
    ['', undefined, 'empty'],
  ];
  for (const [item, expected, why] of cases) {
    it(`${JSON.stringify(item)} → ${expected ?? 'unresolved'} (${why})`, () => {
      assert.equal(resolve(item)?.resource, expected);
    });
  }
  it('reports the scope discovery gives', () => {
    assert.equal(resolve('ns')?.scope, 'Cluster');
    assert.equal(resolve('contentsources')?.scope, 'Cluster');
    assert.equal(resolve('vm')?.scope, 'Namespaced');
  });
  it('an empty table resolves nothing (names are then matched as written)', () => {
    assert.equal(resourceResolver([])('vm'), undefined);
  });
});
