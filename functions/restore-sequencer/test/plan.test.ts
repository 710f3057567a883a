import assert from 'node:assert/strict';
import {
  ANNOTATION_CAPTURED_POWER_STATE,
  ANNOTATION_RESTORE_PROGRESS,
} from '../../vmgroup/names.ts';
import { networkPatch } from '../network.ts';
import { afterProgressConflict, decide, readProgress, type Progress } from '../plan.ts';
import { buildSchedule } from '../schedule.ts';
import { locateTop } from '../tree.ts';
import {
  G,
  RESTORE,
  V,
  restoredVm,
  restoredVmg,
  withCapturedNetwork,
  worldOf,
} from './restored.ts';

const T0 = Date.parse('2026-11-21T10:00:00.000Z');
const at = (ms: number): string => new Date(T0 + ms).toISOString();

/** Writes a decision's progress onto the top group, as the handler does. */
function persist(world: ReturnType<typeof worldOf>, top: string, p: Progress | undefined): void {
  if (!p) return;
  const g = world.groups.get(top)!;
  g.metadata.annotations = {
    ...g.metadata.annotations,
    [ANNOTATION_RESTORE_PROGRESS]: JSON.stringify(p),
  };
}

const steps = (s: ReturnType<typeof buildSchedule>): Array<[number, string[]]> =>
  s.steps.map((x) => [
    x.offsetMs,
    x.entries.map((e) => `${e.ref.kind}/${e.ref.name}=${e.powerState}`),
  ]);

describe('restore sequencer: locating a restored tree', () => {
  const world = worldOf([
    restoredVmg('app', [{ members: [G('web'), V('db')] }], { was: 'PoweredOn' }),
    restoredVmg('web', [{ members: [V('web-1')] }], { parent: 'app', was: 'PoweredOn' }),
    restoredVm('web-1', 'web', { was: 'PoweredOn' }),
    restoredVm('orphan', 'gone', { was: 'PoweredOn' }),
    restoredVm('loner', undefined),
    restoredVmg('a', [], { parent: 'b' }),
    restoredVmg('b', [], { parent: 'a' }),
  ]);
  const cases: Array<[string, Parameters<typeof locateTop>[1], ReturnType<typeof locateTop>]> = [
    ['a VM two levels down', V('web-1'), { top: 'app' }],
    ['a nested group', G('web'), { top: 'app' }],
    ['the top itself', G('app'), { top: 'app' }],
    [
      'a VM whose group is not in the restore',
      V('orphan'),
      { missingGroup: 'gone', below: V('orphan') },
    ],
    ['a VM in no group', V('loner'), { ungrouped: true }],
    ['groups that name each other as parent', G('a'), { cycle: ['a', 'b', 'a'] }],
  ];
  for (const [name, start, expected] of cases) {
    it(`finds the top from ${name}`, () => assert.deepEqual(locateTop(world, start), expected));
  }
});

