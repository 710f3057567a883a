// What the restore fixer reacts to, each with its handler: restored VMs, groups and PVCs being
// created or changed (it acts only on those labelled velero.io/restore-name), Restores (to warn
// when one runs without the resource modifier, and to list what it failed to create when it
// ends), and the PingSource tick (ApiServerSource drops events; a resync catches up).

import type { Binding } from '../runtime/function.ts';
import { onObject, onTick } from '../runtime/events/binding.ts';
import type { FixerDeps } from './handler.ts';
import {
  onRestoreChange,
  onRestoredPvc,
  onRestoredVmOrGroup,
  onTick as onResync,
} from './handler.ts';

const verbs = ['add', 'update'] as const;
const VMOP = { apiVersionPrefix: 'vmoperator.vmware.com/' };

export const bindings: ReadonlyArray<Binding<FixerDeps>> = [
  ...onObject(
    verbs,
    { kind: 'VirtualMachine', ...VMOP },
    'objects/virtualmachine',
    onRestoredVmOrGroup,
  ),
  ...onObject(
    verbs,
    { kind: 'VirtualMachineGroup', ...VMOP },
    'objects/virtualmachinegroup',
    onRestoredVmOrGroup,
  ),
  ...onObject(
    verbs,
    { kind: 'PersistentVolumeClaim', apiVersionPrefix: 'v1' },
    'objects/persistentvolumeclaim',
    onRestoredPvc,
  ),
  ...onObject(
    verbs,
    { kind: 'Restore', apiVersionPrefix: 'velero.io/' },
    'objects/restore',
    onRestoreChange,
  ),
  onTick(onResync),
];
