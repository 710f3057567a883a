// What the restore fixer reacts to (plain data): restored VMs, groups and PVCs being created or
// changed (it acts only on those labelled velero.io/restore-name), Restores (to warn when one runs
// without the resource modifier, and to list what it failed to create when it ends), and the
// PingSource tick (ApiServerSource drops events; a resync catches up).

import type { Binding } from '../runtime/function.ts';

const OBJECTS = 'https://vmgroup-backup.dev/schemas/objects/';
const verbs = ['add', 'update'] as const;

export const bindings: readonly Binding[] = [
  ...verbs.flatMap((v) => [
    {
      type: `dev.knative.apiserver.resource.${v}`,
      kind: 'VirtualMachine',
      apiVersionPrefix: 'vmoperator.vmware.com/',
      dataSchema: `${OBJECTS}virtualmachine.schema.json`,
    },
    {
      type: `dev.knative.apiserver.resource.${v}`,
      kind: 'VirtualMachineGroup',
      apiVersionPrefix: 'vmoperator.vmware.com/',
      dataSchema: `${OBJECTS}virtualmachinegroup.schema.json`,
    },
    {
      type: `dev.knative.apiserver.resource.${v}`,
      kind: 'PersistentVolumeClaim',
      apiVersionPrefix: 'v1',
      dataSchema: `${OBJECTS}persistentvolumeclaim.schema.json`,
    },
    {
      type: `dev.knative.apiserver.resource.${v}`,
      kind: 'Restore',
      apiVersionPrefix: 'velero.io/',
      dataSchema: `${OBJECTS}restore.schema.json`,
    },
  ]),
  { type: 'dev.knative.sources.ping', dataSchema: `${OBJECTS}pingsource-event.schema.json` },
];
