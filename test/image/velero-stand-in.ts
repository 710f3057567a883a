// What the backup-verifier needs of Velero besides the API server, for the image test: Velero's
// DownloadRequest controller (a loop that writes `status.downloadURL` onto each DownloadRequest
// for a known backup, as Velero's does: the CRD has no status subresource) and the object store
// (a plain-HTTP server on the host, serving the gzipped BackupResourceList under that URL). The
// verifier's integration test stands in for the same two; the real-Velero e2e runs real ones.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { Kube, KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import type { ResourceList } from '../../functions/vmgroup/backup-verification.ts';
import { answerResourceListRequest } from '../../functions/velero/test/velero-stand-ins.ts';

export type DownloadRequest = KubeObject & {
  spec?: { target?: { kind?: string; name?: string } };
  status?: { downloadURL?: string };
};

export interface VeleroStandIn {
  /** Every DownloadRequest the controller saw, by name. */
  seen: Map<string, DownloadRequest>;
  /** GET requests the store answered with an item list. */
  served: number;
  /** The controller's last failed round (it keeps going), for failure messages. */
  error?: Error;
  close(): Promise<void>;
}

/** Serves `lists` (by backup name) and answers every DownloadRequest in `namespace` for them. */
export async function veleroStandIn(
  admin: Kube,
  namespace: string,
  lists: ReadonlyMap<string, ResourceList>,
): Promise<VeleroStandIn> {
  const standIn: VeleroStandIn = { seen: new Map(), served: 0, close: async () => undefined };
  const store = createServer((req, res) => {
    const m = /^\/bucket\/backups\/([^/]+)\//.exec(req.url ?? '');
    const list = m ? lists.get(m[1]!) : undefined;
    if (!list) {
      res.writeHead(404).end('NoSuchKey');
      return;
    }
    standIn.served++;
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(gzipSync(JSON.stringify(list)));
  });
  // The container shares the host's network: 127.0.0.1 is the same address inside it.
  await new Promise<void>((r) => store.listen(0, '127.0.0.1', r));
  const storeUrl = `http://127.0.0.1:${(store.address() as AddressInfo).port}`;
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      await answer().catch((err: unknown) => (standIn.error = err as Error));
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  async function answer() {
    const { items } = await admin.list<DownloadRequest>(
      'velero.io/v1',
      'DownloadRequest',
      namespace,
    );
    for (const dr of items) {
      const target = dr.spec?.target?.name ?? '';
      if (!lists.has(target)) continue;
      standIn.seen.set(dr.metadata.name, dr);
      if (dr.status?.downloadURL) continue;
      await answerResourceListRequest(admin, namespace, dr.metadata.name, target, storeUrl);
    }
  }
  standIn.close = async () => {
    stop = true;
    await loop;
    await new Promise((r) => store.close(r));
  };
  return standIn;
}
