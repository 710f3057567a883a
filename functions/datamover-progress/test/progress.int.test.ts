// datamover-progress on the real control plane, through the real runtime server, as a service
// account granted exactly DATAMOVER_RULES (functions/datamover-progress/rbac.ts). Uploads,
// Snapshots and DataUploads are real objects of the real (or documented-API) CRDs; their status
// is written the way the plugin's data manager and Velero's node agent write it (no status
// subresource on either).
import assert from 'node:assert/strict';
import { testCluster } from '../../../test/harness/index.ts';
import type { TestCluster } from '../../../test/harness/index.ts';
import { rbacFromRules, serveAsServiceAccount } from '../../../test/support/serve-as-account.ts';
import { apiServerEvent, pingEvent, postEvent } from '../../../test/support/cloudevents.ts';
import type { RunningServer } from '../../runtime/http/server.ts';
import type { Kube, KubeObject } from '../../runtime/kube/kube-api.ts';
import {
  ANNOTATION_DATA_PROGRESS,
  EVENT_TYPE_DATA_FAILED,
  EVENT_TYPE_DATA_LANDED,
  REASON_DATA_FAILED,
  REASON_DATA_LANDED,
} from '../../vmgroup/names.ts';
import datamoverProgress from '../index.ts';
import { DATAMOVER_RULES } from '../rbac.ts';
import { API } from '../handler.ts';
import type { BackupDataFailed } from '../../../schemas/generated/events/backup-data-failed.ts';
import type { BackupDataLanded } from '../../../schemas/generated/events/backup-data-landed.ts';
import { dataUploadFor } from '../../velero/test/velero-stand-ins.ts';

type Status = Record<string, unknown>;

