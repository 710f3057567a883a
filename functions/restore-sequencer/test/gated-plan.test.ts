// Readiness gates and restore preflight inside decide(): the sequence a gated tree goes through,
// a replica restarting at any point of it, and trees blocked by what their namespace lacks.
import assert from 'node:assert/strict';
import {
  ANNOTATION_READINESS_GATE,
  ANNOTATION_READINESS_ON_TIMEOUT,
  ANNOTATION_READINESS_TIMEOUT,
  ANNOTATION_RESTORE_PROGRESS,
} from '../../vmgroup/names.ts';
import { decide, type Decision, type Progress } from '../plan.ts';
import type { Target as Offer } from '../preflight.ts';
import type { Vm, World } from '../tree.ts';
import { G, RESTORE, V, restoredVm, restoredVmg, worldOf } from './restored.ts';

const T0 = Date.parse('2026-11-21T10:00:00.000Z');
const at = (ms: number): string => new Date(T0 + ms).toISOString();

function persist(world: World, top: string, p: Progress | undefined): void {
  if (!p) return;
  const g = world.groups.get(top)!;
  g.metadata.annotations = {
    ...g.metadata.annotations,
    [ANNOTATION_RESTORE_PROGRESS]: JSON.stringify(p),
  };
}

type Status = NonNullable<Vm['status']> & { conditions?: Array<{ type: string; status: string }> };
function setStatus(world: World, vm: string, status: Status): void {
  (world.vms.get(vm) as Vm).status = status;
}
const UP: Status = { powerState: 'PoweredOn', network: { primaryIP4: '10.0.0.9' } };

/** db (stage 1, +2 s) → web-1, web-2 (stage 2, +5 s) → tool (off at backup) + api (stage 3). */
function gatedWorld(annotations: Record<string, string>): World {
  return worldOf([
    restoredVmg(
      'app',
      [
        { members: [V('db')], powerOnDelay: '2s' },
        { members: [V('web-1'), V('web-2')], powerOnDelay: '5s' },
        { members: [V('tool'), V('api')] },
      ],
      { was: 'PoweredOn', annotations },
    ),
    restoredVm('db', 'app', { was: 'PoweredOn' }),
    restoredVm('web-1', 'app', { was: 'PoweredOn' }),
    restoredVm('web-2', 'app', { was: 'PoweredOn' }),
    restoredVm('tool', 'app', { was: 'PoweredOff' }),
    restoredVm('api', 'app', { was: 'PoweredOn' }),
  ]);
}

const HAS_IP = { [ANNOTATION_READINESS_GATE]: 'has-ip', [ANNOTATION_READINESS_TIMEOUT]: '1m' };
const summary = (d: Decision) => ({
  state: d.state,
  due: d.due,
  notes: d.gateNotes.map((n) => `${n.kind}@${n.stage + 1}`),
  next: d.nextDueMs === undefined ? undefined : d.nextDueMs - T0,
});

/** Decides at `ms` and writes the progress, as the handler does. */
function step(world: World, ms: number): ReturnType<typeof summary> {
  const d = decide(world, 'app', RESTORE, T0 + ms);
  persist(world, 'app', d.progress);
  return summary(d);
}

