import assert from 'node:assert/strict';
import type { VeleroObject } from '../resync-targets.ts';
import { pluginKindsIn, resyncTargets, stillJudged } from '../resync-targets.ts';

const obj = (
  kind: 'Backup' | 'Restore',
  name: string,
  phase?: string,
  extra: { deleting?: boolean; backupName?: string } = {},
): VeleroObject => ({
  apiVersion: 'velero.io/v1',
  kind,
  metadata: {
    name,
    namespace: 'velero',
    ...(extra.deleting ? { deletionTimestamp: '2026-11-21T10:00:00Z' } : {}),
  },
  spec: extra.backupName ? { backupName: extra.backupName } : {},
  ...(phase ? { status: { phase } } : {}),
});

describe('backup-guard resync targets', () => {
  describe('stillJudged', () => {
    const table: Array<[string | undefined, boolean]> = [
      [undefined, true], // just created: Velero has not written a phase yet
      ['New', true],
      ['Queued', true],
      ['ReadyToStart', true],
      ['InProgress', true],
      ['WaitingForPluginOperations', true],
      ['WaitingForPluginOperationsPartiallyFailed', true],
      ['Finalizing', true],
      ['FinalizingPartiallyFailed', true],
      ['Completed', false],
      ['PartiallyFailed', false],
      ['Failed', false],
      ['FailedValidation', false],
      ['Deleting', false],
    ];
    for (const [phase, expected] of table) {
      it(`a Backup in phase ${phase ?? '(none)'}: ${expected ? 'judged' : 'left alone'}`, () => {
        assert.equal(stillJudged(obj('Backup', 'b', phase)), expected);
      });
    }
    it('leaves objects being deleted alone', () => {
      assert.equal(stillJudged(obj('Backup', 'b', 'InProgress', { deleting: true })), false);
    });
    it('judges a Restore only once it names its Backup (schedule restores name it later)', () => {
      assert.equal(stillJudged(obj('Restore', 'r', 'New')), false);
      assert.equal(stillJudged(obj('Restore', 'r', 'New', { backupName: 'b' })), true);
      assert.equal(stillJudged(obj('Restore', 'r', 'Completed', { backupName: 'b' })), false);
    });
  });

  it('a tick judges in-flight Backups, then Restores, each by name', () => {
    const targets = resyncTargets(
      [obj('Backup', 'z', 'InProgress'), obj('Backup', 'done', 'Completed'), obj('Backup', 'a')],
      [
        obj('Restore', 'r2', 'InProgress', { backupName: 'a' }),
        obj('Restore', 'r1', 'New', { backupName: 'z' }),
        obj('Restore', 'from-schedule', 'New'),
        obj('Restore', 'r0', 'Failed', { backupName: 'a' }),
      ],
    );
    assert.deepEqual(
      targets.map((t) => `${t.kind}/${t.metadata.name}`),
      ['Backup/a', 'Backup/z', 'Restore/r1', 'Restore/r2'],
    );
  });

  it('lists only the plugin-internal kinds a Backup reaches', () => {
    assert.deepEqual(
      pluginKindsIn({
        includedNamespaceScopedResources: ['uploads.datamover.cnsdp.vmware.com'],
      }).map((p) => p.resource),
      ['uploads.datamover.cnsdp.vmware.com'],
    );
    assert.deepEqual(pluginKindsIn({ includedResources: ['pods'] }), []);
    // A whole-cluster backup reaches every one of them, cluster-scoped repositories included.
    assert.equal(pluginKindsIn({}).length, 7);
  });
});
