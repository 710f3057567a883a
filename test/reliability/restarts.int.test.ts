// Issue 9.3 — restarts. A restore sequence (staged: db at +4 s, then web and api at +8 s; cache
// was off at backup and stays off) is running in one restore-sequencer process, which sleeps in
// its continuation request until the first stage is due — and is SIGKILLed there. The Broker
// retries the continuation on the other replica, which finishes the sequence from what is on the
// cluster: each stage released exactly once, in order, never early.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { InboundEvent } from '../../functions/runtime/function.ts';
import type { KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import { createKube } from '../../functions/runtime/kube/kube.ts';
import {
  EVENT_TYPE_RESTORE_GROUP_READY,
  EVENT_TYPE_RESTORE_SEQUENCE_DUE,
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

describe('reliability: a replica killed mid restore sequence (control plane)', function () {
  let cluster: TestCluster;
  let replicas: Replica[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'vvf-restart-'));

  before(async () => {
    cluster = await testCluster();
  });
  after(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('another replica finishes it, releasing each stage once, in order, never early', async function () {
    this.timeout(5 * 60_000);
    const admin = createKube(cluster.kubeconfigPath);
    const kubeconfig = await functionKubeconfig(cluster, 'restore-sequencer');
    replicas = await Promise.all(
      [0, 1].map((index) =>
        startReplica({
          fn: 'restore-sequencer',
          kubeconfig,
          dir,
          index,
          env: { VELERO_NAMESPACE: 'velero' },
        }),
      ),
    );
    const [a, b] = replicas as [Replica, Replica];
    const ns = await cluster.newNamespace('restart');
    await offerBuilderTarget(admin, ns);
    const restore = `restart-${randomUUID().slice(0, 6)}`;
    await admin.create(
      restoreObject(restore, 'velero', {
        backupName: 'nightly',
        includedNamespaces: [ns],
        resourceModifier: { kind: 'configmap', name: RESOURCE_MODIFIER_CONFIGMAP },
      }),
    );
    const item = { restore, backup: 'nightly', namespace: ns };
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
    let targets = () => (a.alive() ? [a.url] : [b.url]);
    const stats: DeliveryStats = emptyStats();
    let last: InboundEvent | undefined;
    for (const o of objects) {
      const created = await veleroCreate(admin, o, item);
      last = apiServerEvent('add', created);
      assert.equal(
        await deliverOne(last, { targets: () => targets(), concurrency: 1, keepLog: true }, stats),
        true,
      );
    }
    const readyReply = stats.replies.get(last!.id);
    assert.ok(readyReply, 'the last member did not complete the group');
    let next: InboundEvent | undefined = replyEvent(readyReply);
    assert.equal(next.type, EVENT_TYPE_RESTORE_GROUP_READY);
    const t0 = Date.now();

    // Watch power as VM Operator would see it.
    const poweredOnAt = new Map<string, number>();
    const flips: string[] = [];
    const last_ = new Map<string, string>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const list = await admin.list<KubeObject & { spec?: { powerState?: string } }>(
          VMOP,
          'VirtualMachine',
          ns,
        );
        for (const v of list.items) {
          const p = v.spec?.powerState ?? '';
          if (last_.get(v.metadata.name) !== p) {
            if (last_.has(v.metadata.name)) flips.push(`${v.metadata.name}:${p}`);
            last_.set(v.metadata.name, p);
            if (p === 'PoweredOn' && !poweredOnAt.has(v.metadata.name))
              poweredOnAt.set(v.metadata.name, Date.now() - t0);
          }
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    // The chain: each continuation answered with the next, routed back in by the Broker.
    const chain: string[] = [];
    let killedAt = -1;
    const killer = (async () => {
      await new Promise((r) => setTimeout(r, 2000)); // a is asleep until db is due (+4 s)
      await a.kill();
      killedAt = Date.now() - t0;
    })();
    while (next) {
      chain.push(next.type);
      const ok = await deliverOne(
        next,
        { targets: () => targets(), concurrency: 1, keepLog: true },
        stats,
      );
      assert.ok(ok, `${next.type} was not delivered`);
      const reply = stats.replies.get(next.id);
      next = reply ? replyEvent(reply) : undefined;
      if (
        next &&
        next.type !== EVENT_TYPE_RESTORE_GROUP_READY &&
        next.type !== EVENT_TYPE_RESTORE_SEQUENCE_DUE
      ) {
        chain.push(next.type);
        next = undefined;
      }
      assert.ok(chain.length < 20, 'the chain does not end');
    }
    await killer;
    await new Promise((r) => setTimeout(r, 1000));
    watching = false;
    await watcher;
    targets = () => [b.url];

    const events = (
      await admin.list<
        KubeObject & { reason?: string; message?: string; involvedObject?: { name?: string } }
      >('v1', 'Event', 'velero')
    ).items.filter(
      (e) => e.involvedObject?.name === restore && e.reason === REASON_RESTORE_STAGE_RELEASED,
    );
    const stagesReleased = events.map((e) => /step (\d+)\//.exec(e.message ?? '')?.[1]).sort();
    figure('restarts', {
      killedAtMs: killedAt,
      chain,
      poweredOnAtMs: Object.fromEntries(poweredOnAt),
      flips,
      stageEvents: events.map((e) => `${(e as { count?: number }).count ?? 1}× ${e.message}`),
      attempts: stats.log.map((x) => `${x.status}@${x.target === a.url ? 'a' : 'b'}`),
    });
    assert.ok(!a.alive(), 'replica a was not killed');
    assert.ok(
      stats.log.some((x) => x.status === 0 && x.target === a.url),
      'no delivery was cut by the kill',
    );
    // Each VM powered on at most once and never turned off again; cache (off at backup) stays off.
    assert.deepEqual(flips.sort(), ['api:PoweredOn', 'db:PoweredOn', 'web:PoweredOn']);
    assert.equal(last_.get('cache'), 'PoweredOff');
    const at = (n: string) => poweredOnAt.get(n)!;
    assert.ok(at('db') >= 4000 - 500, `db released early (${at('db')} ms)`);
    assert.ok(
      at('web') >= at('db') + 4000 - 500 && at('api') >= at('db') + 4000 - 500,
      'second stage not 4 s after the first',
    );
    // Each stage reported once (an Event bumped twice would have count 2).
    assert.deepEqual(stagesReleased, ['1', '2']);
    assert.ok(
      events.every((e) => ((e as { count?: number }).count ?? 1) === 1),
      'a stage was released twice',
    );
  });
});
