// Issue 9.2 — outage. A burst of user changes is being delivered to 2 backup-labeler processes
// when kube-apiserver stops (etcd keeps running); it comes back on the same port 10 s later.
// While it is down every event is answered 503 (so the Broker keeps it; nothing is acknowledged
// with its work undone); afterwards the Broker's retries (config/'s delivery: 9 retries,
// exponential from 0.5 s) and the PingSource tick converge to exactly the closures' labels.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InboundEvent } from '../../functions/runtime/function.ts';
import { pingEvent } from '../support/cloudevents.ts';
import { testCluster } from '../harness/index.ts';
import type { TestCluster } from '../harness/index.ts';
import { deliverAll, deliverOne, emptyStats } from './support/broker.ts';
import { figure } from './support/figures.ts';
import { functionKubeconfig } from './support/identity.ts';
import { startReplica } from './support/replicas.ts';
import type { Replica } from './support/replicas.ts';
import { restClient } from './support/rest.ts';
import { finalState } from './support/state.ts';
import { World, rng } from './support/world.ts';
import { runLeaks } from './support/secrets.ts';

const DOWN_MS = 10_000;

describe('reliability: API server outage in the middle of a burst (control plane)', function () {
  let cluster: TestCluster;
  let replicas: Replica[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'vvf-outage-'));

  before(async () => {
    cluster = await testCluster();
  });
  after(async () => {
    await cluster.apiServer.start();
    await Promise.all(replicas.map((r) => r.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 while it is down, and converges exactly once it is back', async function () {
    this.timeout(15 * 60_000);
    const admin = restClient(cluster.kubeconfigPath);
    const namespaces = [await cluster.newNamespace('outage'), await cluster.newNamespace('outage')];
    const world = new World(admin, {
      namespaces,
      groupsPerNamespace: 5,
      vmsPerNamespace: 20,
      secretsPerNamespace: 10,
      configMapsPerNamespace: 3,
      pvcsPerNamespace: 15,
      seed: 503,
    });
    await world.setUp();
    const kubeconfig = await functionKubeconfig(cluster, 'backup-labeler');
    replicas = await Promise.all(
      [0, 1].map((index) =>
        startReplica({ fn: 'backup-labeler', kubeconfig, dir, index, logLevel: 'warn' }),
      ),
    );
    // The burst: 600 user changes; their events are delivered while the API server goes away.
    while (world.mutations < 600) await world.step();
    const random = rng(5);
    const pool: InboundEvent[] = [...world.events].sort(() => random() - 0.5);
    const stats = emptyStats();
    const targets = () => replicas.map((r) => r.url);
    const delivery = deliverAll(pool, { targets, concurrency: 16, random, keepLog: true }, stats);

    while (stats.delivered < 150) await new Promise((r) => setTimeout(r, 20));
    await cluster.apiServer.stop();
    const downFrom = performance.now();
    await new Promise((r) => setTimeout(r, DOWN_MS));
    const downTo = performance.now();
    await cluster.apiServer.start();
    const upAt = performance.now();
    await delivery;
    // The PingSource tick after the outage (the periodic reconcile).
    const tick = await deliverOne(pingEvent(), { targets, concurrency: 1 }, stats);

    const during = stats.log.filter((a) => a.startedAt >= downFrom && a.startedAt + a.ms <= downTo);
    const answeredDuring: Record<string, number> = {};
    for (const a of during) answeredDuring[a.status] = (answeredDuring[a.status] ?? 0) + 1;
    const { mismatches, lost } = await finalState(admin, world.models);
    const scanned = await runLeaks(world.models, replicas, admin, stats);
    figure('outage', {
      events: stats.events,
      deliveredBeforeStop: 150,
      downMs: Math.round(downTo - downFrom),
      restartMs: Math.round(upAt - downTo),
      attemptsWhileDown: during.length,
      answersWhileDown: answeredDuring,
      retries: stats.retries,
      byStatus: stats.byStatus,
      deadLettered: stats.deadLettered.length,
      mismatches: mismatches.length,
      lostUpdates: lost.length,
      secretLeaks: scanned.length,
    });
    assert.deepEqual(scanned, [], 'Secret data appeared in logs, Events or replies');
    assert.ok(during.length > 0, 'no delivery attempt fell inside the outage');
    assert.deepEqual(
      Object.keys(answeredDuring),
      ['503'],
      'something other than 503 was answered while the API server was down',
    );
    assert.equal(stats.deadLettered.length, 0);
    assert.equal(tick, true);
    assert.deepEqual(mismatches.slice(0, 20), [], `${mismatches.length} objects differ`);
    assert.deepEqual(lost, []);
  });
});
