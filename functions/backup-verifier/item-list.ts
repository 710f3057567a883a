// Reading a Backup's item list the way `velero backup describe --details` does: a DownloadRequest
// for BackupResourceList (functions/velero/download-request.ts), gunzipped and parsed.

import type { ResourceList } from '../vmgroup/backup-verification.ts';
import { parseResourceList } from '../vmgroup/backup-verification.ts';
import type { DownloadRequestDeps } from '../velero/download-request.ts';
import { DOWNLOAD_REQUEST, DownloadMissing, readDownload } from '../velero/download-request.ts';

export const API = {
  backup: { apiVersion: 'velero.io/v1', kind: 'Backup' },
  downloadRequest: DOWNLOAD_REQUEST,
  storageLocation: { apiVersion: 'velero.io/v1', kind: 'BackupStorageLocation' },
} as const;

export type ItemListDeps = DownloadRequestDeps;

/** The item list could not be read for a reason a retry will not change. */
export class ItemListUnavailable extends Error {
  override name = 'ItemListUnavailable';
}

export interface ItemListRequest {
  namespace: string;
  backup: string;
  storageLocation?: string;
  downloadRequest: string;
}

/** The Backup's BackupResourceList; the DownloadRequest named in `req` is created, then deleted. */
export async function readItemList(
  deps: ItemListDeps,
  req: ItemListRequest,
): Promise<ResourceList> {
  let bytes: Uint8Array;
  try {
    bytes = await readDownload(deps, {
      ...req,
      kind: 'BackupResourceList',
      name: req.backup,
      what: `item list for backup ${req.backup}`,
    });
  } catch (err) {
    if (err instanceof DownloadMissing) throw new ItemListUnavailable(err.message);
    throw err;
  }
  try {
    return parseResourceList(bytes);
  } catch (err) {
    throw new ItemListUnavailable(
      `the item list of backup ${req.backup} is unreadable: ${(err as Error).message}`,
    );
  }
}
