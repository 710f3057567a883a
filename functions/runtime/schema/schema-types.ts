// The generated type of each object and event schema, by schema key, so a binding that names its
// schema gets its handler's data typed (events/binding.ts). test/schemas/schema-types.test.ts
// fails when an entry is missing or names another schema's type.

import type { VeleroBackup } from '../../../schemas/generated/objects/backup.ts';
import type { CapturedNetwork } from '../../../schemas/generated/objects/captured-network.ts';
import type { VeleroDataUpload } from '../../../schemas/generated/objects/dataupload.ts';
import type { KubernetesObject } from '../../../schemas/generated/objects/kubernetes-object.ts';
import type { LabelSelector } from '../../../schemas/generated/objects/label-selector.ts';
import type { ObjectMeta } from '../../../schemas/generated/objects/object-meta.ts';
import type { PersistentVolumeClaim } from '../../../schemas/generated/objects/persistentvolumeclaim.ts';
import type { PingTick } from '../../../schemas/generated/objects/pingsource-event.ts';
import type { VeleroRestore } from '../../../schemas/generated/objects/restore.ts';
import type { VsphereUpload } from '../../../schemas/generated/objects/upload.ts';
import type { VirtualMachine } from '../../../schemas/generated/objects/virtualmachine.ts';
import type { VirtualMachineGroup } from '../../../schemas/generated/objects/virtualmachinegroup.ts';
import type { BackupDataFailed } from '../../../schemas/generated/events/backup-data-failed.ts';
import type { BackupDataLanded } from '../../../schemas/generated/events/backup-data-landed.ts';
import type { BackupExpanded } from '../../../schemas/generated/events/backup-expanded.ts';
import type { BackupVerified } from '../../../schemas/generated/events/backup-verified.ts';
import type { GuardRestrictedResources } from '../../../schemas/generated/events/guard-restricted-resources.ts';
import type { RestoreGroupHeld } from '../../../schemas/generated/events/restore-group-held.ts';
import type { RestoreGroupReady } from '../../../schemas/generated/events/restore-group-ready.ts';
import type { RestoreGroupReleased } from '../../../schemas/generated/events/restore-group-released.ts';
import type { RestoreSequenceDue } from '../../../schemas/generated/events/restore-sequence-due.ts';

export interface SchemaTypes {
  'objects/backup': VeleroBackup;
  'objects/captured-network': CapturedNetwork;
  'objects/dataupload': VeleroDataUpload;
  'objects/kubernetes-object': KubernetesObject;
  'objects/label-selector': LabelSelector;
  'objects/object-meta': ObjectMeta;
  'objects/persistentvolumeclaim': PersistentVolumeClaim;
  'objects/pingsource-event': PingTick;
  'objects/restore': VeleroRestore;
  'objects/upload': VsphereUpload;
  'objects/virtualmachine': VirtualMachine;
  'objects/virtualmachinegroup': VirtualMachineGroup;
  'events/backup-data-failed': BackupDataFailed;
  'events/backup-data-landed': BackupDataLanded;
  'events/backup-expanded': BackupExpanded;
  'events/backup-verified': BackupVerified;
  'events/guard-restricted-resources': GuardRestrictedResources;
  'events/restore-group-held': RestoreGroupHeld;
  'events/restore-group-ready': RestoreGroupReady;
  'events/restore-group-released': RestoreGroupReleased;
  'events/restore-sequence-due': RestoreSequenceDue;
}

export type SchemaKey = keyof SchemaTypes;
