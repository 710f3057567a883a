// What the restore sequencer reacts to (plain data): restored groups and VMs appearing or
// changing, Restores (starting and ending), the PingSource tick, and its own timed
// continuations (group-ready and sequence-due, routed back to it by the Broker).

import type { Binding } from '../runtime/function.ts';
import {
  EVENT_TYPE_RESTORE_GROUP_READY,
  EVENT_TYPE_RESTORE_SEQUENCE_DUE,
} from '../vmgroup/names.ts';
import { DUE_SCHEMA, READY_SCHEMA } from './report.ts';

const OBJECTS = 'https://vmgroup-backup.dev/schemas/objects/';
const verbs = ['add', 'update'] as const;

export const bindings: readonly Binding[] = [
  ...verbs.flatMap((v) => [
    {
      type: `dev.knative.apiserver.resource.${v}`,
      kind: 'VirtualMachineGroup',
      apiVersionPrefix: 'vmoperator.vmware.com/',
      dataSchema: `${OBJECTS}virtualmachinegroup.schema.json`,
    },
    {
      type: `dev.knative.apiserver.resource.${v}`,
      kind: 'VirtualMachine',
      apiVersionPrefix: 'vmoperator.vmware.com/',
      dataSchema: `${OBJECTS}virtualmachine.schema.json`,
    },
    {
      type: `dev.knative.apiserver.resource.${v}`,
      kind: 'Restore',
      apiVersionPrefix: 'velero.io/',
      dataSchema: `${OBJECTS}restore.schema.json`,
    },
  ]),
  { type: EVENT_TYPE_RESTORE_GROUP_READY, dataSchema: READY_SCHEMA },
  { type: EVENT_TYPE_RESTORE_SEQUENCE_DUE, dataSchema: DUE_SCHEMA },
  { type: 'dev.knative.sources.ping', dataSchema: `${OBJECTS}pingsource-event.schema.json` },
];
