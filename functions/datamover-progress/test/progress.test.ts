import assert from 'node:assert/strict';
import type { DataProgress, UploadItem } from '../progress.ts';
import { formatProgress, parseProgress, planProgress } from '../progress.ts';
import {
  backupForDataUpload,
  backupForUpload,
  collectItems,
  parseSnapshotReference,
} from '../link.ts';
import type { KubeObject } from '../../runtime/kube/kube-api.ts';

const upload = (name: string, phase: string, extra: Partial<UploadItem> = {}): UploadItem => ({
  kind: 'Upload',
  namespace: 'velero',
  name,
  phase,
  ...extra,
});
const du = (name: string, phase: string, extra: Partial<UploadItem> = {}): UploadItem => ({
  kind: 'DataUpload',
  namespace: 'velero',
  name,
  phase,
  ...extra,
});

/** Feeds states one by one through the planner, carrying the annotation like the handler does. */
function run(steps: Array<{ items: UploadItem[]; phase?: string }>) {
  let prev: DataProgress | undefined;
  const out: Array<{ landed: boolean; failures: string[]; changed: boolean; next: DataProgress }> =
    [];
  for (const s of steps) {
    const plan = planProgress(s.items, s.phase ?? 'Completed', prev);
    if (plan.changed) prev = parseProgress(formatProgress(plan.next));
    out.push({
      landed: plan.landed,
      failures: plan.failures.map((f) => `${f.key}${f.final ? ' final' : ''}`),
      changed: plan.changed,
      next: plan.next,
    });
  }
  return out;
}

