// The verifier's decisions, table-driven over plain Backups (no I/O).
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import type { BackupView } from '../plan.ts';
import {
  CLAIM_LEASE_MS,
  claimFor,
  compare,
  decide,
  downloadRequestName,
  outcome,
  parseRecorded,
  refusal,
} from '../plan.ts';
import { formatClosureRecord, parseClosureRecord } from '../../vmgroup/closure-record.ts';
import type { RecordedGroup } from '../../vmgroup/closure-record.ts';
import { parseResourceList } from '../../vmgroup/backup-verification.ts';
import {
  ANNOTATION_BACKUP_CLOSURE,
  ANNOTATION_BACKUP_VERIFICATION,
  REASON_BACKUP_INCOMPLETE,
  REASON_BACKUP_VERIFIED,
} from '../../vmgroup/names.ts';

const NOW = new Date('2026-12-03T18:00:00Z');
const SHOP: RecordedGroup = {
  namespace: 'apps',
  name: 'shop',
  objects: [
    { kind: 'VirtualMachineGroup', name: 'shop' },
    { kind: 'VirtualMachine', name: 'db' },
    { kind: 'VirtualMachine', name: 'web' },
    { kind: 'ConfigMap', name: 'web-boot' },
  ],
  cut: [{ kind: 'ConfigMap', name: 'web-boot', reason: 'labelSelector' }],
};
const RECORD = formatClosureRecord([SHOP]);

function backup(phase: string | undefined, annotations: Record<string, string> = {}): BackupView {
  return {
    metadata: { name: 'b1', namespace: 'velero', uid: 'u1', annotations },
    ...(phase ? { status: { phase } } : {}),
  };
}
const claim = (ageMs: number) =>
  JSON.stringify(claimFor('b1-0001', new Date(NOW.getTime() - ageMs)));

