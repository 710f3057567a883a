// What the backup verifier reacts to, each with its handler: Backups added (a Backup synced from
// object storage arrives finished) or updated (its phase reaching Completed or PartiallyFailed,
// the labeler's closure record arriving), and the PingSource tick that catches lost events and
// claims of deliveries that died.

import type { Binding } from '../runtime/function.ts';
import { onObject, onTick } from '../runtime/events/binding.ts';
import type { VerifierDeps } from './handler.ts';
import { onBackup, onTick as onResync } from './handler.ts';

export const bindings: ReadonlyArray<Binding<VerifierDeps>> = [
  ...onObject(
    ['add', 'update'],
    { kind: 'Backup', apiVersionPrefix: 'velero.io/' },
    'objects/backup',
    onBackup,
  ),
  onTick(onResync),
];