describe('datamover-progress planner', () => {
  it('counts done/total and bytes, Completed counting whole', () => {
    const plan = planProgress(
      [
        upload('a', 'Completed', { totalBytes: 100, bytesDone: 90 }),
        upload('b', 'InProgress', { totalBytes: 50, bytesDone: 20 }),
        upload('c', 'New'),
      ],
      'Completed',
      undefined,
    );
    assert.deepEqual(
      {
        done: plan.next.done,
        total: plan.next.total,
        bytesDone: plan.next.bytesDone,
        totalBytes: plan.next.totalBytes,
      },
      { done: 1, total: 3, bytesDone: 120, totalBytes: 150 },
    );
    assert.equal(plan.landed, false);
    assert.equal(plan.changed, true);
  });

  it('omits bytes when no upload reports them', () => {
    const plan = planProgress([upload('a', 'New')], 'Completed', undefined);
    assert.equal('totalBytes' in plan.next && plan.next.totalBytes !== undefined, false);
  });

  it('a backup without uploads writes nothing and never lands', () => {
    const plan = planProgress([], 'Completed', undefined);
    assert.equal(plan.changed, false);
    assert.equal(plan.landed, false);
  });

  it('New → InProgress → Completed lands exactly once', () => {
    const steps = run([
      { items: [upload('a', 'New'), upload('b', 'New')] },
      { items: [upload('a', 'InProgress'), upload('b', 'New')] },
      { items: [upload('a', 'Completed'), upload('b', 'InProgress')] },
      { items: [upload('a', 'Completed'), upload('b', 'Completed')] },
      { items: [upload('a', 'Completed'), upload('b', 'Completed')] },
    ]);
    assert.deepEqual(
      steps.map((s) => s.landed),
      [false, false, false, true, false],
    );
    assert.equal(steps[4]?.changed, false, 'a duplicate event writes nothing');
  });

  it('does not land while Velero may still create uploads', () => {
    for (const phase of ['New', 'InProgress', '', 'Failed', 'FailedValidation']) {
      assert.equal(planProgress([upload('a', 'Completed')], phase, undefined).landed, false, phase);
    }
    for (const phase of [
      'WaitingForPluginOperations',
      'Finalizing',
      'Completed',
      'PartiallyFailed',
    ]) {
      assert.equal(planProgress([upload('a', 'Completed')], phase, undefined).landed, true, phase);
    }
  });

  it('lands when the Backup completes after the last upload (out of order)', () => {
    const steps = run([
      { items: [upload('a', 'Completed')], phase: 'InProgress' },
      { items: [upload('a', 'Completed')], phase: 'Completed' },
    ]);
    assert.deepEqual(
      steps.map((s) => s.landed),
      [false, true],
    );
  });

  it('a state seen before an older one converges (stale event after the newer one)', () => {
    // The handler always reads live state; a late "InProgress" event for an already Completed
    // upload therefore plans from Completed again and changes nothing.
    const steps = run([
      { items: [upload('a', 'Completed')] },
      { items: [upload('a', 'Completed')] },
    ]);
    assert.deepEqual(
      steps.map((s) => [s.landed, s.changed]),
      [
        [true, true],
        [false, false],
      ],
    );
  });

  it('UploadError is reported once per retry and is progress, not final failure', () => {
    const steps = run([
      { items: [upload('a', 'InProgress')] },
      { items: [upload('a', 'UploadError', { retryCount: 0, message: 'network' })] },
      { items: [upload('a', 'UploadError', { retryCount: 0, message: 'network' })] },
      { items: [upload('a', 'InProgress', { retryCount: 1 })] },
      { items: [upload('a', 'UploadError', { retryCount: 1 })] },
      { items: [upload('a', 'Completed', { retryCount: 1 })] },
    ]);
    assert.deepEqual(
      steps.map((s) => s.failures),
      [[], ['Upload/velero/a:UploadError:0'], [], [], ['Upload/velero/a:UploadError:1'], []],
    );
    assert.deepEqual(steps[1]?.next.retrying, ['Upload/velero/a']);
    assert.deepEqual(steps[1]?.next.failed, []);
    assert.deepEqual(steps[3]?.next.retrying, []);
    assert.equal(steps[5]?.landed, true);
  });

  it('CleanupFailed, Canceled and UploadFailedAfterRetry are final failures and block landing', () => {
    for (const phase of ['CleanupFailed', 'Canceled', 'UploadFailedAfterRetry']) {
      const steps = run([
        { items: [upload('a', 'Completed'), upload('b', phase)] },
        { items: [upload('a', 'Completed'), upload('b', phase)] },
      ]);
      assert.deepEqual(steps[0]?.failures, [`Upload/velero/b:${phase}:0 final`], phase);
      assert.deepEqual(steps[0]?.next.failed, ['Upload/velero/b']);
      assert.equal(steps[0]?.landed, false);
      assert.deepEqual(steps[1]?.failures, [], 'reported once');
    }
  });

  it('DataUpload phases: Failed is final, Accepted/Prepared are pending', () => {
    const plan = planProgress(
      [du('x', 'Accepted'), du('y', 'Prepared'), du('z', 'Failed', { message: 'boom' })],
      'WaitingForPluginOperations',
      undefined,
    );
    assert.deepEqual(
      [plan.next.done, plan.next.total, plan.next.failed],
      [0, 3, ['DataUpload/velero/z']],
    );
    assert.equal(plan.failures[0]?.final, true);
  });

  it('mixed sources land together', () => {
    const plan = planProgress(
      [upload('a', 'Completed'), du('x', 'Completed')],
      'Completed',
      undefined,
    );
    assert.equal(plan.landed, true);
  });

  it('after landing the annotation is frozen (cleaned-up Uploads do not count down)', () => {
    const steps = run([
      { items: [upload('a', 'Completed'), upload('b', 'Completed')] },
      { items: [upload('a', 'Completed')] },
      { items: [] },
    ]);
    assert.deepEqual(
      steps.map((s) => [s.landed, s.changed, s.next.total]),
      [
        [true, true, 2],
        [false, false, 2],
        [false, false, 2],
      ],
    );
  });

  it('duplicate and shuffled deliveries of a whole history converge to one landing', () => {
    const history = [
      [upload('a', 'New'), upload('b', 'New')],
      [upload('a', 'InProgress'), upload('b', 'New')],
      [upload('a', 'UploadError', { retryCount: 0 }), upload('b', 'InProgress')],
      [upload('a', 'InProgress', { retryCount: 1 }), upload('b', 'Completed')],
      [upload('a', 'Completed', { retryCount: 1 }), upload('b', 'Completed')],
    ];
    // Whatever order events arrive in, each handler run reads the state live at that moment,
    // which only moves forward; duplicates re-read the same state.
    const deliveries = [0, 0, 1, 2, 2, 2, 3, 4, 4, 4, 4];
    const steps = run(deliveries.map((i) => ({ items: history[i] as UploadItem[] })));
    assert.equal(steps.filter((s) => s.landed).length, 1);
    assert.deepEqual(
      steps.flatMap((s) => s.failures),
      ['Upload/velero/a:UploadError:0'],
    );
  });

  it('tolerates a hand-edited annotation', () => {
    assert.equal(parseProgress('not json'), undefined);
    assert.equal(parseProgress('null'), undefined);
    assert.equal(parseProgress('{"done":1,"total":2,"landed":true}')?.landed, true);
  });
});

