// A discovery table shaped like a Supervisor's, for the pure tests of name resolution: the core
// group, events.k8s.io (a second `events`), apps, VM Operator with its preferred v1alpha6 and an
// older v1alpha5, Cluster API, Knative Serving (a second `services`), and a group that also serves
// `machines`.
import type { ApiGroupResources, ApiResourceInfo } from '../../runtime/kube/kube-api.ts';

const ALL = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const res = (
  resource: string,
  kind: string,
  shortNames: string[] = [],
  extra: Partial<ApiResourceInfo> = {},
): ApiResourceInfo => ({
  resource,
  kind,
  singular: kind.toLowerCase(),
  shortNames,
  namespaced: true,
  verbs: ALL,
  ...extra,
});
const VMOP_V6 = [
  res('virtualmachines', 'VirtualMachine', ['vm']),
  res('virtualmachinegroups', 'VirtualMachineGroup', ['vmg']),
  res('virtualmachineimages', 'VirtualMachineImage', ['vmi', 'vmimage']),
  res('contentsources', 'ContentSource', [], { namespaced: false }),
];

export const TABLE: ApiGroupResources[] = [
  {
    group: '',
    versions: [
      {
        version: 'v1',
        resources: [
          res('bindings', 'Binding', [], { verbs: ['create'] }),
          res('configmaps', 'ConfigMap', ['cm']),
          res('events', 'Event', ['ev']),
          res('namespaces', 'Namespace', ['ns'], { namespaced: false }),
          res('persistentvolumeclaims', 'PersistentVolumeClaim', ['pvc']),
          // Old servers list no singular: client-go then guesses it from the kind.
          res('secrets', 'Secret', [], { singular: '' }),
          res('services', 'Service', ['svc']),
        ],
      },
    ],
  },
  {
    group: 'events.k8s.io',
    versions: [{ version: 'v1', resources: [res('events', 'Event', ['ev'])] }],
  },
  {
    group: 'apps',
    versions: [{ version: 'v1', resources: [res('deployments', 'Deployment', ['deploy'])] }],
  },
  {
    group: 'vmoperator.vmware.com',
    versions: [
      { version: 'v1alpha6', resources: VMOP_V6 },
      // Served only in the older version: ServerPreferredResources still keeps it.
      { version: 'v1alpha5', resources: [...VMOP_V6, res('legacythings', 'LegacyThing')] },
    ],
  },
  {
    group: 'cluster.x-k8s.io',
    versions: [{ version: 'v1beta1', resources: [res('machines', 'Machine', ['ma'])] }],
  },
  {
    group: 'serving.knative.dev',
    versions: [{ version: 'v1', resources: [res('services', 'Service', ['kservice', 'ksvc'])] }],
  },
  {
    group: 'example.com',
    versions: [
      {
        version: 'v1',
        resources: [
          res('machines', 'Machine'),
          // `foo` is one resource's plural and another's singular: ambiguous.
          res('foo', 'Foo', [], { singular: 'fooz' }),
          res('foos', 'Bar', [], { singular: 'foo' }),
        ],
      },
    ],
  },
];
