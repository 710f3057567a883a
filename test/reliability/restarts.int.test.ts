// Issue 9.3 — restarts. A restore sequence is running in one restore-sequencer process, which
// sleeps in its continuation request — and is SIGKILLed there. The Broker retries the
// continuation on the other replica, which finishes the sequence from what is on the cluster:
// each stage released exactly once, in order, never early.
// - timed (staged: db at +4 s, then web and api at +8 s; cache was off at backup and stays off):
//   killed while waiting for the first stage;
// - gated (issue 16: readiness gate `has-ip`, db, then web 2 s after db has an address, then api
//   2 s after web has one): killed while the first gate is open. The test writes VM status as VM
//   Operator would (powerState, then status.network.primaryIP4 a few seconds after power-on).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { InboundEvent } from '../../functions/runtime/function.ts';
import type { KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import { createKube } from '../../functions/runtime/kube/kube.ts';
import type { Kube } from '../../functions/runtime/kube/kube-api.ts';
import {
  ANNOTATION_READINESS_GATE,
  ANNOTATION_RESTORE_PROGRESS,
  EVENT_TYPE_RESTORE_GROUP_READY,
  EVENT_TYPE_RESTORE_SEQUENCE_DUE,
  REASON_RESTORE_GATE_PASSED,
  REASON_RESTORE_STAGE_RELEASED,
  RESOURCE_MODIFIER_CONFIGMAP,
} from '../../functions/vmgroup/names.ts';
import {
  asKube,
  offerBuilderTarget,
  vm,
  vmg,
  vmMember,
} from '../../functions/vmgroup/test/builders.ts';
import { restoreObject, veleroCreate } from '../../functions/velero/test/velero-create.ts';
import { apiServerEvent } from '../support/cloudevents.ts';
import { rawRequest } from '../harness/cluster-api.ts';
import { testCluster } from '../harness/index.ts';
import type { TestCluster } from '../harness/index.ts';
import { deliverOne, emptyStats } from './support/broker.ts';
import type { DeliveryStats } from './support/broker.ts';
import { figure } from './support/figures.ts';
import { functionKubeconfig } from './support/identity.ts';
import { startReplica } from './support/replicas.ts';
import type { Replica } from './support/replicas.ts';

const VMOP = 'vmoperator.vmware.com/v1alpha5';

/** The subscriber's reply (binary mode) as the event the Broker sends back in. */
function replyEvent(reply: { headers: Record<string, string>; body: string }): InboundEvent {
  const h = reply.headers;
  const extensions: Record<string, string> = {};
  for (const [k, v] of Object.entries(h))
    if (
      k.startsWith('ce-') &&
      ![
        'ce-specversion',
        'ce-id',
        'ce-source',
        'ce-type',
        'ce-subject',
        'ce-time',
        'ce-dataschema',
      ].includes(k)
    )
      extensions[k.slice(3)] = decodeURIComponent(v);
  return {
    id: h['ce-id'] ?? randomUUID(),
    source: decodeURIComponent(h['ce-source'] ?? ''),
    type: h['ce-type'] ?? '',
    ...(h['ce-subject'] ? { subject: decodeURIComponent(h['ce-subject']) } : {}),
    extensions,
    data: JSON.parse(reply.body),
  };
}

interface PowerLog {
  /** ms after t0 at which each VM's spec.powerState first became PoweredOn. */
  poweredOnAt: Map<string, number>;
  /** Every later change of a VM's spec.powerState, as `name:state`. */
  flips: string[];
  last: Map<string, string>;
  stop(): Promise<void>;
}

/**
 * Watches power as VM Operator would see it; `onPoweredOn` is what VM Operator then does (the
 * gated case writes the VM's status as it boots).
 */
function watchPower(
  admin: Kube,
  ns: string,
  t0: number,
  onPoweredOn: (vm: string) => void = () => undefined,
): PowerLog {
  const log: PowerLog = {
    poweredOnAt: new Map(),
    flips: [],
    last: new Map(),
    stop: async () => undefined,
  };
  let watching = true;
  const loop = (async () => {
    while (watching) {
      const list = await admin.list<KubeObject & { spec?: { powerState?: string } }>(
        VMOP,
        'VirtualMachine',
        ns,
      );
      for (const v of list.items) {
        const p = v.spec?.powerState ?? '';
        if (log.last.get(v.metadata.name) === p) continue;
        if (log.last.has(v.metadata.name)) log.flips.push(`${v.metadata.name}:${p}`);
        log.last.set(v.metadata.name, p);
        if (p === 'PoweredOn' && !log.poweredOnAt.has(v.metadata.name)) {
          log.poweredOnAt.set(v.metadata.name, Date.now() - t0);
          onPoweredOn(v.metadata.name);
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  log.stop = async () => {
    watching = false;
    await loop;
  };
  return log;
}

/** Routes each continuation reply back in through the Broker until one is final. */
async function runChain(
  first: InboundEvent,
  o: { targets: () => string[]; stats: DeliveryStats },
): Promise<string[]> {
  const chain: string[] = [];
  let next: InboundEvent | undefined = first;
  while (next) {
    chain.push(next.type);
    const ok = await deliverOne(
      next,
      { targets: o.targets, concurrency: 1, keepLog: true },
      o.stats,
    );
    assert.ok(ok, `${next.type} was not delivered`);
    const reply = o.stats.replies.get(next.id);
    next = reply ? replyEvent(reply) : undefined;
    if (
      next &&
      next.type !== EVENT_TYPE_RESTORE_GROUP_READY &&
      next.type !== EVENT_TYPE_RESTORE_SEQUENCE_DUE
    ) {
      chain.push(next.type);
      next = undefined;
    }
    assert.ok(chain.length < 30, 'the chain does not end');
  }
  return chain;
}

type CoreEvent = KubeObject & {
  reason?: string;
  message?: string;
  count?: number;
  involvedObject?: { name?: string };
};

describe('reliability: a replica killed mid restore sequence (control plane)', function () {
  let cluster: TestCluster;
  let admin: Kube;
  let kubeconfig: string;
  let replicas: Replica[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'vvf-restart-'));

  before(async () => {
    cluster = await testCluster();
    admin = createKube(cluster.kubeconfigPath);
    kubeconfig = await functionKubeconfig(cluster, 'restore-sequencer');
  });
  afterEach(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    replicas = [];
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const startPair = async (): Promise<[Replica, Replica]> => {
    const base = replicas.length;
    replicas = await Promise.all(
      [0, 1].map((i) =>
        startReplica({
          fn: 'restore-sequencer',
          kubeconfig,
          dir,
          index: base + i,
          env: { VELERO_NAMESPACE: 'velero' },
        }),
      ),
    );
    return replicas as [Replica, Replica];
  };

  /**
   * Restores `objects` into a new namespace through `targets` (Velero creating them, the source
   * delivering each add event); returns the group-ready reply the last member's event produced.
   */
  async function restoreThrough(
    prefix: string,
    objects: KubeObject[],
    targets: () => string[],
    stats: DeliveryStats,
  ): Promise<{ ns: string; restore: string; ready: InboundEvent }> {
    const ns = await cluster.newNamespace(prefix);
    const restore = `${prefix}-${randomUUID().slice(0, 6)}`;
    await admin.create(
      restoreObject(restore, 'velero', {
        backupName: 'nightly',
        includedNamespaces: [ns],
        resourceModifier: { kind: 'configmap', name: RESOURCE_MODIFIER_CONFIGMAP },
      }),
    );
    await offerBuilderTarget(admin, ns); // or the restore preflight holds the group
    const item = { restore, backup: 'nightly', namespace: ns };
    let last: InboundEvent | undefined;
    for (const o of objects) {
      const created = await veleroCreate(admin, o, item);
      last = apiServerEvent('add', created);
      assert.equal(await deliverOne(last, { targets, concurrency: 1, keepLog: true }, stats), true);
    }
    const readyReply = stats.replies.get(last!.id);
    assert.ok(readyReply, 'the last member did not complete the group');
    const ready = replyEvent(readyReply);
    assert.equal(ready.type, EVENT_TYPE_RESTORE_GROUP_READY);
    return { ns, restore, ready };
  }

  /** The sequencer's Events on the Restore with `reason`. */
  const restoreEvents = async (restore: string, reason: string): Promise<CoreEvent[]> =>
    (await admin.list<CoreEvent>('v1', 'Event', 'velero')).items.filter(
      (e) => e.involvedObject?.name === restore && e.reason === reason,
    );

  /** Kills `a` `afterMs` into the chain; resolves with when it did (ms after t0). */
  const killAfter = async (a: Replica, afterMs: number, t0: number): Promise<number> => {
    await new Promise((r) => setTimeout(r, afterMs));
    await a.kill();
    return Date.now() - t0;
  };

  it('another replica finishes it, releasing each stage once, in order, never early', async function () {
    this.timeout(5 * 60_000);
    const [a, b] = await startPair();
    const objects: KubeObject[] = [
      asKube(
        vmg('app', {
          powerState: 'PoweredOn',
          bootOrder: [
            { members: [vmMember('db')], powerOnDelay: '4s' },
            { members: [vmMember('cache'), vmMember('web')], powerOnDelay: '4s' },
            [vmMember('api')],
          ],
        }),
      ),
      asKube(vm('api', { groupName: 'app', powerState: 'PoweredOn' })),
      asKube(vm('cache', { groupName: 'app', powerState: 'PoweredOff' })),
      asKube(vm('db', { groupName: 'app', powerState: 'PoweredOn' })),
      asKube(vm('web', { groupName: 'app', powerState: 'PoweredOn' })),
    ];
    // Until the kill, the Broker reaches replica a only (so it is a that sleeps in the chain).
    const targets = () => (a.alive() ? [a.url] : [b.url]);
    const stats: DeliveryStats = emptyStats();
    const { ns, restore, ready } = await restoreThrough('restart', objects, targets, stats);
    const t0 = Date.now();
    const power = watchPower(admin, ns, t0);
    const killed = killAfter(a, 2000, t0); // a is asleep until db is due (+4 s)
    const chain = await runChain(ready, { targets, stats });
    const killedAt = await killed;
    await new Promise((r) => setTimeout(r, 1000));
    await power.stop();

    const events = await restoreEvents(restore, REASON_RESTORE_STAGE_RELEASED);
    const stagesReleased = events.map((e) => /step (\d+)\//.exec(e.message ?? '')?.[1]).sort();
    figure('restarts', {
      killedAtMs: killedAt,
      chain,
      poweredOnAtMs: Object.fromEntries(power.poweredOnAt),
      flips: power.flips,
      stageEvents: events.map((e) => `${e.count ?? 1}× ${e.message}`),
      attempts: stats.log.map((x) => `${x.status}@${x.target === a.url ? 'a' : 'b'}`),
    });
    assert.ok(!a.alive(), 'replica a was not killed');
    assert.ok(
      stats.log.some((x) => x.status === 0 && x.target === a.url),
      'no delivery was cut by the kill',
    );
    // Each VM powered on at most once and never turned off again; cache (off at backup) stays off.
    assert.deepEqual(power.flips.sort(), ['api:PoweredOn', 'db:PoweredOn', 'web:PoweredOn']);
    assert.equal(power.last.get('cache'), 'PoweredOff');
    const at = (n: string) => power.poweredOnAt.get(n)!;
    assert.ok(at('db') >= 4000 - 500, `db released early (${at('db')} ms)`);
    assert.ok(
      at('web') >= at('db') + 4000 - 500 && at('api') >= at('db') + 4000 - 500,
      'second stage not 4 s after the first',
    );
    // Each stage reported once (an Event bumped twice would have count 2).
    assert.deepEqual(stagesReleased, ['1', '2']);
    assert.ok(
      events.every((e) => (e.count ?? 1) === 1),
      'a stage was released twice',
    );
  });

  it('killed while a readiness gate is open: the other replica waits the gate out, skipping and repeating no stage', async function () {
    this.timeout(5 * 60_000);
    const [a, b] = await startPair();
    const objects: KubeObject[] = [
      asKube(
        vmg('app', {
          powerState: 'PoweredOn',
          annotations: { [ANNOTATION_READINESS_GATE]: 'has-ip' },
          bootOrder: [
            [vmMember('db')],
            { members: [vmMember('web')], powerOnDelay: '2s' },
            { members: [vmMember('api')], powerOnDelay: '2s' },
          ],
        }),
      ),
      asKube(vm('api', { groupName: 'app', powerState: 'PoweredOn' })),
      asKube(vm('db', { groupName: 'app', powerState: 'PoweredOn' })),
      asKube(vm('web', { groupName: 'app', powerState: 'PoweredOn' })),
    ];
    const targets = () => (a.alive() ? [a.url] : [b.url]);
    const stats: DeliveryStats = emptyStats();
    // VM Operator's part: a powered-on VM reports PoweredOn after 0.5 s, an address after 4 s.
    const addressAt = new Map<string, number>();
    const writes: Array<Promise<void>> = [];
    let ns = '';
    let t0 = 0;
    const boots = (name: string): void => {
      const status = (s: Record<string, unknown>) =>
        rawRequest(
          cluster.kubeConfig(),
          'PATCH',
          `/apis/${VMOP}/namespaces/${ns}/virtualmachines/${name}/status`,
          { body: JSON.stringify({ status: s }), contentType: 'application/merge-patch+json' },
        ).then((r) => assert.equal(r.status, 200, r.text));
      const later = (ms: number, s: Record<string, unknown>, then?: () => void) =>
        writes.push(
          new Promise<void>((r) => setTimeout(r, ms)).then(async () => {
            await status(s);
            then?.();
          }),
        );
      const ip = `10.30.0.${10 + writes.length}`;
      later(500, { powerState: 'PoweredOn' });
      later(4000, { network: { primaryIP4: ip } }, () => addressAt.set(name, Date.now() - t0));
    };
    // db is released when the group becomes complete, before the chain starts: watch from then.
    const restored = await restoreThrough('restart-gate', objects, targets, stats);
    ns = restored.ns;
    t0 = Date.now();
    const power = watchPower(admin, ns, t0, boots);
    // a sleeps in the gate's poll (every 5 s); db has no address until ~4 s: kill it at 2 s.
    const killed = killAfter(a, 2000, t0);
    const chain = await runChain(restored.ready, { targets, stats });
    const killedAt = await killed;
    await new Promise((r) => setTimeout(r, 1000)); // the watcher sees the last stage's power-on
    await power.stop();
    await Promise.all(writes);

    const group = await admin.get<KubeObject>({
      apiVersion: VMOP,
      kind: 'VirtualMachineGroup',
      namespace: ns,
      name: 'app',
    });
    const progress = JSON.parse(group!.metadata.annotations![ANNOTATION_RESTORE_PROGRESS]!) as {
      times: string[];
      gates: Array<{ outcome: string; closedAt: string }>;
      releasedAt?: string;
    };
    const stageEvents = await restoreEvents(restored.restore, REASON_RESTORE_STAGE_RELEASED);
    const gateEvents = await restoreEvents(restored.restore, REASON_RESTORE_GATE_PASSED);
    figure('restarts-gate', {
      killedAtMs: killedAt,
      chain,
      poweredOnAtMs: Object.fromEntries(power.poweredOnAt),
      addressAtMs: Object.fromEntries(addressAt),
      flips: power.flips,
      gates: progress.gates,
      stageEvents: stageEvents.map((e) => `${e.count ?? 1}× ${e.message}`),
      attempts: stats.log.map((x) => `${x.status}@${x.target === a.url ? 'a' : 'b'}`),
    });
    assert.ok(!a.alive(), 'replica a was not killed');
    assert.ok(
      stats.log.some((x) => x.status === 0 && x.target === a.url),
      'no delivery was cut by the kill: a was not inside the gate',
    );
    assert.ok(progress.releasedAt, 'the sequence did not finish');
    // db was on before the chain started; web and api each powered on once, never turned off.
    assert.deepEqual(power.flips.sort(), ['api:PoweredOn', 'web:PoweredOn']);
    assert.equal(power.last.get('db'), 'PoweredOn');
    const on = (n: string) => power.poweredOnAt.get(n)!;
    assert.ok(
      on('web') >= addressAt.get('db')! + 2000 - 250,
      `web released before db's gate passed + 2 s (web ${on('web')} ms, db address ${addressAt.get('db')} ms)`,
    );
    assert.ok(
      on('api') >= addressAt.get('web')! + 2000 - 250,
      `api released before web's gate passed + 2 s (api ${on('api')} ms, web address ${addressAt.get('web')} ms)`,
    );
    // Each gate passed once and each stage released once (a repeat would bump an Event's count).
    assert.deepEqual(
      progress.gates.map((g) => g.outcome),
      ['passed', 'passed'],
    );
    assert.equal(progress.times.length, 3);
    assert.equal(gateEvents.length, 2);
    assert.deepEqual(stageEvents.map((e) => /step (\d+)\//.exec(e.message ?? '')?.[1]).sort(), [
      '1',
      '2',
      '3',
    ]);
    assert.ok(
      [...stageEvents, ...gateEvents].every((e) => (e.count ?? 1) === 1),
      'a stage or gate was reported twice',
    );
  });
});
