// Readiness-gated restores on the real control plane (issue 16.1). The test writes VM status as
// VM Operator would while each released VM boots (guest-boot.ts), on the scenario's clock, and
// checks that stage n+1 is released only when every powered-on VM of stage n is ready in the
// chosen sense — then exactly its powerOnDelay later — and what happens when a stage's timeout
// runs out under each policy. The Events at each gate are read back from the API server.

import assert from 'node:assert/strict';
import type { Kube, KubeObject } from '../../runtime/kube/kube-api.ts';
import {
  ANNOTATION_READINESS_GATE,
  ANNOTATION_READINESS_ON_TIMEOUT,
  ANNOTATION_READINESS_TIMEOUT,
  ANNOTATION_RESTORE_PROGRESS,
  EVENT_TYPE_RESTORE_GROUP_READY,
  EVENT_TYPE_RESTORE_GROUP_RELEASED,
  REASON_RESTORE_GATE_PASSED,
  REASON_RESTORE_GATE_TIMED_OUT,
  REASON_RESTORE_GATE_WAITING,
} from '../../vmgroup/names.ts';
import { asKube, vm, vmg, vmMember } from '../../vmgroup/test/builders.ts';
import { VMOP } from '../handler.ts';
import { GuestBoot, type BootScript } from './guest-boot.ts';
import {
  answer,
  sequencerPlane,
  type CoreEvent,
  type Scenario,
  type SequencerPlane,
} from './plane.ts';

/** The guest's heartbeat must be green: what makes VM Operator set the Ready condition. */
const PROBE = { readinessProbe: { guestHeartbeat: { thresholdStatus: 'green' } } };

interface Progress {
  readyAt: string;
  times: string[];
  gates?: Array<{ closedAt: string; outcome: string } | null>;
  releasedAt?: string;
}

/** A three-stage application: db (db-replica was off at backup), then app 5 s later, then web 3 s later. */
function gatedApp(annotations: Record<string, string>): KubeObject[] {
  return [
    asKube(
      vmg('app', {
        powerState: 'PoweredOn',
        annotations,
        bootOrder: [
          [vmMember('db'), vmMember('db-replica')],
          { members: [vmMember('app')], powerOnDelay: '5s' },
          { members: [vmMember('web')], powerOnDelay: '3s' },
        ],
      }),
    ),
    asKube(vm('app', { groupName: 'app', spec: PROBE })),
    asKube(vm('db', { groupName: 'app', spec: PROBE })),
    asKube(vm('db-replica', { groupName: 'app', powerState: 'PoweredOff', spec: PROBE })),
    asKube(vm('web', { groupName: 'app', spec: PROBE })),
  ];
}

const at = (t0: number, s: number): string => new Date(t0 + s * 1000).toISOString();