describe('restore sequencer: deciding', () => {
  it('waits while a member is missing (alphabetical order: the group arrives before its VMs)', () => {
    const world = worldOf([
      restoredVmg('app', [{ members: [V('db'), V('web')] }], { was: 'PoweredOn' }),
      restoredVm('db', 'app', { was: 'PoweredOn' }),
    ]);
    const d = decide(world, 'app', RESTORE, T0);
    assert.equal(d.state, 'waiting');
    assert.deepEqual(
      d.tree.missing.map((n) => n.ref.name),
      ['web'],
    );
    assert.equal(d.progress, undefined);
  });

  it('waits for a member that exists but names another group', () => {
    const world = worldOf([
      restoredVmg('app', [{ members: [V('db')] }], { was: 'PoweredOn' }),
      restoredVm('db', 'other', { was: 'PoweredOn' }),
    ]);
    const d = decide(world, 'app', RESTORE, T0);
    assert.equal(d.state, 'waiting');
    assert.deepEqual(
      d.tree.unlinked.map((n) => n.ref.name),
      ['db'],
    );
  });

  it('hands a tree that was all on to VM Operator in one write, released at once', () => {
    const world = worldOf([
      restoredVmg(
        'app',
        [
          { members: [V('db')], powerOnDelay: '10s' },
          { members: [G('web')], powerOnDelay: '5s' },
        ],
        { was: 'PoweredOn' },
      ),
      restoredVm('db', 'app', { was: 'PoweredOn' }),
      restoredVmg('web', [{ members: [V('web-1'), V('web-2')] }], {
        parent: 'app',
        was: 'PoweredOn',
      }),
      restoredVm('web-1', 'web', { was: 'PoweredOn' }),
      restoredVm('web-2', 'web', { was: 'PoweredOn' }),
    ]);
    const d = decide(world, 'app', RESTORE, T0);
    assert.equal(d.state, 'released');
    assert.equal(d.schedule?.mode, 'delegated');
    assert.deepEqual(steps(d.schedule!), [[0, ['VirtualMachineGroup/app=PoweredOn']]]);
    assert.deepEqual(d.schedule!.poweredOn.map((m) => m.name).sort(), ['db', 'web-1', 'web-2']);
    assert.ok(d.becameReady && d.becameReleased);
    assert.equal(d.progress?.releasedAt, at(0));
  });

  it("keeps a tree that was all off off, recording the group's state", () => {
    const world = worldOf([
      restoredVmg('app', [{ members: [V('db')] }], { was: 'PoweredOff' }),
      restoredVm('db', 'app', { was: 'PoweredOff' }),
    ]);
    const d = decide(world, 'app', RESTORE, T0);
    assert.deepEqual(steps(d.schedule!), [[0, ['VirtualMachineGroup/app=PoweredOff']]]);
    assert.deepEqual(d.schedule!.poweredOn, []);
    assert.equal(d.state, 'released');
  });

  it('releases stage by stage when some members were off, honouring delays across calls', () => {
    const world = worldOf([
      restoredVmg(
        'app',
        [
          { members: [V('db')], powerOnDelay: '5s' },
          { members: [V('cache')], powerOnDelay: '10s' },
          { members: [V('web')] },
        ],
        { was: 'PoweredOn' },
      ),
      restoredVm('db', 'app', { was: 'PoweredOn' }),
      restoredVm('cache', 'app', { was: 'PoweredOff' }),
      restoredVm('web', 'app', { was: 'PoweredOn' }),
    ]);
    const d0 = decide(world, 'app', RESTORE, T0);
    assert.equal(d0.schedule?.mode, 'staged');
    assert.deepEqual(steps(d0.schedule!), [
      [5000, ['VirtualMachine/db=PoweredOn']],
      [15000, ['VirtualMachine/web=PoweredOn']],
    ]);
    assert.deepEqual(
      d0.schedule!.keptOff.map((k) => [k.ref.name, k.reason]),
      [['cache', 'was powered off at backup']],
    );
    assert.deepEqual(d0.schedule!.unsetGroups, ['app']);
    assert.equal(d0.state, 'releasing');
    assert.deepEqual(d0.due, []);
    assert.equal(d0.nextDueMs, T0 + 5000);
    persist(world, 'app', d0.progress);

    // Another replica, 4.9 s later: nothing due yet, nothing to write.
    const d1 = decide(world, 'app', RESTORE, T0 + 4900);
    assert.deepEqual(
      [d1.state, d1.due, d1.progress, d1.becameReady],
      ['releasing', [], undefined, false],
    );

    const d2 = decide(world, 'app', RESTORE, T0 + 5200);
    assert.deepEqual(d2.due, [0]);
    assert.equal(d2.nextDueMs, T0 + 15000);
    persist(world, 'app', d2.progress);

    // A late tick releases everything that is due, once.
    const d3 = decide(world, 'app', RESTORE, T0 + 60_000);
    assert.deepEqual(d3.due, [1]);
    assert.equal(d3.state, 'released');
    assert.deepEqual(d3.progress?.times, [at(5200), at(60_000)]);
    persist(world, 'app', d3.progress);
    assert.equal(decide(world, 'app', RESTORE, T0 + 70_000).state, 'released');
  });

  it("delegates a nested group that was uniform, at its stage's time, and walks one that was not", () => {
    const world = worldOf([
      restoredVmg(
        'app',
        [
          { members: [G('data')], powerOnDelay: '3s' },
          { members: [G('web'), V('tool')], powerOnDelay: '2s' },
        ],
        { was: 'PoweredOn' },
      ),
      restoredVm('tool', 'app', { was: 'PoweredOff' }),
      restoredVmg('data', [{ members: [V('db-1'), V('db-2')] }], {
        parent: 'app',
        was: 'PoweredOn',
      }),
      restoredVm('db-1', 'data', { was: 'PoweredOn' }),
      restoredVm('db-2', 'data', { was: 'PoweredOn' }),
      restoredVmg(
        'web',
        [
          { members: [V('web-1')], powerOnDelay: '1s' },
          { members: [V('web-2')], powerOnDelay: '4s' },
        ],
        { parent: 'app', was: 'PoweredOn' },
      ),
      restoredVm('web-1', 'web', { was: 'PoweredOn' }),
      restoredVm('web-2', 'web', { was: 'Suspended' }),
    ]);
    const s = buildSchedule(world, 'app', RESTORE);
    assert.equal(s.mode, 'staged');
    assert.deepEqual(steps(s), [
      [3000, ['VirtualMachineGroup/data=PoweredOn']],
      [6000, ['VirtualMachine/web-1=PoweredOn']],
    ]);
    assert.deepEqual(s.unsetGroups, ['app', 'web']);
    assert.deepEqual(s.keptOff.map((k) => `${k.ref.name}:${k.state}`).sort(), [
      'tool:PoweredOff',
      'web-2:Suspended',
    ]);
    assert.deepEqual(s.poweredOn.map((m) => m.name).sort(), ['db-1', 'db-2', 'web-1']);
  });

  it("keeps a member without a recorded power state off, and falls back to the labeler's capture", () => {
    const noRecord = restoredVm('a', 'app');
    const captured = restoredVm('b', 'app', {
      annotations: { [ANNOTATION_CAPTURED_POWER_STATE]: 'PoweredOn' },
    });
    const world = worldOf([
      restoredVmg('app', [{ members: [V('a'), V('b')] }], { was: 'PoweredOn' }),
      noRecord,
      captured,
    ]);
    const s = buildSchedule(world, 'app', RESTORE);
    assert.deepEqual(steps(s), [[0, ['VirtualMachine/b=PoweredOn']]]);
    assert.equal(s.keptOff[0]?.state, 'Unknown');
  });

  it('does not sequence members the modifier did not hold', () => {
    const world = worldOf([
      restoredVmg('app', [{ members: [V('a'), V('b')] }], { was: 'PoweredOn' }),
      restoredVm('a', 'app', { was: 'PoweredOn' }),
      restoredVm('b', 'app', { was: 'PoweredOn', modifier: false }),
    ]);
    const d = decide(world, 'app', RESTORE, T0);
    assert.equal(d.state, 'not-held');
    assert.deepEqual(d.notHeld, [V('b')]);
  });

  it('leaves members this restore did not create alone and does not delegate over them', () => {
    const world = worldOf([
      restoredVmg('app', [{ members: [V('a'), V('old')] }], { was: 'PoweredOn' }),
      restoredVm('a', 'app', { was: 'PoweredOn' }),
      restoredVm('old', 'app', { foreign: true }),
    ]);
    const s = buildSchedule(world, 'app', RESTORE);
    assert.equal(s.mode, 'staged');
    assert.deepEqual(s.foreign, [V('old')]);
    assert.deepEqual(steps(s), [[0, ['VirtualMachine/a=PoweredOn']]]);
  });

  it('starts a fresh sequence for a new restore of the same backup', () => {
    const world = worldOf([
      restoredVmg('app', [{ members: [V('a')] }], { was: 'PoweredOn', restore: 'restore-2' }),
      restoredVm('a', 'app', { was: 'PoweredOn', restore: 'restore-2' }),
    ]);
    const old: Progress = {
      restore: RESTORE,
      mode: 'delegated',
      readyAt: at(0),
      released: 1,
      times: [at(0)],
      releasedAt: at(0),
    };
    persist(world, 'app', old);
    assert.equal(readProgress(world.groups.get('app'), 'restore-2'), undefined);
    const d = decide(world, 'app', 'restore-2', T0 + 1000);
    assert.ok(d.becameReady && d.becameReleased);
  });

  it('blocks on a cycle of nested groups', () => {
    const world = worldOf([
      restoredVmg('app', [{ members: [G('x')] }]),
      restoredVmg('x', [{ members: [G('app')] }], { parent: 'app' }),
    ]);
    assert.equal(decide(world, 'app', RESTORE, T0).state, 'blocked');
  });
});

