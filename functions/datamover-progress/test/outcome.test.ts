import assert from 'node:assert/strict';
import { needsResync, planEvents, replyFor, RESYNC_HORIZON_MS } from '../outcome.ts';
import type { BackupObject } from '../outcome.ts';
import { formatProgress, planProgress } from '../progress.ts';
import type { DataProgress, UploadItem } from '../progress.ts';
import {
  ANNOTATION_DATA_PROGRESS,
  EVENT_TYPE_DATA_FAILED,
  EVENT_TYPE_DATA_LANDED,
  REASON_DATA_FAILED,
} from '../../vmgroup/names.ts';

const NOW = Date.parse('2026-12-04T12:00:00Z');
const progress = (p: Partial<DataProgress>): string =>
  formatProgress({
    done: 0,
    total: 1,
    failed: [],
    retrying: [],
    landed: false,
    reported: [],
    ...p,
  });

function backup(phase: string | undefined, opts: { annotation?: string; completed?: number } = {}) {
  const b: BackupObject = {
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: {
      namespace: 'velero',
      name: 'nightly',
      uid: 'u-1',
      ...(opts.annotation ? { annotations: { [ANNOTATION_DATA_PROGRESS]: opts.annotation } } : {}),
    },
    status: {
      ...(phase ? { phase } : {}),
      ...(opts.completed !== undefined
        ? { completionTimestamp: new Date(opts.completed).toISOString() }
        : {}),
    },
  };
  return b;
}

const item = (name: string, phase: string, extra: Partial<UploadItem> = {}): UploadItem => ({
  kind: 'DataUpload',
  namespace: 'velero',
  name,
  phase,
  ...extra,
});

describe('datamover-progress outcome (pure)', function () {
  describe('needsResync', function () {
    const cases: Array<[string, BackupObject, boolean]> = [
      ['a Backup still in progress', backup('InProgress'), true],
      ['a failed Backup (no data will move)', backup('Failed'), false],
      ['a Backup that failed validation', backup('FailedValidation'), false],
      ['a Backup being deleted', backup('Deleting'), false],
      [
        'a Backup whose data landed',
        backup('Completed', { annotation: progress({ landed: true }) }),
        false,
      ],
      [
        'a Backup with progress not yet landed',
        backup('Completed', { annotation: progress({}), completed: NOW - 2 * RESYNC_HORIZON_MS }),
        true,
      ],
      [
        'a Backup completed an hour ago without uploads yet',
        backup('Completed', { completed: NOW - 3600_000 }),
        true,
      ],
      [
        'a Backup completed beyond the horizon with no upload ever',
        backup('Completed', { completed: NOW - RESYNC_HORIZON_MS - 1 }),
        false,
      ],
      [
        'a Backup whose annotation is unreadable (progress not landed)',
        backup('Completed', { annotation: 'not json', completed: NOW - 2 * RESYNC_HORIZON_MS }),
        true,
      ],
    ];
    for (const [what, b, want] of cases)
      it(`${want ? 'looks at' : 'skips'} ${what}`, function () {
        assert.equal(needsResync(b, NOW), want);
      });
  });

  describe('planEvents and replyFor', function () {
    it('a final failure: one Warning naming the upload, phase and message, and data-failed', function () {
      const plan = planProgress(
        [item('du-1', 'Failed', { message: 'disk gone' })],
        'Completed',
        undefined,
      );
      const events = planEvents(plan);
      assert.deepEqual(
        events.map((e) => [e.type, e.reason, e.message]),
        [['Warning', REASON_DATA_FAILED, 'DataUpload velero/du-1 Failed (final): disk gone']],
      );
      assert.ok(events[0]!.dedupeKey, 'each Event has a dedupe key');
      const reply = replyFor(backup('Completed'), plan);
      assert.equal(reply?.type, EVENT_TYPE_DATA_FAILED);
      assert.equal(reply?.subject, 'backups/velero/nightly');
      const data = reply?.data as { failures: Array<{ name: string; final: boolean }> };
      assert.deepEqual(
        data.failures.map((f) => [f.name, f.final]),
        [['du-1', true]],
      );
    });

    it('all landed: a Normal Event with count and bytes, and data-landed with the progress', function () {
      const plan = planProgress(
        [
          item('du-1', 'Completed', { bytesDone: 10, totalBytes: 10 }),
          item('du-2', 'Completed', { bytesDone: 5, totalBytes: 5 }),
        ],
        'Completed',
        undefined,
      );
      assert.ok(plan.landed);
      assert.deepEqual(
        planEvents(plan).map((e) => [e.type, e.message, e.dedupeKey]),
        [['Normal', 'all 2 volume uploads Completed, 15 bytes', 'data-landed']],
      );
      const reply = replyFor(backup('Completed'), plan);
      assert.equal(reply?.type, EVENT_TYPE_DATA_LANDED);
      assert.deepEqual((reply?.data as { progress: unknown }).progress, {
        done: 2,
        total: 2,
        bytesDone: 15,
        totalBytes: 15,
        failed: [],
        retrying: [],
      });
      assert.deepEqual((reply?.data as { backup: unknown }).backup, {
        namespace: 'velero',
        name: 'nightly',
        uid: 'u-1',
        phase: 'Completed',
      });
    });

    it('progress without failure or landing: no Event, no reply', function () {
      const plan = planProgress([item('du-1', 'InProgress')], 'Completed', undefined);
      assert.deepEqual(planEvents(plan), []);
      assert.equal(replyFor(backup('Completed'), plan), undefined);
    });
  });
});