describe('datamover-progress on the control plane', function () {
  let cluster: TestCluster;
  let admin: Kube;
  let server: RunningServer;
  let veleroNs: string;
  let appNs: string;
  let n = 0;

  before(async function () {
    cluster = await testCluster();
    ({ admin, server, veleroNs, appNs } = await serveAsServiceAccount(
      cluster,
      datamoverProgress as never,
      {
        rbac: rbacFromRules(DATAMOVER_RULES),
        env: ({ veleroNs }) => ({ VELERO_NAMESPACE: veleroNs }),
      },
    ));
  });

  after(async () => server?.close());

  const backup = async (phase: string, status: Status = {}) =>
    admin.create<KubeObject>({
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      // Snapshots are found cluster-wide by backup name: keep names unique across suites.
      metadata: { name: `${veleroNs}-b${++n}`, namespace: veleroNs },
      spec: { includedNamespaces: [appNs] },
      status: { phase, ...status },
    });
  const setBackupPhase = (b: KubeObject, phase: string) =>
    admin.patch<KubeObject>(
      { ...API.backup, namespace: veleroNs, name: b.metadata.name },
      { type: 'merge', body: { status: { phase } } },
    );
  const snapshot = (b: KubeObject, name: string) =>
    admin.create<KubeObject>({
      ...API.snapshot,
      metadata: { name, namespace: appNs, labels: { 'velero.io/backup-name': b.metadata.name } },
      spec: {
        backupRepository: 'br-1',
        resourceHandle: { apiGroup: '', kind: 'PersistentVolumeClaim', name: `${name}-pvc` },
      },
    });
  const upload = (name: string, snapshotName: string, status: Status) =>
    admin.create<KubeObject>({
      ...API.upload,
      metadata: { name, namespace: veleroNs, labels: { 'velero.io/exclude-from-backup': 'true' } },
      spec: {
        snapshotID: `ivd:${name}`,
        snapshotReference: `${appNs}/${snapshotName}`,
        backupRepository: 'br-1',
      },
      status,
    });
  const setUpload = (name: string, status: Status) =>
    admin.patch<KubeObject>(
      { ...API.upload, namespace: veleroNs, name },
      { type: 'merge', body: { status } },
    );
  const deliver = (obj: KubeObject, verb: 'add' | 'update' = 'update') =>
    postEvent(server.url, apiServerEvent(verb, obj));
  const progressOf = async (b: KubeObject) => {
    const live = await admin.get<KubeObject>({
      ...API.backup,
      namespace: veleroNs,
      name: b.metadata.name,
    });
    const raw = live?.metadata.annotations?.[ANNOTATION_DATA_PROGRESS];
    return raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
  };
  const eventsOf = async (b: KubeObject, reason: string) =>
    (
      await admin.list<KubeObject & { reason?: string; message?: string; count?: number }>(
        'v1',
        'Event',
        veleroNs,
        {
          fieldSelector: `involvedObject.name=${b.metadata.name}`,
        },
      )
    ).items.filter((e) => e.reason === reason);

  it('follows vSphere Uploads through retries to one data-landed', async () => {
    const b = await backup('Completed');
    await snapshot(b, `${b.metadata.name}-s1`);
    await snapshot(b, `${b.metadata.name}-s2`);
    const u1 = await upload(`${b.metadata.name}-u1`, `${b.metadata.name}-s1`, { phase: 'New' });

    assert.equal((await deliver(u1, 'add')).status, 204);
    assert.deepEqual(await progressOf(b), {
      done: 0,
      total: 2,
      failed: [],
      retrying: [],
      landed: false,
      reported: [],
    });

    const inProgress = await setUpload(u1.metadata.name, {
      phase: 'InProgress',
      progress: { totalBytes: 1000, bytesDone: 250 },
    });
    assert.equal((await deliver(inProgress)).status, 204);
    assert.equal((await progressOf(b))?.bytesDone, 250);

    const failed = await setUpload(u1.metadata.name, {
      phase: 'UploadError',
      retryCount: 0,
      message: 'connection reset',
    });
    const res = await deliver(failed);
    assert.equal(res.status, 200);
    assert.equal(res.reply?.type, EVENT_TYPE_DATA_FAILED);
    const failure = res.reply?.data as BackupDataFailed;
    assert.deepEqual(failure.failures, [
      {
        kind: 'Upload',
        namespace: veleroNs,
        name: u1.metadata.name,
        phase: 'UploadError',
        final: false,
        retryCount: 0,
        message: 'connection reset',
      },
    ]);
    assert.deepEqual(failure.progress.retrying, [`Upload/${veleroNs}/${u1.metadata.name}`]);
    // The same event again (duplicate delivery, new id): nothing new.
    assert.equal((await deliver(failed)).status, 204);
    const warn = await eventsOf(b, REASON_DATA_FAILED);
    assert.equal(warn.length, 1);
    assert.match(
      warn[0]?.message ?? '',
      /UploadError \(retry 0, will be retried\): connection reset/,
    );

    const retried = await setUpload(u1.metadata.name, {
      phase: 'InProgress',
      retryCount: 1,
      message: '',
    });
    assert.equal((await deliver(retried)).status, 204);
    assert.deepEqual((await progressOf(b))?.retrying, [], 'a retry is progress again');

    await setUpload(u1.metadata.name, {
      phase: 'Completed',
      progress: { totalBytes: 1000, bytesDone: 1000 },
    });
    const u2 = await upload(`${b.metadata.name}-u2`, `${b.metadata.name}-s2`, {
      phase: 'Completed',
      progress: { totalBytes: 500, bytesDone: 500 },
    });
    // Out of order: the stale InProgress event of u1 arrives after both completed; it reads live state.
    const landed = await deliver(inProgress);
    assert.equal(landed.status, 200);
    assert.equal(landed.reply?.type, EVENT_TYPE_DATA_LANDED);
    const data = landed.reply?.data as BackupDataLanded;
    assert.deepEqual(data.progress, {
      done: 2,
      total: 2,
      bytesDone: 1500,
      totalBytes: 1500,
      failed: [],
      retrying: [],
    });
    assert.equal(data.backup.name, b.metadata.name);
    // Later and duplicated events: landed once.
    assert.equal((await deliver(u2, 'add')).status, 204);
    assert.equal((await deliver(retried)).status, 204);
    assert.equal((await eventsOf(b, REASON_DATA_LANDED)).length, 1);
    assert.equal((await progressOf(b))?.landed, true);
  });

  it('lands only when the Backup has finished collecting items', async () => {
    const b = await backup('InProgress');
    await snapshot(b, `${b.metadata.name}-s1`);
    const u = await upload(`${b.metadata.name}-u1`, `${b.metadata.name}-s1`, {
      phase: 'Completed',
    });
    assert.equal((await deliver(u, 'add')).status, 204);
    assert.deepEqual(await progressOf(b), {
      done: 1,
      total: 1,
      failed: [],
      retrying: [],
      landed: false,
      reported: [],
    });
    const completed = await setBackupPhase(b, 'Completed');
    const res = await deliver(completed);
    assert.equal(res.reply?.type, EVENT_TYPE_DATA_LANDED);
  });

  it('reports CleanupFailed as a final failure and never lands', async () => {
    const b = await backup('Completed');
    await snapshot(b, `${b.metadata.name}-s1`);
    const u = await upload(`${b.metadata.name}-u1`, `${b.metadata.name}-s1`, {
      phase: 'CleanupFailed',
      message: 'local snapshot delete failed',
    });
    const res = await deliver(u, 'add');
    assert.equal(res.reply?.type, EVENT_TYPE_DATA_FAILED);
    assert.equal((res.reply?.data as BackupDataFailed).failures[0]?.final, true);
    assert.deepEqual((await progressOf(b))?.failed, [`Upload/${veleroNs}/${u.metadata.name}`]);
    assert.equal((await deliver(u)).status, 204);
    assert.equal((await eventsOf(b, REASON_DATA_FAILED)).length, 1);
    assert.equal((await eventsOf(b, REASON_DATA_LANDED)).length, 0);
  });

  it('ignores an Upload it cannot link to a Backup', async () => {
    const orphan = await upload(`orphan-${++n}`, 'no-such-snapshot', { phase: 'Completed' });
    assert.equal((await deliver(orphan, 'add')).status, 204);
  });

  it("follows Velero's DataUploads (owner reference and backup-uid label)", async () => {
    const b = await backup('WaitingForPluginOperations');
    const du = (name: string, phase: string) =>
      admin.create<KubeObject>(
        dataUploadFor(b, {
          name,
          veleroNamespace: veleroNs,
          appNamespace: appNs,
          status: { phase },
          controlled: true,
        }),
      );
    const d1 = await du(`${b.metadata.name}-a`, 'Accepted');
    const d2 = await du(`${b.metadata.name}-b`, 'InProgress');
    assert.equal((await deliver(d1, 'add')).status, 204);
    assert.deepEqual(await progressOf(b), {
      done: 0,
      total: 2,
      failed: [],
      retrying: [],
      landed: false,
      reported: [],
    });

    const setDu = (name: string, status: Status) =>
      admin.patch<KubeObject>(
        { ...API.dataUpload, namespace: veleroNs, name },
        { type: 'merge', body: { status } },
      );
    await setDu(d1.metadata.name, {
      phase: 'Completed',
      progress: { totalBytes: 10, bytesDone: 10 },
    });
    const failed = await setDu(d2.metadata.name, {
      phase: 'Failed',
      message: 'repository unreachable',
    });
    const res = await deliver(failed);
    assert.equal(res.reply?.type, EVENT_TYPE_DATA_FAILED);
    const data = res.reply?.data as BackupDataFailed;
    assert.deepEqual(
      data.failures.map((f) => [f.kind, f.name, f.final]),
      [['DataUpload', d2.metadata.name, true]],
    );
    assert.deepEqual(data.progress, {
      done: 1,
      total: 2,
      bytesDone: 10,
      totalBytes: 10,
      failed: [`DataUpload/${veleroNs}/${d2.metadata.name}`],
      retrying: [],
    });
    assert.equal((await deliver(d2)).status, 204);
    assert.equal((await eventsOf(b, REASON_DATA_FAILED)).length, 1);
  });

  it('lands a Velero data-mover backup once every DataUpload completed', async () => {
    const b = await backup('WaitingForPluginOperations');
    const d = await admin.create<KubeObject>(
      dataUploadFor(b, {
        name: `${b.metadata.name}-a`,
        veleroNamespace: veleroNs,
        appNamespace: appNs,
        status: { phase: 'Completed', progress: { totalBytes: 42, bytesDone: 42 } },
      }),
    );
    const [first, second] = await Promise.all([deliver(d, 'add'), deliver(d, 'update')]);
    // Concurrent deliveries: the resourceVersion-guarded write lets exactly one of them land it.
    const types = [first?.reply?.type, second?.reply?.type].filter(Boolean);
    assert.deepEqual(types, [EVENT_TYPE_DATA_LANDED]);
    assert.equal((await eventsOf(b, REASON_DATA_LANDED)).length, 1);
  });

  it('the periodic resync lands a Backup whose events were all lost, and skips old ones', async () => {
    const lost = await backup('Completed', { completionTimestamp: new Date().toISOString() });
    await snapshot(lost, `${lost.metadata.name}-s1`);
    await upload(`${lost.metadata.name}-u1`, `${lost.metadata.name}-s1`, {
      phase: 'Completed',
      progress: { totalBytes: 7, bytesDone: 7 },
    });
    const old = await backup('Completed', {
      completionTimestamp: new Date(Date.now() - 3 * 86_400_000).toISOString(),
    });
    await snapshot(old, `${old.metadata.name}-s1`);
    await upload(`${old.metadata.name}-u1`, `${old.metadata.name}-s1`, { phase: 'InProgress' });

    const res = await postEvent(server.url, pingEvent());
    assert.equal(res.status, 200);
    assert.equal(res.reply?.type, EVENT_TYPE_DATA_LANDED);
    assert.equal((res.reply?.data as BackupDataLanded).backup.name, lost.metadata.name);
    assert.equal((await progressOf(lost))?.landed, true);
    assert.equal(
      await progressOf(old),
      undefined,
      'a day after completion without any upload seen, a Backup is left alone',
    );
    // The next tick has nothing to do.
    assert.equal((await postEvent(server.url, pingEvent())).status, 204);
    assert.equal((await eventsOf(lost, REASON_DATA_LANDED)).length, 1);
  });

  for (const [kind, phase] of [
    ['Upload', 'Canceled'],
    ['Upload', 'UploadFailedAfterRetry'],
    ['DataUpload', 'Canceled'],
  ] as const) {
    it(`reports ${kind} ${phase} as a final failure`, async () => {
      const b = await backup('Completed');
      let obj: KubeObject;
      if (kind === 'Upload') {
        await snapshot(b, `${b.metadata.name}-s1`);
        obj = await upload(`${b.metadata.name}-u1`, `${b.metadata.name}-s1`, { phase });
      } else {
        obj = await admin.create<KubeObject>(
          dataUploadFor(b, {
            name: `${b.metadata.name}-d`,
            veleroNamespace: veleroNs,
            appNamespace: appNs,
            status: { phase },
          }),
        );
      }
      const res = await deliver(obj, 'update');
      assert.equal(res.reply?.type, EVENT_TYPE_DATA_FAILED);
      assert.deepEqual(
        (res.reply?.data as BackupDataFailed).failures.map((f) => [f.kind, f.phase, f.final]),
        [[kind, phase, true]],
      );
      assert.equal((await deliver(obj, 'update')).status, 204);
    });
  }
});