describe('restore sequencer: captured network', () => {
  const base = (): ReturnType<typeof restoredVm> => {
    const v = restoredVm('db', 'app', { was: 'PoweredOn' });
    v.metadata.resourceVersion = '42';
    v.spec!.network = {
      interfaces: [
        { name: 'eth0', network: { name: 'vnet' } },
        { name: 'eth1', dhcp4: true },
        { name: 'eth2', addresses: ['10.9.0.5/24'] },
      ],
    };
    return v;
  };
  const captured = {
    version: 1,
    interfaces: [
      {
        name: 'eth0',
        macAddr: '00:50:56:aa:bb:cc',
        addresses: ['10.0.0.5/24'],
        gateway4: '10.0.0.1',
        nameservers: ['10.0.0.2'],
        dhcp4: false,
      },
      { name: 'eth1', addresses: ['10.1.0.9/24'], dhcp4: true },
      { name: 'eth2', addresses: ['10.9.0.6/24'] },
      { name: 'eth3', addresses: ['10.3.0.1/24'] },
    ],
  };

  it('fills empty static addresses, gateways and DNS, and nothing else', () => {
    const r = networkPatch(withCapturedNetwork(base(), captured));
    assert.deepEqual(r.applied, ['eth0']);
    assert.deepEqual(r.skipped, [
      'eth3: not in spec.network.interfaces (interfaces cannot be added after create)',
    ]);
    assert.deepEqual(r.patch, {
      type: 'merge',
      body: {
        metadata: { resourceVersion: '42' },
        spec: {
          network: {
            interfaces: [
              {
                name: 'eth0',
                network: { name: 'vnet' },
                addresses: ['10.0.0.5/24'],
                gateway4: '10.0.0.1',
                nameservers: ['10.0.0.2'],
              },
              { name: 'eth1', dhcp4: true },
              { name: 'eth2', addresses: ['10.9.0.5/24'] },
            ],
          },
        },
      },
    });
  });

  it('writes nothing twice and nothing without a capture', () => {
    const v = withCapturedNetwork(base(), captured);
    v.spec!.network!.interfaces![0]!.addresses = ['10.0.0.5/24'];
    assert.equal(networkPatch(v).patch, undefined);
    assert.deepEqual(networkPatch(base()), { applied: [], skipped: [] });
  });

  it('is part of the decision while the group is still incomplete', () => {
    const world = worldOf([
      restoredVmg('app', [{ members: [V('db'), V('web')] }], { was: 'PoweredOn' }),
      withCapturedNetwork(base(), captured),
    ]);
    const d = decide(world, 'app', RESTORE, T0);
    assert.equal(d.state, 'waiting');
    assert.deepEqual(
      d.network.map((n) => [n.name, n.interfaces]),
      [['db', ['eth0']]],
    );
  });
});

