// What the backup labeler reacts to, each with its handler: VirtualMachineGroups and
// VirtualMachines in Resource mode (add, update, delete: a group's delete carries its last state,
// Secret record included), Velero Backups appearing (add, update), and the PingSource tick that
// resyncs all.

import type { Binding } from '../runtime/function.ts';
import { onObject, onTick } from '../runtime/events/binding.ts';
import type { LabelerDeps } from './handler.ts';
import {
  onBackupAdd,
  onBackupUpdate,
  onGroupDelete,
  onMemberChange,
  onMemberUpdate,
  onTick as onResync,
} from './handler.ts';

const VMG = { kind: 'VirtualMachineGroup', apiVersionPrefix: 'vmoperator.vmware.com/' };
const VM = { kind: 'VirtualMachine', apiVersionPrefix: 'vmoperator.vmware.com/' };
const BACKUP = { kind: 'Backup', apiVersionPrefix: 'velero.io/' };

export const bindings: ReadonlyArray<Binding<LabelerDeps>> = [
  ...onObject(['add'], VMG, 'objects/virtualmachinegroup', onMemberChange),
  ...onObject(['add'], VM, 'objects/virtualmachine', onMemberChange),
  ...onObject(['update'], VMG, 'objects/virtualmachinegroup', onMemberUpdate),
  ...onObject(['update'], VM, 'objects/virtualmachine', onMemberUpdate),
  ...onObject(['delete'], VMG, 'objects/virtualmachinegroup', onGroupDelete),
  ...onObject(['delete'], VM, 'objects/virtualmachine', onMemberChange),
  ...onObject(['add'], BACKUP, 'objects/backup', onBackupAdd),
  ...onObject(['update'], BACKUP, 'objects/backup', onBackupUpdate),
  onTick(onResync),
];