describe('restore sequencer: readiness gates (control plane)', function () {
  this.timeout(180_000);
  let admin: Kube;
  let scenario: SequencerPlane['scenario'];

  before(async function () {
    ({ admin, scenario } = await sequencerPlane());
  });

  /** Creates every object (the last completes the group) and returns the group-ready reply's chain. */
  async function restoreAll(s: Scenario, objects: KubeObject[]) {
    let last;
    for (const o of objects) last = await s.create(o);
    assert.equal(last?.type, EVENT_TYPE_RESTORE_GROUP_READY);
    return last;
  }

  const progressOf = async (s: Scenario): Promise<Progress> =>
    JSON.parse((await s.group('app')).metadata.annotations![ANNOTATION_RESTORE_PROGRESS]!);

  const byReason = (events: CoreEvent[], reason: string): CoreEvent[] =>
    events.filter((e) => e.reason === reason);

  // db comes up slowly (on at +2 s, an address at +8 s, Ready at +17 s); app quickly (+1, +4, +6).
  const SCRIPTS: Record<string, BootScript> = {
    db: { poweredOnMs: 2_000, ipMs: 8_000, readyMs: 17_000 },
    app: { poweredOnMs: 1_000, ipMs: 4_000, readyMs: 6_000 },
    web: { poweredOnMs: 1_000, ipMs: 2_000, readyMs: 3_000 },
  };

  // The gate is polled every 5 s: a gate closes at the first poll at which its VMs are ready,
  // and the next stage is released exactly its powerOnDelay after that.
  const CASES = [
    { readiness: 'powered-on', words: 'powered on', closes: [5, 15], released: [0, 10, 18] },
    {
      readiness: 'has-ip',
      words: 'powered on with an IP address',
      closes: [10, 20],
      released: [0, 15, 23],
    },
    {
      readiness: 'ready',
      words: 'Ready \\(condition Ready True\\)',
      closes: [20, 35],
      released: [0, 25, 38],
    },
  ];

  for (const c of CASES)
    it(`readiness "${c.readiness}": stage n+1 waits until every powered-on VM of stage n qualifies, then its powerOnDelay`, async () => {
      const s = await scenario(`gate-${c.readiness}`, { maxWaitMs: 60_000 });
      const boot = new GuestBoot(s, SCRIPTS);
      const ready = await restoreAll(s, gatedApp({ [ANNOTATION_READINESS_GATE]: c.readiness }));
      const t0 = s.time.t;
      assert.deepEqual(await s.powers('db', 'db-replica', 'app', 'web'), [
        'PoweredOn',
        'PoweredOff',
        'PoweredOff',
        'PoweredOff',
      ]);
      assert.deepEqual((ready!.data as { gate: unknown }).gate, {
        readiness: c.readiness,
        timeoutSeconds: 600,
        onTimeout: 'continue',
      });
      // The group is never handed to VM Operator's timers: it keeps no power state of its own.
      assert.equal((await s.group('app')).spec.powerState, undefined);

      const chain = await s.broker(ready);
      assert.equal(chain.at(-1)?.type, EVENT_TYPE_RESTORE_GROUP_RELEASED);
      await boot.observe(s.time.t); // VM Operator's next reconcile sees the last stage's power-on
      const p = await progressOf(s);
      assert.deepEqual(
        p.times,
        c.released.map((x) => at(t0, x)),
        'stage release times',
      );
      assert.deepEqual(
        p.gates,
        c.closes.map((x) => ({ closedAt: at(t0, x), outcome: 'passed' })),
      );
      // What VM Operator saw: each VM asked to power on once, at its stage's release.
      assert.deepEqual(
        ['db', 'app', 'web'].map((n) => boot.requestedAt.get(n)! - t0),
        c.released.map((x) => x * 1000),
      );
      assert.equal(boot.requestedAt.has('db-replica'), false, 'db-replica stays off');
      assert.deepEqual(await s.powers('db-replica'), ['PoweredOff']);

      // An Event at each gate, on the Restore and on the group: waiting, then passed.
      for (const events of [await s.events(), await s.groupEvents('app')]) {
        assert.equal(byReason(events, REASON_RESTORE_GATE_WAITING).length, 2);
        const passed = byReason(events, REASON_RESTORE_GATE_PASSED)
          .map((e) => e.message!)
          .sort();
        assert.equal(passed.length, 2);
        assert.match(
          passed[0]!,
          new RegExp(
            `every VM of stage 1/3 is ${c.words}; stage 2 is due at ${at(t0, c.closes[0]! + 5)}`,
          ),
        );
        assert.match(
          passed[1]!,
          new RegExp(
            `every VM of stage 2/3 is ${c.words}; stage 3 is due at ${at(t0, c.closes[1]! + 3)}`,
          ),
        );
        assert.equal(byReason(events, REASON_RESTORE_GATE_TIMED_OUT).length, 0);
      }
    });

  it('the waiting Event says which VM the gate waits for and why, as that changes', async () => {
    const s = await scenario('gate-why', { maxWaitMs: 7_000 });
    new GuestBoot(s, SCRIPTS);
    const ready = await restoreAll(s, gatedApp({ [ANNOTATION_READINESS_GATE]: 'has-ip' }));
    const waiting = async () =>
      byReason(await s.events(), REASON_RESTORE_GATE_WAITING).find((e) =>
        e.message!.includes('stage 2 waits'),
      )!;
    assert.match(
      (await waiting()).message!,
      /not yet: db \(not powered on yet \(powerState unset\)\)/,
    );
    // One continuation request (7 s budget): the poll at +5 s finds db on but without an address.
    const next = await s.deliver({
      id: 'c1',
      source: 'test',
      type: ready!.type,
      subject: ready!.subject,
      extensions: {},
      data: ready!.data,
    });
    assert.match((await waiting()).message!, /not yet: db \(no IP address yet/);
    assert.deepEqual(
      await s.powers('app'),
      ['PoweredOff'],
      'app is not released while db has no IP',
    );
    await s.broker(next);
    assert.deepEqual(await s.powers('db', 'app', 'web'), ['PoweredOn', 'PoweredOn', 'PoweredOn']);
  });

  it('a stage timeout with readiness-on-timeout=continue: a Warning, then the next stage its delay later', async () => {
    const s = await scenario('gate-continue', { maxWaitMs: 60_000 });
    // db never reports Ready: it has no readiness probe, so VM Operator never sets the condition.
    const objects = gatedApp({
      [ANNOTATION_READINESS_GATE]: 'ready',
      [ANNOTATION_READINESS_TIMEOUT]: '30s',
      [ANNOTATION_READINESS_ON_TIMEOUT]: 'continue',
    });
    delete (
      objects.find((o) => o.kind === 'VirtualMachine' && o.metadata.name === 'db')!.spec as Record<
        string,
        unknown
      >
    ).readinessProbe;
    new GuestBoot(s, SCRIPTS);
    const ready = await restoreAll(s, objects);
    const t0 = s.time.t;
    const chain = await s.broker(ready);
    assert.equal(chain.at(-1)?.type, EVENT_TYPE_RESTORE_GROUP_RELEASED);
    const p = await progressOf(s);
    // Gate 1 times out at +30 s; app 5 s later; app is Ready 6 s after its power-on (poll at +45).
    assert.deepEqual(p.gates, [
      { closedAt: at(t0, 30), outcome: 'timed-out' },
      { closedAt: at(t0, 45), outcome: 'passed' },
    ]);
    assert.deepEqual(p.times, [at(t0, 0), at(t0, 35), at(t0, 48)]);
    for (const events of [await s.events(), await s.groupEvents('app')]) {
      const [timedOut, ...more] = byReason(events, REASON_RESTORE_GATE_TIMED_OUT);
      assert.equal(more.length, 0);
      assert.equal(timedOut!.type, 'Warning');
      assert.match(
        timedOut!.message!,
        new RegExp(
          `VMs of stage 1/3 not Ready \\(condition Ready True\\) after 30s: db \\(no Ready condition yet \\(VM Operator sets it from spec.readinessProbe\\)\\); continuing \\(readiness-on-timeout=continue\\): stage 2 is due at ${at(t0, 35)}`,
        ),
      );
      assert.equal(byReason(events, REASON_RESTORE_GATE_PASSED).length, 1);
    }
  });

  it('a stage timeout with readiness-on-timeout=stop: later stages stay off and the group is reported stopped; switching the policy to continue goes on', async () => {
    const s = await scenario('gate-stop', { maxWaitMs: 60_000 });
    const scripts = { ...SCRIPTS, db: { poweredOnMs: 2_000, ipMs: 8_000 } }; // never Ready
    new GuestBoot(s, scripts);
    const ready = await restoreAll(
      s,
      gatedApp({
        [ANNOTATION_READINESS_GATE]: 'ready',
        [ANNOTATION_READINESS_TIMEOUT]: '20s',
        [ANNOTATION_READINESS_ON_TIMEOUT]: 'stop',
      }),
    );
    const t0 = s.time.t;
    const chain = await s.broker(ready);
    assert.notEqual(chain.at(-1)?.type, EVENT_TYPE_RESTORE_GROUP_RELEASED);
    assert.equal(s.time.t - t0, 20_000, 'the chain ended at the timeout');
    assert.deepEqual(await s.powers('db', 'app', 'web'), ['PoweredOn', 'PoweredOff', 'PoweredOff']);
    assert.deepEqual((await progressOf(s)).gates, [{ closedAt: at(t0, 20), outcome: 'timed-out' }]);
    const warning = byReason(await s.events(), REASON_RESTORE_GATE_TIMED_OUT)[0]!;
    assert.equal(warning.type, 'Warning');
    assert.match(
      warning.message!,
      /not Ready \(condition Ready True\) after 20s: db \(Ready condition is False\); stopped \(readiness-on-timeout=stop\): stages 2-3 stay powered off\. To go on: kubectl annotate vmg -n \S+ app vmgroup-backup\.dev\/readiness-on-timeout=continue --overwrite/,
    );
    assert.equal(byReason(await s.groupEvents('app'), REASON_RESTORE_GATE_TIMED_OUT).length, 1);

    // Later events: still stopped, even once db is Ready (the user was told it stopped).
    await s.time.advance(30_000);
    await s.writeStatus('db', {
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'True',
          message: '',
          lastTransitionTime: at(t0, 50).replace('.000Z', 'Z'),
        },
      ],
    });
    const held = await s.groupChanged('app');
    assert.equal(answer(held), 'held:stopped');
    const data = held!.data as { reasons: string[]; stoppedAfterStage: number };
    assert.equal(data.stoppedAfterStage, 1);
    assert.match(
      data.reasons[0]!,
      /the gate after stage 1 timed out at .*readiness-on-timeout=stop.*to go on: kubectl annotate/,
    );
    assert.equal(await s.tick(), undefined);
    assert.deepEqual(await s.powers('app', 'web'), ['PoweredOff', 'PoweredOff']);

    // The user switches the policy: app is long due, so it goes at once; web follows its gate.
    await admin.patch(
      { apiVersion: VMOP, kind: 'VirtualMachineGroup', namespace: s.namespace, name: 'app' },
      {
        type: 'merge',
        body: { metadata: { annotations: { [ANNOTATION_READINESS_ON_TIMEOUT]: 'continue' } } },
      },
    );
    const tAnnotated = s.time.t;
    const goOn = await s.broker(await s.groupChanged('app'));
    assert.equal(goOn.at(-1)?.type, EVENT_TYPE_RESTORE_GROUP_RELEASED);
    const p = await progressOf(s);
    assert.equal(p.times[1], new Date(tAnnotated).toISOString());
    assert.deepEqual(await s.powers('db', 'app', 'web'), ['PoweredOn', 'PoweredOn', 'PoweredOn']);
  });
});