describe('datamover-progress links', () => {
  const obj = (
    kind: string,
    ns: string,
    name: string,
    extra: Record<string, unknown> = {},
    meta: Record<string, unknown> = {},
  ): KubeObject => ({
    apiVersion: 'x/v1',
    kind,
    metadata: { name, namespace: ns, ...meta },
    ...extra,
  });

  it('parses snapshotReference', () => {
    assert.deepEqual(parseSnapshotReference('apps/snap-1'), { namespace: 'apps', name: 'snap-1' });
    for (const bad of ['', 'x', 'a/b/c', undefined, 3])
      assert.equal(parseSnapshotReference(bad), undefined);
  });

  it('links an Upload through its Snapshot label, a DataUpload through its owner', () => {
    const up = obj('Upload', 'velero', 'upload-1', { spec: { snapshotReference: 'apps/snap-1' } });
    const snap = obj(
      'Snapshot',
      'apps',
      'snap-1',
      {},
      { labels: { 'velero.io/backup-name': 'b1' } },
    );
    assert.deepEqual(backupForUpload(up, snap), { namespace: 'velero', name: 'b1' });
    assert.equal(backupForUpload(up, undefined), undefined);
    const d = obj(
      'DataUpload',
      'velero',
      'b1-x',
      {},
      {
        labels: { 'velero.io/backup-name': 'truncated' },
        ownerReferences: [{ apiVersion: 'velero.io/v1', kind: 'Backup', name: 'b1', uid: 'u' }],
      },
    );
    assert.deepEqual(backupForDataUpload(d), { namespace: 'velero', name: 'b1' });
    const noOwner = obj(
      'DataUpload',
      'velero',
      'b1-y',
      {},
      { labels: { 'velero.io/backup-name': 'b1' } },
    );
    assert.deepEqual(backupForDataUpload(noOwner), { namespace: 'velero', name: 'b1' });
  });

  it('collects Uploads of the backup, Snapshots without one, and DataUploads', () => {
    const snaps = [
      obj('Snapshot', 'apps', 's1'),
      obj('Snapshot', 'apps', 's2', { status: { phase: 'Snapshotted' } }),
      obj('Snapshot', 'apps', 's3', { status: { phase: 'SnapshotFailed' } }),
      obj('Snapshot', 'db', 's4', {
        status: { phase: 'Uploaded', progress: { totalBytes: 5, bytesDone: 5 } },
      }),
    ];
    const uploads = [
      obj('Upload', 'velero', 'u1', {
        spec: { snapshotReference: 'apps/s1' },
        status: { phase: 'InProgress', progress: { totalBytes: 10, bytesDone: 3 }, retryCount: 2 },
      }),
      obj('Upload', 'velero', 'other', {
        spec: { snapshotReference: 'apps/not-ours' },
        status: { phase: 'Completed' },
      }),
    ];
    const dus = [obj('DataUpload', 'velero', 'd1', { status: { phase: 'Completed' } })];
    const items = collectItems(snaps, uploads, dus);
    assert.deepEqual(
      items.map((i) => `${i.kind}/${i.name}:${i.phase}`),
      [
        'Upload/u1:InProgress',
        'Snapshot/s2:Snapshotted',
        'Snapshot/s4:Uploaded',
        'DataUpload/d1:Completed',
      ],
    );
    assert.deepEqual(items[0], {
      kind: 'Upload',
      namespace: 'velero',
      name: 'u1',
      phase: 'InProgress',
      totalBytes: 10,
      bytesDone: 3,
      retryCount: 2,
    });
    const plan = planProgress(items, 'Completed', undefined);
    assert.deepEqual([plan.next.done, plan.next.total], [2, 4]);
  });
});
