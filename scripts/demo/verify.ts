// The demo's backup verification: no Velero server runs in the demo, so this stands in for the two
// things Velero does that the backup verifier depends on — finishing the Backup (phase Completed,
// with the item list it would have written to object storage: the objects its selector takes) and
// answering the verifier's DownloadRequest with a URL to that list (served here on loopback). The
// verifier itself runs as shipped; what it concludes is read back from the Backup.
import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kube, KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import { ANNOTATION_BACKUP_VERIFICATION } from '../../functions/vmgroup/names.ts';
import type { BackupVerified } from '../../schemas/generated/events/backup-verified.ts';
import { say } from './say.ts';

export interface VerificationShown {
  what: string;
  ok: boolean;
  detail?: string;
}

type DownloadRequest = KubeObject & {
  spec?: { target?: { kind?: string; name?: string } };
  status?: { downloadURL?: string };
};

/** The BackupResourceList Velero writes: `"<apiVersion>/<Kind>"` → `["ns/name"]`, plus the namespace. */
function resourceList(objects: readonly KubeObject[], namespace: string): Record<string, string[]> {
  const list: Record<string, string[]> = { 'v1/Namespace': [namespace] };
  for (const o of objects)
    (list[`${o.apiVersion}/${o.kind}`] ??= []).push(`${namespace}/${o.metadata.name}`);
  return list;
}

export async function showVerification(
  admin: Kube,
  o: { backup: string; veleroNs: string; namespace: string; objects: readonly KubeObject[] },
): Promise<VerificationShown> {
  say.step('Verifying the backup: its item list against each group’s recorded closure');
  say.detail(
    '(no Velero runs here: the demo marks the Backup Completed and answers the DownloadRequest the way Velero would)',
  );
  const body = gzipSync(JSON.stringify(resourceList(o.objects, o.namespace)));
  const store = createServer((_req, res) => res.writeHead(200).end(body));
  await new Promise<void>((r) => store.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(store.address() as { port: number }).port}/backups/${o.backup}/${o.backup}-resource-list.json.gz`;
  const ref = { apiVersion: 'velero.io/v1', kind: 'Backup', namespace: o.veleroNs, name: o.backup };
  try {
    await admin.patch(ref, { type: 'merge', body: { status: { phase: 'Completed' } } });
    const deadline = Date.now() + 60_000;
    let raw: string | undefined;
    while (Date.now() < deadline) {
      const { items } = await admin.list<DownloadRequest>(
        'velero.io/v1',
        'DownloadRequest',
        o.veleroNs,
      );
      for (const dr of items)
        if (dr.spec?.target?.name === o.backup && !dr.status?.downloadURL) {
          say.line(`the verifier asked for the item list: DownloadRequest ${dr.metadata.name}`);
          await admin.patch(
            { ...ref, kind: 'DownloadRequest', name: dr.metadata.name },
            { type: 'merge', body: { status: { phase: 'Processed', downloadURL: url } } },
          );
        }
      raw = (await admin.get(ref))?.metadata.annotations?.[ANNOTATION_BACKUP_VERIFICATION];
      if (raw && !raw.includes('"verifying"')) break;
      await sleep(200);
    }
    const result = raw
      ? (JSON.parse(raw) as { state: string; groups?: BackupVerified['groups'] })
      : undefined;
    for (const g of result?.groups ?? []) {
      const missing = g.missing.map((m) => `${m.kind} ${m.name} (${m.cause})`).join(', ');
      say.line(
        `group ${g.namespace}/${g.name}: ${g.result}, ${g.found} of ${g.found + g.missing.length} objects in the backup${missing ? `; missing ${missing}` : ''}`,
      );
    }
    const left = (await admin.list<DownloadRequest>('velero.io/v1', 'DownloadRequest', o.veleroNs))
      .items;
    return {
      what: 'the backup verifier found every group whole in the Backup (VMGroupBackupVerified) and left no DownloadRequest',
      ok: result?.state === 'verified' && left.length === 0,
      detail: result ? `${result.state}, ${result.groups?.length ?? 0} group(s)` : 'no result',
    };
  } finally {
    store.close();
  }
}
