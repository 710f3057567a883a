// What the restore sequencer reacts to, each with its handler: restored groups and VMs appearing
// or changing, Restores (their end), its own timed continuations (group-ready and sequence-due,
// routed back to it by the Broker), and the PingSource tick.

import type { Binding } from '../runtime/function.ts';
import { bind, onObject, onTick } from '../runtime/events/binding.ts';
import {
  EVENT_TYPE_RESTORE_GROUP_READY,
  EVENT_TYPE_RESTORE_SEQUENCE_DUE,
} from '../vmgroup/names.ts';
import type { SequencerDeps } from './handler.ts';
import { onContinuation, onMember, onRestore, onTick as onResync } from './handler.ts';

const verbs = ['add', 'update'] as const;
const VMOP = { apiVersionPrefix: 'vmoperator.vmware.com/' };

export const bindings: ReadonlyArray<Binding<SequencerDeps>> = [
  ...onObject(
    verbs,
    { kind: 'VirtualMachineGroup', ...VMOP },
    'objects/virtualmachinegroup',
    onMember,
  ),
  ...onObject(verbs, { kind: 'VirtualMachine', ...VMOP }, 'objects/virtualmachine', onMember),
  ...onObject(
    verbs,
    { kind: 'Restore', apiVersionPrefix: 'velero.io/' },
    'objects/restore',
    onRestore,
  ),
  bind('events/restore-group-ready', { type: EVENT_TYPE_RESTORE_GROUP_READY }, onContinuation),
  bind('events/restore-sequence-due', { type: EVENT_TYPE_RESTORE_SEQUENCE_DUE }, onContinuation),
  onTick(onResync),
];
