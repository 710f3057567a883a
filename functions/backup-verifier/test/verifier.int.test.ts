// backup-verifier on the real control plane, through the real runtime server, as a service account
// granted exactly VERIFIER_RULES. Real: the kube-apiserver with Velero's CRDs, RBAC, the
// DownloadRequests the function creates and deletes, the Backups and BackupStorageLocations, TLS
// verification against the location's CA. Stood in for: Velero's DownloadRequest controller (this
// test writes `status.downloadURL` onto each DownloadRequest it sees, as Velero's does — the CRD
// has no status subresource) and the object store (a local HTTPS server whose certificate comes
// from its own CA, made by Go's crypto/tls/generate_cert.go, serving the gzipped item list). The
// real-Velero e2e (test/e2e/backup-restore.e2e.ts) runs the same function against real Velero.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { testCluster } from '../../../test/harness/index.ts';
import type { TestCluster } from '../../../test/harness/index.ts';
import { rbacFromRules, serveAsServiceAccount } from '../../../test/support/serve-as-account.ts';
import { apiServerEvent, pingEvent, postEvent } from '../../../test/support/cloudevents.ts';
import { findGo } from '../../../scripts/binaries/go-toolchain.ts';
import type { RunningServer } from '../../runtime/http/server.ts';
import type { Kube, KubeObject } from '../../runtime/kube/kube-api.ts';
import type { ResourceList } from '../../vmgroup/backup-verification.ts';
import { formatClosureRecord } from '../../vmgroup/closure-record.ts';
import type { RecordedGroup } from '../../vmgroup/closure-record.ts';
import {
  ANNOTATION_BACKUP_CLOSURE,
  ANNOTATION_BACKUP_VERIFICATION,
  EVENT_TYPE_BACKUP_VERIFIED,
  REASON_BACKUP_INCOMPLETE,
  REASON_BACKUP_VERIFIED,
} from '../../vmgroup/names.ts';
import type { BackupVerified } from '../../../schemas/generated/events/backup-verified.ts';
import verifier from '../index.ts';
import { VERIFIER_RULES } from '../rbac.ts';
import { API } from '../item-list.ts';
import { answerResourceListRequest } from '../../velero/test/velero-stand-ins.ts';

interface Tls {
  cert: string;
  key: string;
}

/** A self-signed CA that is also the serving certificate for 127.0.0.1 (Go's generate_cert.go). */
function makeCa(dir: string): Tls {
  const go = findGo(process.env);
  if (!go) throw new Error('Go is needed to make the test CA (crypto/tls/generate_cert.go)');
  const goroot = execFileSync(go, ['env', 'GOROOT'], { encoding: 'utf8' }).trim();
  execFileSync(
    go,
    ['run', join(goroot, 'src/crypto/tls/generate_cert.go'), '--host', '127.0.0.1', '--ca'],
    { cwd: dir, stdio: 'ignore' },
  );
  return {
    cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    key: readFileSync(join(dir, 'key.pem'), 'utf8'),
  };
}

type DR = KubeObject & {
  spec?: { target?: { kind?: string; name?: string } };
  status?: { downloadURL?: string };
};

const SHOP: RecordedGroup = {
  namespace: 'apps',
  name: 'shop',
  objects: [
    { kind: 'VirtualMachineGroup', name: 'shop' },
    { kind: 'VirtualMachine', name: 'db' },
    { kind: 'VirtualMachine', name: 'web-2' },
    { kind: 'Secret', name: 'db-boot' },
    { kind: 'PersistentVolumeClaim', name: 'db-data' },
  ],
  cut: [{ kind: 'VirtualMachine', name: 'web-2', reason: 'excludeLabel' }],
};
const WHOLE: ResourceList = {
  'vmoperator.vmware.com/v1alpha5/VirtualMachineGroup': ['apps/shop'],
  'vmoperator.vmware.com/v1alpha5/VirtualMachine': ['apps/db', 'apps/web-2'],
  'v1/Secret': ['apps/db-boot'],
  'v1/PersistentVolumeClaim': ['apps/db-data'],
  'v1/Namespace': ['apps'],
};
const WITHOUT_WEB2: ResourceList = {
  ...WHOLE,
  'vmoperator.vmware.com/v1alpha5/VirtualMachine': ['apps/db'],
};

