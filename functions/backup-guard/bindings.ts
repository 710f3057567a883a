// What the backup guard reacts to, each with its handler: Backups and Restores, added or updated,
// whole (Resource mode; neither carries secret data), and the PingSource tick that re-judges
// every one still in flight.

import type { Binding } from '../runtime/function.ts';
import { onObject, onTick } from '../runtime/events/binding.ts';
import type { GuardDeps } from './handler.ts';
import { onBackupOrRestore, onTick as onResync } from './handler.ts';

const verbs = ['add', 'update'] as const;
const VELERO = { apiVersionPrefix: 'velero.io/' };

export const bindings: ReadonlyArray<Binding<GuardDeps>> = [
  ...onObject(verbs, { kind: 'Backup', ...VELERO }, 'objects/backup', onBackupOrRestore),
  ...onObject(verbs, { kind: 'Restore', ...VELERO }, 'objects/restore', onBackupOrRestore),
  onTick(onResync),
];