describe('restore sequencer: a spec VM Operator would refuse', () => {
  it('blocks with the reason instead of failing the request', () => {
    const world = worldOf([
      restoredVmg('app', [{ members: [V('a')], powerOnDelay: '5 seconds' }], { was: 'PoweredOn' }),
      restoredVm('a', 'app', { was: 'PoweredOn' }),
    ]);
    const d = decide(world, 'app', RESTORE, T0);
    assert.equal(d.state, 'blocked');
    assert.match(d.problem ?? '', /invalid duration "5 seconds"/);
  });
});

describe('restore sequencer: a conflicting progress write', () => {
  const group = (annotations: Record<string, string>, resourceVersion: string) => {
    const g = restoredVmg('app', [{ members: [V('a')] }], { was: 'PoweredOn', annotations });
    g.metadata.resourceVersion = resourceVersion;
    return g;
  };
  const progress = (released: number) => ({
    [ANNOTATION_RESTORE_PROGRESS]: JSON.stringify({
      restore: RESTORE,
      mode: 'staged',
      readyAt: at(0),
      released,
      times: [],
    }),
  });
  const vmop = { 'vmoperator.vmware.com.protected/last-updated-power-state-time': at(1) };
  const cases: Array<[string, Record<string, string>, Record<string, string> | undefined, string]> =
    [
      // The first decision of a tree: no progress yet, and VM Operator updated the group meanwhile.
      ['no progress before or now (another writer changed the group)', {}, {}, 'rewrite'],
      [
        'the same progress, VM Operator’s annotations added',
        progress(1),
        { ...progress(1), ...vmop },
        'rewrite',
      ],
      ['another replica wrote progress first', {}, progress(1), 'rerun'],
      ['another replica moved the progress on', progress(1), progress(2), 'rerun'],
      ['the progress was removed', progress(1), {}, 'rerun'],
      ['the group is gone', {}, undefined, 'rerun'],
    ];
  for (const [name, before, now, want] of cases)
    it(`${name}: ${want}`, () => {
      assert.equal(
        afterProgressConflict(group(before, '1'), now ? group(now, '2') : undefined),
        want,
      );
    });
});
