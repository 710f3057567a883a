// What the backup guard reacts to (plain data): Backups and Restores, added or updated, whole
// (Resource mode; neither carries secret data), and the PingSource tick that re-judges every one
// still in flight.

import type { Binding } from '../runtime/function.ts';

export const BACKUP_SCHEMA = 'https://vmgroup-backup.dev/schemas/objects/backup.schema.json';
export const RESTORE_SCHEMA = 'https://vmgroup-backup.dev/schemas/objects/restore.schema.json';
export const PING_SCHEMA =
  'https://vmgroup-backup.dev/schemas/objects/pingsource-event.schema.json';
export const PING_TYPE = 'dev.knative.sources.ping';
export const GUARD_EVENT_SCHEMA =
  'https://vmgroup-backup.dev/schemas/events/guard-restricted-resources.schema.json';

const on = (verb: 'add' | 'update', kind: 'Backup' | 'Restore'): Binding => ({
  type: `dev.knative.apiserver.resource.${verb}`,
  kind,
  apiVersionPrefix: 'velero.io/',
  dataSchema: kind === 'Backup' ? BACKUP_SCHEMA : RESTORE_SCHEMA,
});

export const bindings: readonly Binding[] = [
  on('add', 'Backup'),
  on('update', 'Backup'),
  on('add', 'Restore'),
  on('update', 'Restore'),
  // The periodic resync (ApiServerSource drops events and sends none for objects that exist when it starts).
  { type: PING_TYPE, dataSchema: PING_SCHEMA },
];
