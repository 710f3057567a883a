// What the backup verifier reacts to (plain data): Backups added (a Backup synced from object
// storage arrives finished) or updated (its phase reaching Completed or PartiallyFailed, the
// labeler's closure record arriving), and the PingSource tick that catches lost events and claims
// of deliveries that died.

import type { Binding } from '../runtime/function.ts';

export const BACKUP_SCHEMA = 'https://vmgroup-backup.dev/schemas/objects/backup.schema.json';
export const PING_SCHEMA =
  'https://vmgroup-backup.dev/schemas/objects/pingsource-event.schema.json';
export const PING_TYPE = 'dev.knative.sources.ping';
export const VERIFIED_SCHEMA =
  'https://vmgroup-backup.dev/schemas/events/backup-verified.schema.json';

export const bindings: readonly Binding[] = [
  ...(['add', 'update'] as const).map((verb) => ({
    type: `dev.knative.apiserver.resource.${verb}`,
    kind: 'Backup',
    apiVersionPrefix: 'velero.io/',
    dataSchema: BACKUP_SCHEMA,
  })),
  // The periodic resync (ApiServerSource drops events and sends none for objects that exist when it starts).
  { type: PING_TYPE, dataSchema: PING_SCHEMA },
];
