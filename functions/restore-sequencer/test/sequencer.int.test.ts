// The restore sequencer on the real control plane. Objects are created as Velero creates them
// (restore labels, metadata and status stripped, the resource modifier applied or not), in the
// orders Velero can produce; the handler runs as a service account bound to exactly
// SEQUENCER_RULES, and its continuation replies are fed back as the Broker would (test/plane.ts).
// There is no VM Operator controller here, so the tests assert the spec/annotation writes and the
// Events; gates.int.test.ts and preflight.int.test.ts cover readiness gates and the preflight.

import assert from 'node:assert/strict';
import { apiServerEvent } from '../../../test/support/cloudevents.ts';
import type { Kube, KubeObject } from '../../runtime/kube/kube-api.ts';
import {
  ANNOTATION_CAPTURED_NETWORK,
  ANNOTATION_RESTORE_PROGRESS,
  ANNOTATION_RESTORE_RELEASED,
  EVENT_TYPE_RESTORE_GROUP_READY,
  EVENT_TYPE_RESTORE_GROUP_RELEASED,
  EVENT_TYPE_RESTORE_SEQUENCE_DUE,
  REASON_RESTORE_GROUP_MISSING,
  REASON_RESTORE_GROUP_NOT_HELD,
  REASON_RESTORE_GROUP_READY,
  REASON_RESTORE_GROUP_RELEASED,
  REASON_RESTORE_GROUP_WAITING,
  REASON_RESTORE_STAGE_RELEASED,
} from '../../vmgroup/names.ts';
import { asKube, groupMember, vm, vmg, vmMember } from '../../vmgroup/test/builders.ts';
import { answer, sequencerPlane, type SequencerPlane } from './plane.ts';

type PowerState = 'PoweredOn' | 'PoweredOff' | 'Suspended';

