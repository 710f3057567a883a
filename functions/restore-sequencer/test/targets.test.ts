import assert from 'node:assert/strict';
import {
  distinctTargets,
  endedRestoreLabel,
  memberTargets,
  restoreTargets,
  tickTargets,
  type Target,
} from '../targets.ts';
import { ANNOTATION_RESTORE_PROGRESS, ANNOTATION_RESTORE_RELEASED } from '../../vmgroup/names.ts';
import type { Vm, Vmg } from '../tree.ts';
import { RESTORE, V, restoredVm, restoredVmg } from './restored.ts';

const NS = 'apps';
const at = (o: Vm | Vmg): Vm | Vmg => {
  o.metadata.namespace = NS;
  return o;
};
const progress = (restore: string, releasedAt?: string): Record<string, string> => ({
  [ANNOTATION_RESTORE_PROGRESS]: JSON.stringify({
    restore,
    readyAt: '2026-12-04T10:00:00Z',
    released: releasedAt ? 1 : 0,
    ...(releasedAt ? { releasedAt } : {}),
  }),
});
const names = (ts: Target[]): string[] =>
  ts.map((t) => `${t.restore}:${t.start.kind}/${t.start.name}`);

describe('restore-sequencer targets (pure)', function () {
  describe('memberTargets: a restored group or VM names its own tree', function () {
    const cases: Array<[string, Vm | Vmg, string[]]> = [
      ['a held restored VM', restoredVm('db', 'shop'), [`${RESTORE}:VirtualMachine/db`]],
      [
        'a restored group',
        restoredVmg('shop', [{ members: [V('db')] }]),
        [`${RESTORE}:VirtualMachineGroup/shop`],
      ],
      ['an object no restore made', restoredVm('db', 'shop', { foreign: true }), []],
      [
        'a VM whose sequence this restore finished',
        restoredVm('db', 'shop', { annotations: { [ANNOTATION_RESTORE_RELEASED]: RESTORE } }),
        [],
      ],
      [
        'a VM released by an earlier restore, restored again',
        restoredVm('db', 'shop', { annotations: { [ANNOTATION_RESTORE_RELEASED]: 'older' } }),
        [`${RESTORE}:VirtualMachine/db`],
      ],
    ];
    for (const [what, obj, want] of cases)
      it(what, function () {
        assert.deepEqual(names(memberTargets(at(obj))), want);
      });

    it('an object being deleted', function () {
      const v = at(restoredVm('db', 'shop'));
      v.metadata.deletionTimestamp = '2026-12-04T10:00:00Z';
      assert.deepEqual(memberTargets(v), []);
    });
  });

  describe('endedRestoreLabel', function () {
    const cases: Array<[string | undefined, boolean, string | undefined]> = [
      ['InProgress', false, undefined],
      ['New', false, undefined],
      [undefined, false, undefined],
      ['Completed', false, 'r1'],
      ['PartiallyFailed', false, 'r1'],
      ['Failed', false, 'r1'],
      ['FailedValidation', false, 'r1'],
      ['Completed', true, undefined],
    ];
    for (const [phase, deleting, want] of cases)
      it(`${phase ?? 'no phase'}${deleting ? ', being deleted' : ''} → ${want ?? 'not ended'}`, function () {
        const restore = {
          metadata: { name: 'r1', ...(deleting ? { deletionTimestamp: 'x' } : {}) },
          ...(phase ? { status: { phase } } : {}),
        };
        assert.equal(endedRestoreLabel(restore), want);
      });

    it('a long Restore name becomes the label value Velero writes', function () {
      const name = `r-${'x'.repeat(70)}`;
      const label = endedRestoreLabel({ metadata: { name }, status: { phase: 'Completed' } });
      assert.ok(label && label.length <= 63 && label !== name);
    });
  });

  it('restoreTargets: every group and VM a Restore created, in its namespace', function () {
    const objs = [at(restoredVmg('shop', [{ members: [V('db')] }])), at(restoredVm('db', 'shop'))];
    assert.deepEqual(
      restoreTargets('r1', objs).map((t) => [t.namespace, t.restore, t.start.kind, t.start.name]),
      [
        [NS, 'r1', 'VirtualMachineGroup', 'shop'],
        [NS, 'r1', 'VirtualMachine', 'db'],
      ],
    );
  });

  describe('tickTargets: only unfinished restored trees', function () {
    const shop = (o: Parameters<typeof restoredVmg>[2] = {}) =>
      at(restoredVmg('shop', [{ members: [V('db')] }], o)) as Vmg;
    const cases: Array<[string, Vmg[], Vm[], string[]]> = [
      ['a top group not yet released', [shop()], [], [`${RESTORE}:VirtualMachineGroup/shop`]],
      [
        'a top group whose progress says released',
        [shop({ annotations: progress(RESTORE, '2026-12-04T10:01:00Z') })],
        [],
        [],
      ],
      [
        "a top group whose progress is an earlier restore's (a new restore starts afresh)",
        [shop({ annotations: progress('older', '2026-12-04T10:01:00Z') })],
        [],
        [`${RESTORE}:VirtualMachineGroup/shop`],
      ],
      [
        'a top group with unreadable progress',
        [shop({ annotations: { [ANNOTATION_RESTORE_PROGRESS]: '{not json' } })],
        [],
        [`${RESTORE}:VirtualMachineGroup/shop`],
      ],
      [
        'a nested group (its top group speaks for it)',
        [at(restoredVmg('tier', [], { parent: 'shop' })) as Vmg],
        [],
        [],
      ],
      ['a group no restore made', [shop({ foreign: true })], [], []],
      [
        'a held VM whose group was restored too (the group speaks for it)',
        [shop({ annotations: progress(RESTORE, 'x') })],
        [at(restoredVm('db', 'shop')) as Vm],
        [],
      ],
      [
        'a held VM whose group is not among the restored ones',
        [],
        [at(restoredVm('db', 'shop')) as Vm],
        [`${RESTORE}:VirtualMachine/db`],
      ],
      [
        'a held VM in no group',
        [],
        [at(restoredVm('solo', undefined)) as Vm],
        [`${RESTORE}:VirtualMachine/solo`],
      ],
      [
        'a VM in no group already given its power state back',
        [],
        [
          at(
            restoredVm('solo', undefined, {
              annotations: { [ANNOTATION_RESTORE_RELEASED]: RESTORE },
            }),
          ) as Vm,
        ],
        [],
      ],
      [
        'a VM restored without the modifier (not held)',
        [],
        [at(restoredVm('solo', undefined, { modifier: false })) as Vm],
        [],
      ],
    ];
    for (const [what, groups, vms, want] of cases)
      it(what, function () {
        assert.deepEqual(names(tickTargets(groups, vms)), want);
      });
  });

  describe('distinctTargets: events batched into one run', function () {
    const t = (restore: string, kind: string, name: string, namespace = NS): Target => ({
      namespace,
      restore,
      start: { kind: kind as Target['start']['kind'], name },
    });
    const cases: Array<[string, Target[], string[]]> = [
      ['nothing', [], []],
      [
        'the same member twice, once',
        [t('r1', 'VirtualMachine', 'a'), t('r1', 'VirtualMachine', 'a')],
        ['r1:VirtualMachine/a'],
      ],
      [
        'same name, other kind or restore: kept apart',
        [
          t('r1', 'VirtualMachine', 'a'),
          t('r1', 'VirtualMachineGroup', 'a'),
          t('r2', 'VirtualMachine', 'a'),
        ],
        ['r1:VirtualMachine/a', 'r1:VirtualMachineGroup/a', 'r2:VirtualMachine/a'],
      ],
    ];
    for (const [what, input, want] of cases)
      it(what, function () {
        assert.deepEqual(names(distinctTargets(input)), want);
      });
  });
});