describe('restore sequencer: a gated sequence', () => {
  it('never delegates a gated tree and keeps each top-level stage apart', () => {
    const d = decide(gatedWorld(HAS_IP), 'app', RESTORE, T0);
    assert.equal(d.schedule?.mode, 'staged');
    assert.deepEqual(
      d.schedule!.steps.map((s) => [s.stage, s.offsetMs, s.entries.map((e) => e.ref.name)]),
      [
        [0, 0, ['db']],
        [1, 0, ['web-1', 'web-2']],
        [2, 0, ['api']],
      ],
    );
    assert.deepEqual(
      d.schedule!.stages!.map((s) => [s.delayMs, s.poweredOn]),
      [
        [2000, ['db']],
        [5000, ['web-1', 'web-2']],
        [0, ['api']],
      ],
    );
    assert.deepEqual(d.gate, { readiness: 'has-ip', timeoutMs: 60_000, onTimeout: 'continue' });
  });

  it('waits at each gate, reports each change once, passes, and honours the delay after it', () => {
    const w = gatedWorld(HAS_IP);
    const table: Array<[number, (() => void) | undefined, ReturnType<typeof summary>]> = [
      [0, undefined, { state: 'releasing', due: [], notes: [], next: 2000 }],
      // Stage 1 released at +2 s; its gate opens at once (db has no IP yet).
      [2000, undefined, { state: 'releasing', due: [0], notes: ['waiting@1'], next: 62_000 }],
      // Polled again: same lack, nothing new to say or write.
      [7000, undefined, { state: 'releasing', due: [], notes: [], next: 62_000 }],
      // db powered on, still no IP: a new waiting report.
      [
        9000,
        () => setStatus(w, 'db', { powerState: 'PoweredOn' }),
        { state: 'releasing', due: [], notes: ['waiting@1'], next: 62_000 },
      ],
      // db has an address: the gate passes now, stage 2 is due 5 s later (not at +7 s).
      [
        20_000,
        () => setStatus(w, 'db', UP),
        { state: 'releasing', due: [], notes: ['passed@1'], next: 25_000 },
      ],
      [24_999, undefined, { state: 'releasing', due: [], notes: [], next: 25_000 }],
      [25_000, undefined, { state: 'releasing', due: [1], notes: ['waiting@2'], next: 85_000 }],
      [
        30_000,
        () => {
          setStatus(w, 'web-1', UP);
          setStatus(w, 'web-2', UP);
        },
        // Stage 3 has no delay: the gate passes and stage 3 goes in the same pass; tool stays off.
        { state: 'released', due: [2], notes: ['passed@2'], next: undefined },
      ],
    ];
    for (const [ms, change, want] of table) {
      change?.();
      assert.deepEqual(step(w, ms), want, `at +${ms} ms`);
    }
    const p = JSON.parse(
      w.groups.get('app')!.metadata.annotations![ANNOTATION_RESTORE_PROGRESS]!,
    ) as Progress;
    assert.deepEqual(p.gates, [
      { closedAt: at(20_000), outcome: 'passed' },
      { closedAt: at(30_000), outcome: 'passed' },
    ]);
    assert.equal(p.releasedAt, at(30_000));
  });

  it('times out under continue: warns, then releases the next stage its delay later', () => {
    const w = gatedWorld(HAS_IP);
    step(w, 0);
    step(w, 2000);
    setStatus(w, 'db', { powerState: 'PoweredOn' });
    assert.deepEqual(step(w, 62_000), {
      state: 'releasing',
      due: [],
      notes: ['timed-out@1'],
      next: 67_000,
    });
    assert.deepEqual(step(w, 67_000).due, [1]);
  });

  it('times out under stop: stays stopped (even when the VMs come up) until the policy says continue', () => {
    const w = gatedWorld({ ...HAS_IP, [ANNOTATION_READINESS_ON_TIMEOUT]: 'stop' });
    step(w, 0);
    step(w, 2000);
    assert.deepEqual(step(w, 62_000), {
      state: 'stopped',
      due: [],
      notes: ['stopped@1'],
      next: undefined,
    });
    setStatus(w, 'db', UP);
    const later = decide(w, 'app', RESTORE, T0 + 120_000);
    assert.deepEqual(summary(later), { state: 'stopped', due: [], notes: [], next: undefined });
    assert.equal(later.progress, undefined, 'nothing to write while stopped');
    assert.equal(later.stopped?.stage, 0);
    // The chain that stopped holds no lease any more: the resuming event may start the next one.
    const leased = JSON.parse(
      w.groups.get('app')!.metadata.annotations![ANNOTATION_RESTORE_PROGRESS]!,
    ) as Record<string, unknown>;
    persist(w, 'app', {
      ...(leased as unknown as Progress),
      lease: new Date(T0 + 200_000).toISOString(),
    });
    const unleased = decide(w, 'app', RESTORE, T0 + 121_000);
    assert.equal(unleased.state, 'stopped');
    assert.equal(unleased.progress?.lease, undefined);
    assert.ok(unleased.progress, 'the lease is dropped');
    persist(w, 'app', unleased.progress);
    // The user resumes: the recorded timeout now means continue, due 5 s after it closed.
    w.groups.get('app')!.metadata.annotations![ANNOTATION_READINESS_ON_TIMEOUT] = 'continue';
    assert.deepEqual(step(w, 130_000).due, [1]);
  });

  it('a replica restarting at any second decides as one that never stopped', () => {
    // One continuous run, then for every instant a fresh replica that sees only what was written.
    const statusAt = (ms: number): Status | undefined => (ms >= 12_000 ? UP : undefined);
    const run = (restartAt?: number): Array<ReturnType<typeof summary>> => {
      const w = gatedWorld(HAS_IP);
      const out = [];
      for (let ms = 0; ms <= 40_000; ms += 1000) {
        const s = statusAt(ms);
        if (s) for (const vm of ['db', 'web-1', 'web-2']) setStatus(w, vm, s);
        // A restart loses nothing but memory: the world (cluster) stays as written.
        if (ms === restartAt) out.push({ ...step(w, ms), restarted: true });
        else out.push(step(w, ms));
      }
      return out.map(
        ({ restarted: _r, ...x }: ReturnType<typeof summary> & { restarted?: boolean }) => x,
      );
    };
    const continuous = run();
    const releases = continuous.flatMap((s) => s.due);
    assert.deepEqual(releases, [0, 1, 2], 'each stage released exactly once');
    for (let r = 0; r <= 40_000; r += 1000) assert.deepEqual(run(r), continuous);
  });

  it('a stage that powers nothing on has no gate; removing the annotation mid-sequence leaves the delays only', () => {
    const w = worldOf([
      restoredVmg(
        'app',
        [
          { members: [V('off')], powerOnDelay: '1s' },
          { members: [V('db')], powerOnDelay: '2s' },
          { members: [V('web')], powerOnDelay: '3s' },
        ],
        { was: 'PoweredOn', annotations: HAS_IP },
      ),
      restoredVm('off', 'app', { was: 'PoweredOff' }),
      restoredVm('db', 'app', { was: 'PoweredOn' }),
      restoredVm('web', 'app', { was: 'PoweredOn' }),
    ]);
    // Stage 1 (+1 s) powers nothing on: passed at +1 s without a gate; stage 2 starts 2 s later.
    assert.deepEqual(step(w, 0).next, 1000);
    assert.deepEqual(step(w, 3000), {
      state: 'releasing',
      due: [0],
      notes: ['waiting@2'],
      next: 63_000,
    });
    delete w.groups.get('app')!.metadata.annotations![ANNOTATION_READINESS_GATE];
    assert.deepEqual(step(w, 4000), { state: 'releasing', due: [], notes: [], next: 6000 });
    assert.equal(step(w, 6000).state, 'released');
  });

  it('nested groups inside a gated stage: the gate waits for every VM the stage reaches', () => {
    const w = worldOf([
      restoredVmg('app', [{ members: [G('data')] }, { members: [V('web')], powerOnDelay: '1s' }], {
        was: 'PoweredOn',
        annotations: HAS_IP,
      }),
      restoredVmg('data', [{ members: [V('db-1'), V('db-2')] }], {
        parent: 'app',
        was: 'PoweredOn',
      }),
      restoredVm('db-1', 'data', { was: 'PoweredOn' }),
      restoredVm('db-2', 'data', { was: 'PoweredOn' }),
      restoredVm('web', 'app', { was: 'PoweredOn' }),
    ]);
    const d = decide(w, 'app', RESTORE, T0);
    assert.deepEqual(
      d.schedule!.steps[0]!.entries.map((e) => `${e.ref.kind}/${e.ref.name}`),
      ['VirtualMachineGroup/data'],
    );
    assert.deepEqual(d.schedule!.stages![0]!.poweredOn, ['db-1', 'db-2']);
    persist(w, 'app', d.progress);
    setStatus(w, 'db-1', UP);
    // What the gate waits for changed (db-1 is up): reported again, naming only db-2.
    assert.deepEqual(step(w, 1000).notes, ['waiting@1']);
    setStatus(w, 'db-2', UP);
    assert.deepEqual(step(w, 2000), {
      state: 'releasing',
      due: [],
      notes: ['passed@1'],
      next: 3000,
    });
  });

  it('an invalid gate annotation blocks with the reason', () => {
    const d = decide(gatedWorld({ [ANNOTATION_READINESS_GATE]: 'green' }), 'app', RESTORE, T0);
    assert.equal(d.state, 'blocked');
    assert.match(d.problem!, /readiness-gate: "green" is not one of powered-on, has-ip, ready/);
  });
});

