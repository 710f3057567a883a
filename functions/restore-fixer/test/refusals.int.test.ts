// The restore fixer reporting what VM Operator refused, on the real control plane: an ended
// Restore with errors, whose results Velero's DownloadRequest controller (a stand-in answering as
// Velero does) points to in an object store (a local HTTP server holding the gzipped JSON Velero
// uploads); the handler runs as a service account bound to exactly FIXER_RULES. The refusal
// messages are the real webhook's (webhook-refusals.ts, checked by test/vm-operator).

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { TestCluster } from '../../../test/harness/index.ts';
import { apiServerEvent } from '../../../test/support/cloudevents.ts';
import type { Kube, KubeObject } from '../../runtime/kube/kube-api.ts';
import {
  REASON_RESTORE_MEMBERS_MISSING,
  REASON_RESTORE_REFUSED,
  RESOURCE_MODIFIER_CONFIGMAP,
} from '../../vmgroup/names.ts';
import { asKube, vm, vmg, vmMember } from '../../vmgroup/test/builders.ts';
import type { FixerDeps } from '../handler.ts';
import restoreFixer from '../index.ts';
import { deliver } from '../../runtime/events/match.ts';
import { restoreObject, veleroCreate } from '../../velero/test/velero-create.ts';
import { fixerOnPlane } from './fixer-plane.ts';
import type { RestoreResults } from '../../velero/restore-results.ts';
import { answerDownloadRequest, restoreResultsUrl } from '../../velero/test/velero-stand-ins.ts';
import { UNSTRIPPABLE_CASES, veleroErrorLine } from './webhook-refusals.ts';

interface CoreEvent extends KubeObject {
  reason?: string;
  message?: string;
  count?: number;
  involvedObject?: { name?: string; kind?: string };
}

interface DR extends KubeObject {
  spec?: { target?: { kind?: string; name?: string } };
  status?: { downloadURL?: string };
}

const refusal = (title: string) => {
  const c = UNSTRIPPABLE_CASES.find((x) => x.title === title);
  assert.ok(c, title);
  return c;
};
/** The webhook joins a VM's field errors with ", " into one message. */
const joined = (...titles: string[]) =>
  titles
    .map((t, i) => (i === 0 ? refusal(t).message : refusal(t).message.replace(/^.*request: /, '')))
    .join(', ');

