// What datamover-progress reacts to, each with its handler: vSphere plugin Uploads and Velero
// DataUploads being added or changing phase/progress, Backups changing (a Backup reaching
// Completed after its last upload finished is what lets the data land), and the periodic tick.

import type { Binding } from '../runtime/function.ts';
import { onObject, onTick } from '../runtime/events/binding.ts';
import type { ProgressDeps } from './handler.ts';
import { onBackup, onDataUpload, onTick as onResync, onUpload } from './handler.ts';

const verbs = ['add', 'update'] as const;

export const bindings: ReadonlyArray<Binding<ProgressDeps>> = [
  ...onObject(
    verbs,
    { kind: 'Upload', apiVersionPrefix: 'datamover.cnsdp.vmware.com/' },
    'objects/upload',
    onUpload,
  ),
  ...onObject(
    verbs,
    { kind: 'DataUpload', apiVersionPrefix: 'velero.io/' },
    'objects/dataupload',
    onDataUpload,
  ),
  ...onObject(
    ['update'],
    { kind: 'Backup', apiVersionPrefix: 'velero.io/' },
    'objects/backup',
    onBackup,
  ),
  onTick(onResync),
];