describe('backup-verifier on the control plane', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let admin: Kube;
  let server: RunningServer;
  let veleroNs: string;
  let dir: string;
  let store: Server;
  let storeUrl: string;
  let trusted: Tls;
  let stranger: Tls;
  /** Item lists the store serves, by backup name (absent: 404). */
  const lists = new Map<string, ResourceList>();
  /** Every DownloadRequest the stand-in controller saw, and the ones it must leave unanswered. */
  const seen = new Map<string, DR>();
  const unanswered = new Set<string>();
  let stop = false;
  let controller: Promise<void>;
  let n = 0;

  /** Velero's DownloadRequest controller, as far as the verifier can tell: a URL per request. */
  async function standInController(): Promise<void> {
    while (!stop) {
      const { items } = await admin.list<DR>('velero.io/v1', 'DownloadRequest', veleroNs);
      for (const dr of items) {
        seen.set(dr.metadata.name, dr);
        const target = dr.spec?.target?.name ?? '';
        if (dr.status?.downloadURL || unanswered.has(target)) continue;
        await answerResourceListRequest(admin, veleroNs, dr.metadata.name, target, storeUrl);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const setStoreCert = (tls: Tls) => store.setSecureContext(tls);

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), 'vvf-verifier-'));
    const a = mkdtempSync(join(dir, 'a-'));
    const b = mkdtempSync(join(dir, 'b-'));
    trusted = makeCa(a);
    stranger = makeCa(b);
    store = createServer(trusted, (req, res) => {
      const m = /^\/bucket\/backups\/([^/]+)\//.exec(req.url ?? '');
      const list = m ? lists.get(m[1]!) : undefined;
      if (!list) {
        res.writeHead(404).end('NoSuchKey');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(gzipSync(JSON.stringify(list)));
    });
    await new Promise<void>((r) => store.listen(0, '127.0.0.1', r));
    storeUrl = `https://127.0.0.1:${(store.address() as { port: number }).port}`;
    cluster = await testCluster();
    ({ admin, server, veleroNs } = await serveAsServiceAccount(cluster, verifier as never, {
      rbac: rbacFromRules(VERIFIER_RULES),
      env: ({ veleroNs }) => ({ VELERO_NAMESPACE: veleroNs, DOWNLOAD_URL_TIMEOUT_SECONDS: '3' }),
    }));
    await location('trusted', trusted.cert);
    await location('plain', undefined);
    controller = standInController();
  });

  after(async () => {
    stop = true;
    await controller?.catch(() => undefined);
    await server?.close();
    store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function location(name: string, caPem: string | undefined) {
    await admin.create({
      apiVersion: 'velero.io/v1',
      kind: 'BackupStorageLocation',
      metadata: { name, namespace: veleroNs },
      spec: {
        provider: 'aws',
        objectStorage: {
          bucket: 'bucket',
          ...(caPem ? { caCert: Buffer.from(caPem).toString('base64') } : {}),
        },
      },
    });
  }

  async function backup(phase: string, groups: RecordedGroup[], storageLocation = 'trusted') {
    return admin.create<KubeObject>({
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: {
        name: `b${++n}`,
        namespace: veleroNs,
        annotations: { [ANNOTATION_BACKUP_CLOSURE]: formatClosureRecord(groups) },
      },
      spec: { includedNamespaces: ['apps'], storageLocation },
      status: { phase },
    });
  }

  const live = async (name: string) =>
    (await admin.get<KubeObject>({ ...API.backup, namespace: veleroNs, name }))!;
  const recorded = async (name: string) => {
    const raw = (await live(name)).metadata.annotations?.[ANNOTATION_BACKUP_VERIFICATION];
    return raw === undefined
      ? undefined
      : (JSON.parse(raw) as { state: string; groups?: BackupVerified['groups'] });
  };
  const eventsAbout = async (name: string) =>
    (
      await admin.list<
        KubeObject & {
          reason?: string;
          type?: string;
          message?: string;
          count?: number;
          involvedObject?: { name?: string };
        }
      >('v1', 'Event', veleroNs)
    ).items.filter((e) => e.involvedObject?.name === name);
  const drsFor = (name: string) => [...seen.values()].filter((d) => d.spec?.target?.name === name);
  const liveDrs = async () =>
    (await admin.list<DR>('velero.io/v1', 'DownloadRequest', veleroNs)).items;

  it('verifies a complete backup: Event, reply, result on the Backup, its DownloadRequest gone', async () => {
    const b = await backup('Completed', [SHOP]);
    lists.set(b.metadata.name, WHOLE);
    const res = await postEvent(server.url, apiServerEvent('update', b));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.reply?.type, EVENT_TYPE_BACKUP_VERIFIED);
    const data = res.reply?.data as BackupVerified;
    assert.equal(data.result, 'verified');
    assert.deepEqual(data.groups, [
      { namespace: 'apps', name: 'shop', result: 'verified', found: 5, missing: [] },
    ]);
    const events = await eventsAbout(b.metadata.name);
    assert.deepEqual(
      events.map((e) => [e.type, e.reason]),
      [['Normal', REASON_BACKUP_VERIFIED]],
    );
    assert.match(events[0]!.message!, /holds all 5 objects of group apps\/shop/);
    assert.equal((await recorded(b.metadata.name))?.state, 'verified');
    // Exactly one DownloadRequest, for this backup's BackupResourceList, and it is deleted.
    const drs = drsFor(b.metadata.name);
    assert.equal(drs.length, 1);
    assert.equal(drs[0]!.spec?.target?.kind, 'BackupResourceList');
    assert.deepEqual(await liveDrs(), []);
  });

  it('a second delivery verifies nothing again and creates no DownloadRequest', async () => {
    const b = await backup('Completed', [SHOP]);
    lists.set(b.metadata.name, WHOLE);
    assert.equal((await postEvent(server.url, apiServerEvent('update', b))).status, 200);
    const again = await postEvent(
      server.url,
      apiServerEvent('update', await live(b.metadata.name)),
    );
    assert.equal(again.reply, undefined);
    assert.ok(again.status < 300);
    // A stale copy of the Backup (as an event re-delivered late would carry) changes nothing either.
    const stale = await postEvent(server.url, apiServerEvent('update', b));
    assert.equal(stale.reply, undefined);
    assert.equal(drsFor(b.metadata.name).length, 1);
    assert.equal((await eventsAbout(b.metadata.name))[0]?.count ?? 1, 1);
  });

  it('names the member Velero left out and the cause the labeler recorded (Warning)', async () => {
    const b = await backup('Completed', [SHOP]);
    lists.set(b.metadata.name, WITHOUT_WEB2);
    const res = await postEvent(server.url, apiServerEvent('update', b));
    const data = res.reply?.data as BackupVerified;
    assert.equal(data.result, 'incomplete');
    assert.deepEqual(data.groups[0]?.missing, [
      { kind: 'VirtualMachine', name: 'web-2', cause: 'excludeLabel' },
    ]);
    const [e] = await eventsAbout(b.metadata.name);
    assert.equal(e?.type, 'Warning');
    assert.equal(e?.reason, REASON_BACKUP_INCOMPLETE);
    assert.match(
      e!.message!,
      /lacks 1 of 5 objects of group apps\/shop: VirtualMachine web-2: labelled velero.io\/exclude-from-backup=true/,
    );
    assert.equal((await recorded(b.metadata.name))?.state, 'incomplete');
  });

  it('refuses an object store whose certificate the storage location’s CA did not sign (503), leaving no claim and no DownloadRequest', async () => {
    setStoreCert(stranger);
    try {
      const b = await backup('Completed', [SHOP]);
      lists.set(b.metadata.name, WHOLE);
      const res = await postEvent(server.url, apiServerEvent('update', b));
      assert.equal(res.status, 503, JSON.stringify(res.body));
      assert.equal(await recorded(b.metadata.name), undefined);
      assert.deepEqual(await liveDrs(), []);
      assert.deepEqual(await eventsAbout(b.metadata.name), []);
      // Once the store presents the right certificate, the Broker's retry verifies it.
      setStoreCert(trusted);
      const retry = await postEvent(server.url, apiServerEvent('update', b));
      assert.equal((retry.reply?.data as BackupVerified).result, 'verified');
    } finally {
      setStoreCert(trusted);
    }
  });

  it('a location without a CA trusts only the system roots: the test CA is refused', async () => {
    const b = await backup('Completed', [SHOP], 'plain');
    lists.set(b.metadata.name, WHOLE);
    assert.equal((await postEvent(server.url, apiServerEvent('update', b))).status, 503);
    assert.deepEqual(await liveDrs(), []);
    await admin.delete({ ...API.backup, namespace: veleroNs, name: b.metadata.name });
  });

  it('Velero never answering the DownloadRequest is transient (503): the request is deleted, the claim released', async () => {
    const b = await backup('Completed', [SHOP]);
    unanswered.add(b.metadata.name);
    const res = await postEvent(server.url, apiServerEvent('update', b));
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.match(JSON.stringify(res.body), /no download URL/);
    assert.equal(await recorded(b.metadata.name), undefined);
    assert.deepEqual(await liveDrs(), []);
    await admin.delete({ ...API.backup, namespace: veleroNs, name: b.metadata.name });
  });

  it('an item list the store does not have is recorded unverifiable once, with a Warning', async () => {
    const b = await backup('PartiallyFailed', [SHOP]);
    const res = await postEvent(server.url, apiServerEvent('update', b));
    assert.equal(res.status < 300, true, JSON.stringify(res.body));
    assert.equal((await recorded(b.metadata.name))?.state, 'unverifiable');
    const [e] = await eventsAbout(b.metadata.name);
    assert.equal(e?.type, 'Warning');
    assert.match(e!.message!, /cannot be verified: the object store has no item list/);
    assert.deepEqual(await liveDrs(), []);
  });

  it('leaves unfinished Backups and Backups without a closure record alone (no request at all)', async () => {
    const running = await backup('InProgress', [SHOP]);
    const before = seen.size;
    assert.equal((await postEvent(server.url, apiServerEvent('update', running))).reply, undefined);
    const bare = await admin.create<KubeObject>({
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: { name: `b${++n}`, namespace: veleroNs },
      spec: { storageLocation: 'trusted' },
      status: { phase: 'Completed' },
    });
    assert.equal((await postEvent(server.url, apiServerEvent('update', bare))).reply, undefined);
    assert.equal(seen.size, before);
    assert.equal(await recorded(running.metadata.name), undefined);
  });

  it('the resync tick verifies a finished Backup no event announced', async () => {
    const b = await backup('Completed', [SHOP]);
    lists.set(b.metadata.name, WHOLE);
    const res = await postEvent(server.url, pingEvent());
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal((await recorded(b.metadata.name))?.state, 'verified');
    assert.equal((await postEvent(server.url, pingEvent())).reply, undefined);
  });

  it('answers 4xx to a Backup event that is not a Backup', async () => {
    const bad = apiServerEvent('update', {
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: { name: 'x' },
    });
    bad.data = { kind: 'Backup', metadata: 'not an object' };
    const res = await postEvent(server.url, bad);
    assert.ok(res.status >= 400 && res.status < 500, String(res.status));
  });
});