describe('restore sequencer: preflight inside the decision', () => {
  const offer = (o: Partial<Offer> = {}): Offer => ({
    namespace: 'apps',
    images: [],
    clusterImages: [],
    classes: ['best-effort-small'],
    storageClasses: ['wcp-storage'],
    quotaKeys: ['wcp-storage.storageclass.storage.k8s.io/requests.storage'],
    encryptionClasses: [],
    ...o,
  });
  const tree = (off?: boolean): World =>
    worldOf([
      restoredVmg('app', [{ members: [V('db'), V('web')] }], { was: 'PoweredOn' }),
      restoredVm('db', 'app', { was: off ? 'PoweredOff' : 'PoweredOn' }),
      restoredVm('web', 'app', { was: 'PoweredOn' }),
    ]);
  const withOffer = (w: World, o: Offer): World => ({ ...w, offer: o });

  const cases: Array<[string, World, Decision['state'], RegExp | undefined]> = [
    ['everything offered: released', withOffer(tree(), offer()), 'released', undefined],
    [
      'class not bound: blocked, naming the VMs, the class and the fix',
      withOffer(tree(), offer({ classes: [] })),
      'blocked',
      /VM db: class best-effort-small VirtualMachineClass not available in namespace apps; bind the class.*VM web: class/,
    ],
    [
      'storage class not assigned by quota: blocked',
      withOffer(tree(), offer({ quotaKeys: [] })),
      'blocked',
      /storage class wcp-storage not assigned to namespace apps/,
    ],
    [
      'a VM kept off lacks its class: reported, not blocking',
      withOffer(
        worldOf([
          restoredVmg('app', [{ members: [V('db')] }, { members: [V('web')] }], {
            was: 'PoweredOn',
          }),
          restoredVm('db', 'app', { was: 'PoweredOff' }),
          { ...restoredVm('web', 'app', { was: 'PoweredOn' }) },
        ]),
        offer({ classes: [] }),
      ),
      'blocked',
      /VM web/,
    ],
    ['nothing read (no held VM names anything): no check', tree(), 'released', undefined],
  ];
  for (const [name, world, state, problem] of cases)
    it(name, () => {
      const d = decide(world, 'app', RESTORE, T0);
      assert.equal(d.state, state);
      if (problem) assert.match(d.problem ?? '', problem);
      else assert.equal(d.problem, undefined);
    });

  it('blocks a tree whose members are still missing rather than reporting it waiting', () => {
    const w = withOffer(
      worldOf([
        restoredVmg('app', [{ members: [V('db'), V('web')] }], { was: 'PoweredOn' }),
        restoredVm('db', 'app', { was: 'PoweredOn' }),
      ]),
      offer({ classes: [] }),
    );
    const d = decide(w, 'app', RESTORE, T0);
    assert.equal(d.state, 'blocked');
    assert.deepEqual(
      d.unstartable.map((u) => [u.vm, u.blocks, u.lacks.map((l) => l.what)]),
      [['db', true, ['class']]],
    );
  });

  it('once the namespace offers it, the next pass releases', () => {
    const w = withOffer(tree(), offer({ classes: [] }));
    assert.equal(decide(w, 'app', RESTORE, T0).state, 'blocked');
    assert.equal(decide({ ...w, offer: offer() }, 'app', RESTORE, T0 + 1000).state, 'released');
  });

  it('a sequence already under way is not stopped by preflight (it still reports)', () => {
    const w = worldOf([
      restoredVmg('app', [{ members: [V('db')] }, { members: [V('web')], powerOnDelay: '10s' }], {
        was: 'PoweredOn',
      }),
      restoredVm('db', 'app', { was: 'PoweredOn' }),
      restoredVm('web', 'app', { was: 'PoweredOff' }),
      restoredVm('x', 'app', { was: 'PoweredOn' }),
    ]);
    (w.groups.get('app')!.spec!.bootOrder![1]!.members ??= []).push({
      kind: 'VirtualMachine',
      name: 'x',
    });
    const first = decide({ ...w, offer: offer() }, 'app', RESTORE, T0);
    assert.equal(first.state, 'releasing');
    persist(w, 'app', first.progress);
    const d = decide({ ...w, offer: offer({ classes: [] }) }, 'app', RESTORE, T0 + 1000);
    assert.equal(d.state, 'releasing');
    // The pure world has no released marks (the handler writes them), so db is still checked.
    assert.deepEqual(
      d.unstartable.map((u) => u.vm),
      ['db', 'web', 'x'],
    );
  });
});