describe('restore sequencer (control plane)', function () {
  this.timeout(120_000);
  let admin: Kube;
  let veleroNs: string;
  let scenario: SequencerPlane['scenario'];

  before(async function () {
    ({ admin, veleroNs, scenario } = await sequencerPlane());
  });

  const backedUpVm = (
    name: string,
    group: string | undefined,
    powerState: PowerState = 'PoweredOn',
  ) => asKube(vm(name, { ...(group ? { groupName: group } : {}), powerState }));

  it('alphabetical order (group first): holds until the last member exists, then hands a uniform group to VM Operator', async () => {
    const s = await scenario('seq-alpha');
    const app = vmg('app', {
      powerState: 'PoweredOn',
      bootOrder: [
        { members: [vmMember('db')], powerOnDelay: '10s' },
        { members: [vmMember('web-1'), vmMember('web-2')], powerOnDelay: '5s' },
      ],
    });
    assert.equal(answer(await s.create(asKube(app))), 'held:waiting');
    assert.equal(answer(await s.create(backedUpVm('db', 'app'))), 'held:waiting');
    const held = await s.create(backedUpVm('web-1', 'app'));
    assert.deepEqual((held?.data as { missing: unknown }).missing, [
      { kind: 'VirtualMachine', name: 'web-2' },
    ]);
    assert.equal(
      (await s.group('app')).spec.powerState,
      undefined,
      'the group is held without a power state',
    );
    assert.deepEqual(await s.powers('db', 'web-1'), ['PoweredOff', 'PoweredOff']);
    const waiting = (await s.events()).find((e) => e.reason === REASON_RESTORE_GROUP_WAITING);
    assert.match(waiting!.message!, /waiting for VirtualMachine web-2 \(in app\)/);

    const reply = await s.create(backedUpVm('web-2', 'app'));
    assert.equal(reply?.type, EVENT_TYPE_RESTORE_GROUP_RELEASED);
    assert.deepEqual((reply!.data as { mode: string; poweredOn: unknown[] }).mode, 'delegated');
    const g = await s.group('app');
    assert.equal(g.spec.powerState, 'PoweredOn');
    assert.equal(g.metadata.annotations?.[ANNOTATION_RESTORE_RELEASED], s.restore);
    // VM Operator's group controller powers the members on with the delays; the sequencer does not.
    assert.deepEqual(await s.powers('db', 'web-1', 'web-2'), [
      'PoweredOff',
      'PoweredOff',
      'PoweredOff',
    ]);
    assert.deepEqual(await s.reasons(), [
      REASON_RESTORE_GROUP_READY,
      REASON_RESTORE_GROUP_RELEASED,
      REASON_RESTORE_GROUP_WAITING,
    ]);

    // Redelivery and ticks change nothing.
    const rv = g.metadata.resourceVersion;
    assert.equal(await s.deliver(apiServerEvent('update', g)), undefined);
    assert.equal(await s.tick(), undefined);
    assert.equal((await s.group('app')).metadata.resourceVersion, rv);
    // Members are marked finished on their first later event; after that their events are free.
    assert.equal(
      (await s.vm('web-2')).metadata.annotations?.[ANNOTATION_RESTORE_RELEASED],
      s.restore,
    );
    await s.deliver(apiServerEvent('update', await s.vm('web-1')));
    const marked = await s.vm('web-1');
    assert.equal(marked.metadata.annotations?.[ANNOTATION_RESTORE_RELEASED], s.restore);
    await s.deliver(apiServerEvent('update', marked));
    assert.equal((await s.vm('web-1')).metadata.resourceVersion, marked.metadata.resourceVersion);
  });

  it('member events arriving together share a run: each tree sends its reply once, one namespace read per run', async () => {
    const s = await scenario('seq-batch', { batch: true });
    const names = Array.from({ length: 8 }, (_, i) => `vm-${i}`);
    const created: KubeObject[] = [];
    for (const o of [
      asKube(vmg('app', { powerState: 'PoweredOn', bootOrder: [names.map((n) => vmMember(n))] })),
      ...names.map((n) => backedUpVm(n, 'app')),
      // A second tree in the namespace, released stage by stage (one member was off): its first
      // stage goes at once, its chain starts with a group-ready reply.
      asKube(
        vmg('stg', {
          powerState: 'PoweredOn',
          bootOrder: [
            { members: [vmMember('s1'), vmMember('s3')] },
            { members: [vmMember('s2')], powerOnDelay: '10s' },
          ],
        }),
      ),
      backedUpVm('s1', 'stg'),
      backedUpVm('s2', 'stg'),
      backedUpVm('s3', 'stg', 'PoweredOff'),
    ])
      created.push(await s.createOnly(o));
    const replies = await Promise.all(created.map((o) => s.deliver(apiServerEvent('add', o))));
    const sent = replies.filter((r) => r !== undefined).map((r) => answer(r) ?? '');
    const count = (type: string) => sent.filter((t) => t === type).length;
    assert.equal(count(EVENT_TYPE_RESTORE_GROUP_RELEASED), 1, `replies: ${sent.join(', ')}`);
    assert.equal(count(EVENT_TYPE_RESTORE_GROUP_READY), 1, `replies: ${sent.join(', ')}`);
    assert.equal((await s.group('app')).spec.powerState, 'PoweredOn');
    assert.deepEqual(await s.powers('s1', 's3', 's2'), ['PoweredOn', 'PoweredOff', 'PoweredOff']);
    // The first event's run reads the namespace; the 12 arriving meanwhile share the next one
    // (a third only if the machine is slow enough for the first run to end between deliveries).
    const vmLists = s.lists.filter((l) => l === `VirtualMachine ${s.namespace}`).length;
    assert.ok(vmLists >= 1 && vmLists <= 4, `${vmLists} VM lists for 13 events`);
  });

  it('adversarial order: VMs first, minutes apart, group last; reports the missing group meanwhile and never powers members blindly', async () => {
    const s = await scenario('seq-adv');
    await s.create(backedUpVm('web', 'app'));
    s.time.t += 3 * 60_000;
    await s.create(backedUpVm('db', 'app'));
    s.time.t += 2 * 60_000;
    assert.equal(await s.tick(), undefined);
    const missing = (await s.events()).find((e) => e.reason === REASON_RESTORE_GROUP_MISSING);
    assert.match(
      missing!.message!,
      new RegExp(
        `Group ${s.namespace}/app is not in restore ${s.restore}.*VirtualMachine (web, VirtualMachine db|db, VirtualMachine web) name it and stay powered off`,
      ),
    );
    assert.deepEqual(await s.powers('web', 'db'), ['PoweredOff', 'PoweredOff']);

    const reply = await s.create(
      asKube(
        vmg('app', { powerState: 'PoweredOn', bootOrder: [[vmMember('db')], [vmMember('web')]] }),
      ),
    );
    assert.equal(reply?.type, EVENT_TYPE_RESTORE_GROUP_RELEASED);
    assert.equal((await s.group('app')).spec.powerState, 'PoweredOn');
  });

  it('releases stage by stage when some members were off: delays honoured, off members stay off', async () => {
    const s = await scenario('seq-staged');
    await s.create(
      asKube(
        vmg('app', {
          powerState: 'PoweredOn',
          bootOrder: [
            { members: [vmMember('db')], powerOnDelay: '10s' },
            { members: [vmMember('cache'), vmMember('web')], powerOnDelay: '5s' },
          ],
        }),
      ),
    );
    await s.create(backedUpVm('cache', 'app', 'PoweredOff'));
    await s.create(backedUpVm('db', 'app'));
    const t0 = s.time.t;
    const ready = await s.create(backedUpVm('web', 'app'));
    assert.equal(ready?.type, EVENT_TYPE_RESTORE_GROUP_READY);
    assert.deepEqual((ready!.data as { steps: unknown[] }).steps, [
      {
        offsetSeconds: 10,
        members: [{ kind: 'VirtualMachine', name: 'db', powerState: 'PoweredOn' }],
      },
      {
        offsetSeconds: 15,
        members: [{ kind: 'VirtualMachine', name: 'web', powerState: 'PoweredOn' }],
      },
    ]);
    assert.deepEqual(await s.powers('db', 'cache', 'web'), [
      'PoweredOff',
      'PoweredOff',
      'PoweredOff',
    ]);

    // An ordinary event meanwhile neither releases early nor starts a second chain.
    assert.equal(await s.deliver(apiServerEvent('update', await s.vm('db'))), undefined);

    const chain = await s.broker(ready);
    assert.deepEqual(
      chain.map((e) => e.type),
      [EVENT_TYPE_RESTORE_GROUP_READY, EVENT_TYPE_RESTORE_GROUP_RELEASED],
    );
    assert.equal(s.time.t - t0, 15_000, 'the continuation slept exactly until each stage was due');
    assert.deepEqual(await s.powers('db', 'cache', 'web'), [
      'PoweredOn',
      'PoweredOff',
      'PoweredOn',
    ]);
    assert.equal(
      (await s.group('app')).spec.powerState,
      undefined,
      'a mixed group keeps no power state',
    );
    const progress = JSON.parse(
      (await s.group('app')).metadata.annotations![ANNOTATION_RESTORE_PROGRESS]!,
    );
    assert.deepEqual(progress.times, [
      new Date(t0 + 10_000).toISOString(),
      new Date(t0 + 15_000).toISOString(),
    ]);
    const released = chain[1]!.data as { keptOff: Array<{ name: string; state: string }> };
    assert.deepEqual(
      released.keptOff.map((k) => [k.name, k.state]),
      [['cache', 'PoweredOff']],
    );
    assert.equal((await s.reasons()).filter((r) => r === REASON_RESTORE_STAGE_RELEASED).length, 2);
  });

  it('VM Operator updating the group while the first stage is released: the clock starts at that release, in the same request', async () => {
    let touched = 0;
    const s: Awaited<ReturnType<typeof scenario>> = await scenario('seq-conflict', {
      // What VM Operator's group controller does as members change: a status write, which moves
      // the group's resourceVersion between the sequencer's read and its progress write.
      beforePatch: async (ref) => {
        if (ref.kind !== 'VirtualMachine' || touched++ > 0) return;
        await s.patchStatus(`namespaces/${s.namespace}/virtualmachinegroups/app`, {
          conditions: [
            {
              type: 'ReadyType',
              status: 'False',
              reason: 'NotReady',
              message: '',
              lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
            },
          ],
        });
      },
    });
    await s.create(
      asKube(
        vmg('app', {
          bootOrder: [
            { members: [vmMember('db')] },
            { members: [vmMember('cache'), vmMember('web')], powerOnDelay: '5s' },
          ],
        }),
      ),
    );
    await s.create(backedUpVm('cache', 'app', 'PoweredOff'));
    await s.create(backedUpVm('db', 'app'));
    const t0 = s.time.t;
    const ready = await s.create(backedUpVm('web', 'app'));
    assert.equal(touched > 0, true, 'the group changed during the release');
    assert.equal(ready?.type, EVENT_TYPE_RESTORE_GROUP_READY);
    assert.deepEqual(await s.powers('db', 'web'), ['PoweredOn', 'PoweredOff']);
    const progress = JSON.parse(
      (await s.group('app')).metadata.annotations![ANNOTATION_RESTORE_PROGRESS]!,
    );
    // Not re-run later with a new readyAt (which would delay every later stage by as much).
    assert.equal(progress.readyAt, new Date(t0).toISOString());
    assert.deepEqual(progress.times, [new Date(t0).toISOString()]);
    await s.broker(ready);
    assert.equal(s.time.t - t0, 5_000);
    assert.deepEqual(await s.powers('db', 'cache', 'web'), [
      'PoweredOn',
      'PoweredOff',
      'PoweredOn',
    ]);
  });

  it('long delays chain continuations, each request sleeping no longer than its bound', async () => {
    const s = await scenario('seq-long', { maxWaitMs: 20_000 });
    await s.create(
      asKube(
        vmg('app', {
          powerState: 'PoweredOn',
          bootOrder: [[vmMember('a')], { members: [vmMember('b')], powerOnDelay: '1m' }],
        }),
      ),
    );
    await s.create(backedUpVm('b', 'app', 'PoweredOff'));
    const t0 = s.time.t;
    const ready = await s.create(backedUpVm('a', 'app'));
    assert.deepEqual(await s.powers('a'), ['PoweredOn'], 'stage 0 has no delay and goes at once');
    // b was off at backup: nothing left to release, so a is the whole sequence.
    assert.equal(ready?.type, EVENT_TYPE_RESTORE_GROUP_RELEASED);
    assert.equal(s.time.t, t0);

    const s2 = await scenario('seq-long2', { maxWaitMs: 20_000 });
    await s2.create(
      asKube(
        vmg('app', {
          powerState: 'PoweredOn',
          bootOrder: [
            [vmMember('a')],
            { members: [vmMember('b')], powerOnDelay: '1m' },
            [vmMember('c')],
          ],
        }),
      ),
    );
    await s2.create(backedUpVm('c', 'app', 'PoweredOff'));
    await s2.create(backedUpVm('b', 'app'));
    const t1 = s2.time.t;
    const chain = await s2.broker(await s2.create(backedUpVm('a', 'app')));
    assert.deepEqual(
      chain.map((e) => e.type.split('.').pop()),
      ['group-ready', 'sequence-due', 'sequence-due', 'group-released'],
    );
    assert.equal(s2.time.t - t1, 60_000);
    assert.deepEqual(await s2.powers('a', 'b', 'c'), ['PoweredOn', 'PoweredOn', 'PoweredOff']);
  });

  it('a replica restarted mid-sequence: the tick of another replica continues from the cluster state', async () => {
    const s = await scenario('seq-restart');
    await s.create(
      asKube(
        vmg('app', {
          powerState: 'PoweredOn',
          bootOrder: [
            { members: [vmMember('db')], powerOnDelay: '10s' },
            { members: [vmMember('web')], powerOnDelay: '30s' },
            [vmMember('tool')],
          ],
        }),
      ),
    );
    await s.create(backedUpVm('tool', 'app', 'PoweredOff'));
    await s.create(backedUpVm('web', 'app'));
    const ready = await s.create(backedUpVm('db', 'app'));
    // The continuation is lost with the replica that would have slept; 12 s later another replica gets a tick.
    assert.equal(ready?.type, EVENT_TYPE_RESTORE_GROUP_READY);
    s.restart();
    s.time.t += 12_000;
    assert.equal(await s.tick(), undefined, 'the lease is still live: no second chain');
    assert.deepEqual(await s.powers('db', 'web'), ['PoweredOn', 'PoweredOff']);
    // After the lease expires the next tick restarts the chain.
    s.time.t += 60_000;
    const tick = await s.tick();
    assert.equal(
      tick?.type,
      EVENT_TYPE_RESTORE_GROUP_RELEASED,
      'web was due long ago: released at once',
    );
    assert.deepEqual(await s.powers('db', 'web', 'tool'), ['PoweredOn', 'PoweredOn', 'PoweredOff']);
    const before = (await s.vm('db')).metadata.resourceVersion;
    await s.tick();
    assert.equal(
      (await s.vm('db')).metadata.resourceVersion,
      before,
      'nothing re-applied after release',
    );
  });

  it('one tick finding two trees sends one continuation, and the other tree gets its own on the next event', async () => {
    const s = await scenario('seq-two');
    for (const g of ['blue', 'green']) {
      await s.createOnly(
        asKube(
          vmg(g, {
            powerState: 'PoweredOn',
            bootOrder: [
              [vmMember(`${g}-off`)],
              { members: [vmMember(`${g}-on`)], powerOnDelay: '10s' },
            ],
          }),
        ),
      );
      await s.createOnly(backedUpVm(`${g}-off`, g, 'PoweredOff'));
      await s.createOnly(backedUpVm(`${g}-on`, g));
    }
    const first = await s.tick();
    assert.equal(first?.type, EVENT_TYPE_RESTORE_GROUP_READY);
    const firstGroup = (first!.data as { group: string }).group;
    const second = await s.tick();
    assert.equal(second?.type, EVENT_TYPE_RESTORE_SEQUENCE_DUE);
    const secondGroup = (second!.data as { group: string }).group;
    assert.deepEqual([firstGroup, secondGroup].sort(), ['blue', 'green']);
    assert.equal(await s.tick(), undefined, 'both chains hold a lease now');
    await s.broker(first);
    await s.broker(second);
    assert.deepEqual(await s.powers('blue-on', 'green-on', 'blue-off'), [
      'PoweredOn',
      'PoweredOn',
      'PoweredOff',
    ]);
  });

  it('nested groups: a uniform child is handed to VM Operator at its stage, a mixed child is walked', async () => {
    const s = await scenario('seq-nested');
    await s.create(
      asKube(
        vmg('app', {
          powerState: 'PoweredOn',
          bootOrder: [
            { members: [groupMember('data')], powerOnDelay: '2s' },
            { members: [groupMember('web')], powerOnDelay: '3s' },
          ],
        }),
      ),
    );
    await s.create(
      asKube(
        vmg('data', {
          groupName: 'app',
          powerState: 'PoweredOn',
          bootOrder: [[vmMember('db-1'), vmMember('db-2')]],
        }),
      ),
    );
    await s.create(
      asKube(
        vmg('web', {
          groupName: 'app',
          powerState: 'PoweredOn',
          bootOrder: [[vmMember('web-1')], { members: [vmMember('web-2')], powerOnDelay: '1s' }],
        }),
      ),
    );
    for (const [n, g, p] of [
      ['db-1', 'data', 'PoweredOn'],
      ['db-2', 'data', 'PoweredOn'],
      ['web-2', 'web', 'PoweredOff'],
    ] as const)
      await s.create(backedUpVm(n, g, p));
    const chain = await s.broker(await s.create(backedUpVm('web-1', 'web')));
    assert.equal(chain.at(-1)?.type, EVENT_TYPE_RESTORE_GROUP_RELEASED);
    assert.equal((await s.group('data')).spec.powerState, 'PoweredOn');
    assert.equal((await s.group('web')).spec.powerState, undefined);
    assert.equal((await s.group('app')).spec.powerState, undefined);
    assert.deepEqual(await s.powers('db-1', 'web-1', 'web-2'), [
      'PoweredOff',
      'PoweredOn',
      'PoweredOff',
    ]);
    const data = chain.at(-1)!.data as {
      poweredOn: Array<{ name: string }>;
      unsetGroups: string[];
    };
    assert.deepEqual(data.poweredOn.map((m) => m.name).sort(), ['db-1', 'db-2', 'web-1']);
    assert.deepEqual(data.unsetGroups, ['app', 'web']);
  });

  it('applies captured network addresses while members are held, before the group is complete', async () => {
    const s = await scenario('seq-net');
    await s.create(
      asKube(
        vmg('app', { powerState: 'PoweredOn', bootOrder: [[vmMember('db'), vmMember('web')]] }),
      ),
    );
    const db = backedUpVm('db', 'app');
    (db.spec as Record<string, unknown>).network = {
      interfaces: [{ name: 'eth0', network: { name: 'vnet-1', kind: 'VirtualNetwork' } }],
    };
    db.metadata.annotations = {
      [ANNOTATION_CAPTURED_NETWORK]: JSON.stringify({
        version: 1,
        interfaces: [
          { name: 'eth0', addresses: ['10.0.0.5/24'], gateway4: '10.0.0.1', dhcp4: false },
        ],
      }),
    };
    await s.create(db);
    const live = await s.vm('db');
    assert.deepEqual(live.spec.network?.interfaces?.[0], {
      name: 'eth0',
      network: { name: 'vnet-1', kind: 'VirtualNetwork' },
      addresses: ['10.0.0.5/24'],
      gateway4: '10.0.0.1',
    });
    assert.equal(live.spec.powerState, 'PoweredOff');
  });

  it('a restored VM in no group gets its backed-up power state back at once', async () => {
    const s = await scenario('seq-loner');
    await s.create(backedUpVm('solo', undefined));
    await s.createOnly(backedUpVm('solo-off', undefined, 'PoweredOff'));
    assert.deepEqual(await s.powers('solo', 'solo-off'), ['PoweredOn', 'PoweredOff']);
    await s.tick(); // the tick finds the one whose event was lost
    assert.equal(
      (await s.vm('solo-off')).metadata.annotations?.[ANNOTATION_RESTORE_RELEASED],
      s.restore,
    );
    const rv = (await s.vm('solo')).metadata.resourceVersion;
    await s.tick();
    assert.equal((await s.vm('solo')).metadata.resourceVersion, rv);
  });

  it('a restore without the resource modifier: nothing held, nothing sequenced, said so', async () => {
    const s = await scenario('seq-bare', { modifier: false });
    await s.create(asKube(vmg('app', { powerState: 'PoweredOn', bootOrder: [[vmMember('db')]] })));
    const reply = await s.create(backedUpVm('db', 'app'));
    assert.equal(answer(reply), 'held:not-held');
    assert.equal(
      (await s.group('app')).metadata.annotations?.[ANNOTATION_RESTORE_PROGRESS],
      undefined,
    );
    const e = (await s.events()).find((x) => x.reason === REASON_RESTORE_GROUP_NOT_HELD);
    assert.match(
      e!.message!,
      /VirtualMachineGroup app, VirtualMachine db were restored without the resource modifier/,
    );
  });

  it('a restore that ended with members missing warns and keeps the group held', async () => {
    const s = await scenario('seq-ended');
    await s.create(
      asKube(
        vmg('app', { powerState: 'PoweredOn', bootOrder: [[vmMember('db'), vmMember('lost')]] }),
      ),
    );
    await s.create(backedUpVm('db', 'app'));
    const r = await admin.patch<KubeObject>(
      { apiVersion: 'velero.io/v1', kind: 'Restore', namespace: veleroNs, name: s.restore },
      { type: 'merge', body: { status: { phase: 'PartiallyFailed' } } },
    );
    await s.deliver(apiServerEvent('update', r));
    const e = (await s.events()).find((x) => x.reason === REASON_RESTORE_GROUP_WAITING);
    assert.equal(e?.type, 'Warning');
    assert.match(
      e!.message!,
      /has ended but group .*\/app is incomplete.*VirtualMachine lost \(in app\)/,
    );
    assert.deepEqual(await s.powers('db'), ['PoweredOff']);
  });
});