describe('backup-verifier plan (pure)', () => {
  describe('decide', () => {
    const cases: Array<[string, BackupView, string, RegExp?]> = [
      [
        'unfinished',
        backup('InProgress', { [ANNOTATION_BACKUP_CLOSURE]: RECORD }),
        'skip',
        /not finished/,
      ],
      ['no phase yet', backup(undefined, { [ANNOTATION_BACKUP_CLOSURE]: RECORD }), 'skip'],
      ['Failed', backup('Failed', { [ANNOTATION_BACKUP_CLOSURE]: RECORD }), 'skip'],
      ['Completed, no record yet', backup('Completed'), 'skip', /no closure record/],
      [
        'Completed with a record',
        backup('Completed', { [ANNOTATION_BACKUP_CLOSURE]: RECORD }),
        'verify',
      ],
      [
        'PartiallyFailed with a record',
        backup('PartiallyFailed', { [ANNOTATION_BACKUP_CLOSURE]: RECORD }),
        'verify',
      ],
      [
        'record of no group',
        backup('Completed', { [ANNOTATION_BACKUP_CLOSURE]: formatClosureRecord([]) }),
        'skip',
        /no group/,
      ],
      [
        'record not JSON',
        backup('Completed', { [ANNOTATION_BACKUP_CLOSURE]: '{' }),
        'refuse',
        /is not JSON/,
      ],
      [
        'already verified',
        backup('Completed', {
          [ANNOTATION_BACKUP_CLOSURE]: RECORD,
          [ANNOTATION_BACKUP_VERIFICATION]: '{"state":"verified","at":"x"}',
        }),
        'skip',
        /already verified/,
      ],
      [
        'someone else’s value under our key',
        backup('Completed', {
          [ANNOTATION_BACKUP_CLOSURE]: RECORD,
          [ANNOTATION_BACKUP_VERIFICATION]: 'yes',
        }),
        'skip',
      ],
      [
        'claimed a minute ago',
        backup('Completed', {
          [ANNOTATION_BACKUP_CLOSURE]: RECORD,
          [ANNOTATION_BACKUP_VERIFICATION]: claim(60_000),
        }),
        'wait',
        /b1-0001/,
      ],
      [
        'claim past its lease',
        backup('Completed', {
          [ANNOTATION_BACKUP_CLOSURE]: RECORD,
          [ANNOTATION_BACKUP_VERIFICATION]: claim(CLAIM_LEASE_MS + 1),
        }),
        'verify',
      ],
    ];
    for (const [name, b, action, reason] of cases)
      it(`${name} → ${action}`, () => {
        const d = decide(b, NOW);
        assert.equal(d.action, action);
        if (reason) assert.match('reason' in d ? d.reason : '', reason);
      });

    it('a Backup being deleted is left alone', () => {
      const b = backup('Completed', { [ANNOTATION_BACKUP_CLOSURE]: RECORD });
      b.metadata.deletionTimestamp = NOW.toISOString();
      assert.equal(decide(b, NOW).action, 'skip');
    });

    it('taking over an expired claim names its DownloadRequest for deletion', () => {
      const d = decide(
        backup('Completed', {
          [ANNOTATION_BACKUP_CLOSURE]: RECORD,
          [ANNOTATION_BACKUP_VERIFICATION]: claim(CLAIM_LEASE_MS + 1),
        }),
        NOW,
      );
      assert.equal(d.action === 'verify' && d.staleDownloadRequest, 'b1-0001');
    });
  });

  describe('compare and outcome', () => {
    const whole = {
      'vmoperator.vmware.com/v1alpha5/VirtualMachineGroup': ['apps/shop'],
      'vmoperator.vmware.com/v1alpha6/VirtualMachine': ['apps/db', 'apps/web'],
      'v1/ConfigMap': ['apps/web-boot'],
    };
    const record = (parseClosureRecord(RECORD) as { record: never }).record;

    it('a whole closure: Normal VMGroupBackupVerified, result verified', () => {
      const o = outcome(backup('Completed'), compare(record, whole), NOW);
      assert.equal(o.result.state, 'verified');
      assert.deepEqual(
        o.events.map((e) => [e.type, e.reason]),
        [['Normal', REASON_BACKUP_VERIFIED]],
      );
      assert.equal(o.reply.result, 'verified');
    });

    it('a missing object takes the cause the labeler recorded for it', () => {
      const o = outcome(
        backup('Completed'),
        compare(record, { ...whole, 'v1/ConfigMap': [] }),
        NOW,
      );
      assert.equal(o.result.state, 'incomplete');
      assert.deepEqual(o.reply.groups[0]?.missing, [
        { kind: 'ConfigMap', name: 'web-boot', cause: 'labelSelector' },
      ]);
      assert.equal(o.events[0]?.type, 'Warning');
      assert.equal(o.events[0]?.reason, REASON_BACKUP_INCOMPLETE);
      assert.match(
        o.events[0]!.message,
        /ConfigMap web-boot: not matched by the Backup's label selector/,
      );
    });

    it('a missing object the labeler did not see cut is of unknown cause', () => {
      const list = { ...whole, 'vmoperator.vmware.com/v1alpha6/VirtualMachine': ['apps/db'] };
      const o = outcome(backup('Completed'), compare(record, list), NOW);
      assert.deepEqual(o.reply.groups[0]?.missing, [
        { kind: 'VirtualMachine', name: 'web', cause: 'unknown' },
      ]);
    });

    it('one Event per group, each with its own dedupe key', () => {
      const other: RecordedGroup = {
        ...SHOP,
        name: 'reports',
        objects: [{ kind: 'VirtualMachineGroup', name: 'reports' }],
        cut: [],
      };
      const r = (parseClosureRecord(formatClosureRecord([SHOP, other])) as { record: never })
        .record;
      const o = outcome(backup('Completed'), compare(r, whole), NOW);
      assert.deepEqual(
        o.events.map((e) => e.dedupeKey),
        ['verified-apps-shop', 'verified-apps-reports'],
      );
      assert.equal(o.result.state, 'incomplete');
    });

    it('a very long list of missing objects is capped in the Event, whole in the reply', () => {
      const many: RecordedGroup = {
        namespace: 'apps',
        name: 'big',
        objects: Array.from({ length: 400 }, (_, i) => ({
          kind: 'VirtualMachine' as const,
          name: `vm-with-a-long-name-${i}`,
        })),
        cut: [],
      };
      const r = (parseClosureRecord(formatClosureRecord([many])) as { record: never }).record;
      const o = outcome(backup('Completed'), compare(r, {}), NOW);
      assert.ok(o.events[0]!.message.length <= 4000);
      assert.equal(o.reply.groups[0]?.missing.length, 400);
    });
  });

  it('the item list is parsed from gzip as Velero stores it', () => {
    const list = parseResourceList(gzipSync(JSON.stringify({ 'v1/Secret': ['apps/s'] })));
    assert.deepEqual(list, { 'v1/Secret': ['apps/s'] });
  });

  it('parseRecorded reads back what the verifier writes, and nothing else as a claim', () => {
    const c = claimFor('b1-x', NOW);
    assert.deepEqual(parseRecorded(JSON.stringify(c)), c);
    assert.equal(parseRecorded('{"state":"verifying"}')?.state, 'unverifiable');
    assert.equal(parseRecorded(undefined), undefined);
  });

  it('refusal says why, once', () => {
    const r = refusal(backup('Completed'), 'the item list is unreadable', NOW);
    assert.equal(r.result.state, 'unverifiable');
    assert.equal(r.event.type, 'Warning');
    assert.match(r.event.message, /backup b1 cannot be verified: the item list is unreadable/);
  });

  it('DownloadRequest names stay within 253 characters', () => {
    assert.equal(downloadRequestName('b', 'abcd1234'), 'b-abcd1234');
    assert.equal(downloadRequestName('x'.repeat(300), 'abcd1234').length, 253);
  });
});