describe('restore fixer: what VM Operator refused, from the Restore results (control plane)', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let admin: Kube;
  let deps: FixerDeps;
  let veleroNs: string;
  let store: Server;
  let storeUrl: string;
  /** Results the store holds, by Restore name (absent: 404). */
  const results = new Map<string, RestoreResults>();
  /** Every DownloadRequest the stand-in controller saw, by name. */
  const seen = new Map<string, DR>();
  let stop = false;
  let controller: Promise<void>;

  /** Velero's DownloadRequest controller, as far as the fixer can tell. */
  async function standInController(): Promise<void> {
    while (!stop) {
      const { items } = await admin.list<DR>('velero.io/v1', 'DownloadRequest', veleroNs);
      for (const dr of items) {
        seen.set(dr.metadata.name, dr);
        if (dr.status?.downloadURL || dr.spec?.target?.kind !== 'RestoreResults') continue;
        const url = restoreResultsUrl(storeUrl, dr.spec.target.name ?? '');
        await answerDownloadRequest(admin, veleroNs, dr.metadata.name, url);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  before(async function () {
    store = createServer((req, res) => {
      const m = /^\/bucket\/restores\/([^/]+)\/restore-\1-results\.gz\?/.exec(req.url ?? '');
      const r = m ? results.get(m[1]!) : undefined;
      if (!r) {
        res.writeHead(404).end('NoSuchKey');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(gzipSync(JSON.stringify(r)));
    });
    await new Promise<void>((r) => store.listen(0, '127.0.0.1', r));
    storeUrl = `http://127.0.0.1:${(store.address() as { port: number }).port}`;
    ({ cluster, admin, veleroNs, deps } = await fixerOnPlane(
      { DOWNLOAD_URL_TIMEOUT_SECONDS: '5' },
      { pollMs: 50 },
    ));
    // The Backup the Restores come from, and its storage location (no CA: plain HTTP store).
    await admin.create({
      apiVersion: 'velero.io/v1',
      kind: 'BackupStorageLocation',
      metadata: { name: 'default', namespace: veleroNs },
      spec: { provider: 'aws', objectStorage: { bucket: 'bucket' } },
    });
    await admin.create({
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: { name: 'b1', namespace: veleroNs },
      spec: { storageLocation: 'default' },
    });
    controller = standInController();
  });

  after(async () => {
    stop = true;
    await controller?.catch(() => undefined);
    store?.close();
  });

  async function eventsFor(restore: string): Promise<CoreEvent[]> {
    const list = await admin.list<CoreEvent>('v1', 'Event', veleroNs);
    return list.items.filter(
      (e) => e.involvedObject?.name === restore && e.involvedObject.kind === 'Restore',
    );
  }

  async function endedRestore(name: string, spec: Record<string, unknown>, errors: number) {
    return admin.create({
      ...restoreObject(name, veleroNs, { backupName: 'b1', ...spec }),
      status: { phase: 'PartiallyFailed', errors, warnings: 0 },
    });
  }

  async function leftDownloadRequests(): Promise<string[]> {
    const { items } = await admin.list('velero.io/v1', 'DownloadRequest', veleroNs);
    return items.map((d) => d.metadata.name);
  }

  it('warns once per refused VM, naming the field, the rule and what to do, when the modifier was used', async () => {
    const ns = await cluster.newNamespace('refused');
    const modifier = { kind: 'configmap', name: RESOURCE_MODIFIER_CONFIGMAP };
    const r = await endedRestore('r-refused', { resourceModifier: modifier }, 4);
    results.set('r-refused', {
      warnings: { namespaces: { [ns]: ['could not restore, ConfigMap:x already exists.'] } },
      errors: {
        velero: ['error getting backup: timeout'],
        namespaces: {
          [ns]: [
            veleroErrorLine(ns, 'db', refusal('required anti-affinity per host').message),
            veleroErrorLine(ns, 'web-2', joined('image-less VM', 'delete check annotation')),
            `error restoring persistentvolumeclaims/${ns}/data: persistentvolumeclaims "data" is forbidden: exceeded quota`,
          ],
        },
      },
    });
    await deliver(restoreFixer, apiServerEvent('update', r), deps);

    const refused = (await eventsFor('r-refused')).filter(
      (e) => e.reason === REASON_RESTORE_REFUSED,
    );
    assert.deepEqual(
      refused.map((e) => /could not create (\S+ \S+):/.exec(e.message ?? '')?.[1]).sort(),
      [`VirtualMachine ${ns}/db`, `VirtualMachine ${ns}/web-2`],
    );
    const db = refused.find((e) => e.message!.includes(`${ns}/db`))!;
    assert.equal(db.type, 'Warning');
    assert.match(
      db.message!,
      /spec\.affinity\.vmAntiAffinity\.requiredDuringSchedulingPreferredDuringExecution\[0\]\.topologyKey \(Unsupported value: "kubernetes\.io\/hostname"/,
    );
    assert.match(
      db.message!,
      /\[VM Operator validateVMAffinity\]\. To do: create the VM with that term's topologyKey set to topology\.kubernetes\.io\/zone/,
    );
    const web = refused.find((e) => e.message!.includes(`${ns}/web-2`))!;
    assert.match(
      web.message!,
      /spec\.image \(Forbidden: restricted to privileged users\): the VM has no image/,
    );
    assert.match(
      web.message!,
      /\[VM Operator validateImageOnCreate\]\. To do: create the VM with spec\.imageName/,
    );
    assert.match(
      web.message!,
      /metadata\.annotations\.delete\.check\.vmoperator\.vmware\.com\/backup-tool \(Forbidden: adding this annotation is restricted to privileged users\): it carries a delete check.*\[VM Operator validateChecksAnnotation\]/,
    );
    // The modifier was used: no generic report beside the precise one.
    assert.deepEqual(
      (await eventsFor('r-refused')).filter((e) => e.reason !== REASON_RESTORE_REFUSED),
      [],
    );
    // Read the way Velero's CLI does, and nothing left behind.
    const mine = [...seen.values()].filter((d) => d.spec?.target?.name === 'r-refused');
    assert.equal(mine.length, 1);
    assert.equal(mine[0]!.spec?.target?.kind, 'RestoreResults');
    assert.match(mine[0]!.metadata.name, /^r-refused-[0-9a-f]{8}$/);
    assert.deepEqual(await leftDownloadRequests(), []);

    // Seen again (the Restore is updated): the same Warnings, counted, none added.
    await deliver(restoreFixer, apiServerEvent('update', r), deps);
    const again = (await eventsFor('r-refused')).filter((e) => e.reason === REASON_RESTORE_REFUSED);
    assert.equal(again.length, 2);
    assert.deepEqual(
      again.map((e) => e.count),
      [2, 2],
    );
  });

  it('without the modifier: members it refused get their Warning, the generic report names only the others', async () => {
    const ns = await cluster.newNamespace('refused-bare');
    const item = { restore: 'r-bare-refused', backup: 'b1', namespace: ns, modifier: false };
    await veleroCreate(
      admin,
      asKube(vmg('app', { bootOrder: [[vmMember('db')], [vmMember('web-1'), vmMember('web-2')]] })),
      item,
    );
    await veleroCreate(admin, asKube(vm('web-1', { groupName: 'app' })), item);
    const r = await endedRestore('r-bare-refused', {}, 1);
    results.set('r-bare-refused', {
      warnings: {},
      errors: {
        namespaces: {
          [ns]: [veleroErrorLine(ns, 'db', refusal('instance storage volume').message)],
        },
      },
    });
    await deliver(restoreFixer, apiServerEvent('update', r), deps);
    const events = await eventsFor('r-bare-refused');
    const refused = events.filter((e) => e.reason === REASON_RESTORE_REFUSED);
    assert.equal(refused.length, 1);
    assert.match(
      refused[0]!.message!,
      new RegExp(
        `VirtualMachine ${ns}/db: .*spec\\.volumes \\(Forbidden: adding or modifying instance storage`,
      ),
    );
    assert.match(refused[0]!.message!, /To do: create the VM without those volumes/);
    const missing = events.find((e) => e.reason === REASON_RESTORE_MEMBERS_MISSING);
    assert.ok(missing, 'the generic report for the member nobody refused');
    assert.match(
      missing.message!,
      new RegExp(`1 group member\\(s\\) in ${ns}: VirtualMachine ${ns}/web-2 \\(group app\\)\\.`),
    );
  });

  it('when the store has no results: no Refused Warning, the generic report still, nothing left behind', async () => {
    const ns = await cluster.newNamespace('refused-nofile');
    const item = { restore: 'r-nofile', backup: 'b1', namespace: ns, modifier: false };
    await veleroCreate(admin, asKube(vmg('app', { bootOrder: [[vmMember('db')]] })), item);
    const r = await endedRestore('r-nofile', {}, 1);
    await deliver(restoreFixer, apiServerEvent('update', r), deps);
    assert.deepEqual(
      (await eventsFor('r-nofile')).map((e) => e.reason),
      [REASON_RESTORE_MEMBERS_MISSING],
    );
    assert.ok([...seen.values()].some((d) => d.spec?.target?.name === 'r-nofile'));
    assert.deepEqual(await leftDownloadRequests(), []);
  });

  it('reads no results for a Restore that ended without errors', async () => {
    const r = await endedRestore('r-clean', {}, 0);
    await deliver(restoreFixer, apiServerEvent('update', r), deps);
    assert.ok(![...seen.values()].some((d) => d.spec?.target?.name === 'r-clean'));
    assert.deepEqual(await eventsFor('r-clean'), []);
  });
});
