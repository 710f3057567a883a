// What the backup labeler reacts to (plain data): VirtualMachineGroups and VirtualMachines in
// Resource mode (add, update, delete: the delete carries the group's last state, Secret record
// included), Velero Backups appearing (add, update), and the PingSource tick that resyncs all.

import type { Binding } from '../runtime/function.ts';
import { schemaId } from '../runtime/schema/schema-files.ts';

export const VM_SCHEMA = schemaId('objects/virtualmachine');
export const VMG_SCHEMA = schemaId('objects/virtualmachinegroup');
export const BACKUP_SCHEMA = schemaId('objects/backup');
export const PING_SCHEMA = schemaId('objects/pingsource-event');
export const EXPANDED_SCHEMA = schemaId('events/backup-expanded');
export const PING_TYPE = 'dev.knative.sources.ping';

const VMOP = 'vmoperator.vmware.com/';

export const bindings: readonly Binding[] = [
  ...(['add', 'update', 'delete'] as const).flatMap((verb) => [
    {
      type: `dev.knative.apiserver.resource.${verb}`,
      kind: 'VirtualMachineGroup',
      apiVersionPrefix: VMOP,
      dataSchema: VMG_SCHEMA,
    },
    {
      type: `dev.knative.apiserver.resource.${verb}`,
      kind: 'VirtualMachine',
      apiVersionPrefix: VMOP,
      dataSchema: VM_SCHEMA,
    },
  ]),
  ...(['add', 'update'] as const).map((verb) => ({
    type: `dev.knative.apiserver.resource.${verb}`,
    kind: 'Backup',
    apiVersionPrefix: 'velero.io/',
    dataSchema: BACKUP_SCHEMA,
  })),
  { type: PING_TYPE, dataSchema: PING_SCHEMA },
];
