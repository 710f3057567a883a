// What datamover-progress reacts to (plain data): vSphere plugin Uploads and Velero DataUploads
// being added or changing phase/progress, and Backups changing (a Backup reaching Completed after
// its last upload finished is what lets the data land), plus the periodic resync tick.

import type { Binding } from '../runtime/function.ts';

export const UPLOAD_SCHEMA = 'https://vmgroup-backup.dev/schemas/objects/upload.schema.json';
export const DATAUPLOAD_SCHEMA =
  'https://vmgroup-backup.dev/schemas/objects/dataupload.schema.json';
export const BACKUP_SCHEMA = 'https://vmgroup-backup.dev/schemas/objects/backup.schema.json';
export const LANDED_SCHEMA =
  'https://vmgroup-backup.dev/schemas/events/backup-data-landed.schema.json';
export const FAILED_SCHEMA =
  'https://vmgroup-backup.dev/schemas/events/backup-data-failed.schema.json';
export const PING_TYPE = 'dev.knative.sources.ping';
export const PING_SCHEMA =
  'https://vmgroup-backup.dev/schemas/objects/pingsource-event.schema.json';

const verbs = ['add', 'update'] as const;

export const bindings: readonly Binding[] = [
  ...verbs.map((v) => ({
    type: `dev.knative.apiserver.resource.${v}`,
    kind: 'Upload',
    apiVersionPrefix: 'datamover.cnsdp.vmware.com/',
    dataSchema: UPLOAD_SCHEMA,
  })),
  ...verbs.map((v) => ({
    type: `dev.knative.apiserver.resource.${v}`,
    kind: 'DataUpload',
    apiVersionPrefix: 'velero.io/',
    dataSchema: DATAUPLOAD_SCHEMA,
  })),
  {
    type: 'dev.knative.apiserver.resource.update',
    kind: 'Backup',
    apiVersionPrefix: 'velero.io/',
    dataSchema: BACKUP_SCHEMA,
  },
  // The periodic resync (ApiServerSource drops events and sends none for objects that exist when it starts).
  { type: PING_TYPE, dataSchema: PING_SCHEMA },
];
