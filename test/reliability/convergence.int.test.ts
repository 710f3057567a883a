// Issue 9.1 — convergence. 10,000 events for 50 groups in 5 namespaces (adds, updates, deletes,
// VMs moving between groups), 30% of them delivered twice, in shuffled order, to 3 backup-labeler
// processes at once (each with the labeler's own ServiceAccount from config/), while the user keeps
// changing the world on the real API server. Then: the labels and annotations on every object
// equal what the closures of the final state call for, exactly; no user write was lost; no Secret
// data in logs, Events or replies; and the labeler's writes compared with what a single in-order
// labeler following every state would need (World.sequentialWrites): those the API server stored
// (ISSUE_WRITE_BOUND) and the write requests it answered 2xx (REQUEST_BOUND).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InboundEvent } from '../../functions/runtime/function.ts';
import { testCluster } from '../harness/index.ts';
import type { TestCluster } from '../harness/index.ts';
import { deliverAll, emptyStats, percentile } from './support/broker.ts';
import { figure } from './support/figures.ts';
import { functionKubeconfig } from './support/identity.ts';
import { kubeCalls, startReplica, successfulWrites } from './support/replicas.ts';
import type { Replica } from './support/replicas.ts';
import { restClient } from './support/rest.ts';
import { finalState } from './support/state.ts';
import { World, rng } from './support/world.ts';
import { auditWrites } from './support/write-audit.ts';
import type { WriteAudit } from './support/write-audit.ts';
import { runLeaks } from './support/secrets.ts';

const TOTAL_EVENTS = 10_000;
/**
 * The issue's bound: persisted writes ≤ 1.1 × the in-order count. "Persisted" is what the API
 * server stored, seen by the admin's watches (support/write-audit.ts): a new revision whose
 * product-owned metadata changed. Measured on 2 loaded cores: 1.001 × (20,378 against 20,363).
 */
const ISSUE_WRITE_BOUND = 1.1;
/**
 * Write requests answered 2xx (the replicas' /metrics). Higher: the labeler may not read Secrets,
 * so when replicas race it re-sends label patches that turn out to change nothing (the API server
 * answers 200 and stores no revision). Measured 1.35 × (7,076 of 11,338 Secret patches no-ops).
 * Asserted so a regression in request volume fails too.
 */
const REQUEST_BOUND = 1.5;
const DUPLICATE_RATE = 0.3;
const NAMESPACES = 5;
const GROUPS_PER_NAMESPACE = 10;
/** In-flight deliveries: the Broker's dispatcher sends many at once. */
const CONCURRENCY = 96;

describe('reliability: convergence under duplicates, shuffling and 3 replicas (control plane)', function () {
  let cluster: TestCluster;
  let replicas: Replica[] = [];
  let audit: WriteAudit | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'vvf-reliability-'));

  before(async () => {
    cluster = await testCluster();
  });
  after(async () => {
    audit?.stop();
    await Promise.all(replicas.map((r) => r.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('converges exactly, loses no update, leaks no Secret data; writes reported against the in-order count', async function () {
    this.timeout(40 * 60_000);
    const started = Date.now();
    const admin = restClient(cluster.kubeconfigPath);
    const namespaces = await Promise.all(
      Array.from({ length: NAMESPACES }, () => cluster.newNamespace('converge')),
    );
    const world = new World(admin, {
      namespaces,
      groupsPerNamespace: GROUPS_PER_NAMESPACE,
      vmsPerNamespace: 40,
      secretsPerNamespace: 20,
      configMapsPerNamespace: 4,
      pvcsPerNamespace: 30,
      seed: 9001,
    });
    await world.setUp();
    const setUpMs = Date.now() - started;

    audit = await auditWrites(cluster.kubeConfig(), namespaces);
    const kubeconfig = await functionKubeconfig(cluster, 'backup-labeler');
    replicas = await Promise.all(
      [0, 1, 2].map((index) =>
        startReplica({ fn: 'backup-labeler', kubeconfig, dir, index, logLevel: 'warn' }),
      ),
    );

    // The user changes the world while the Broker delivers: events enter a pool as they are
    // produced (some twice), and delivery takes a random one each time.
    const random = rng(77);
    const pool: InboundEvent[] = [];
    let produced = 0;
    let duplicates = 0;
    let producing = true;
    const producer = (async () => {
      try {
        let seen = 0;
        while (produced < TOTAL_EVENTS) {
          await world.step();
          for (; seen < world.events.length && produced < TOTAL_EVENTS; seen++) {
            const e = world.events[seen]!;
            pool.push(e);
            produced++;
            if (produced < TOTAL_EVENTS && random() < DUPLICATE_RATE) {
              pool.push(e); // same id and source: an at-least-once redelivery
              produced++;
              duplicates++;
            }
          }
        }
      } finally {
        producing = false;
      }
    })();
    const pick = (q: InboundEvent[]): InboundEvent => {
      const i = Math.floor(random() * q.length);
      const e = q[i]!;
      q[i] = q[q.length - 1]!;
      q.pop();
      return e;
    };
    const stats = emptyStats();
    const deliveryStarted = Date.now();
    await Promise.all([
      producer,
      deliverAll(
        pool,
        {
          targets: () => replicas.map((r) => r.url),
          concurrency: CONCURRENCY,
          closed: () => !producing,
          pick,
          random,
        },
        stats,
      ),
    ]);
    const deliveryMs = Date.now() - deliveryStarted;
    await audit.quiet(2000);
    const persisted = audit.total();

    // Final state, read back as the admin.
    const { mismatches, lost } = await finalState(admin, world.models);
    let writes = 0;
    const calls: Record<string, number> = {};
    for (const r of replicas) {
      const w = await successfulWrites(r);
      writes += w.patch + w.create;
      for (const [k, v] of kubeCalls(await r.metrics())) calls[k] = (calls[k] ?? 0) + v;
    }
    const scanned = await runLeaks(world.models, replicas, admin, stats);
    figure('convergence', {
      events: stats.events,
      distinct: stats.events - duplicates,
      duplicates,
      groups: NAMESPACES * GROUPS_PER_NAMESPACE,
      namespaces: NAMESPACES,
      userMutations: world.mutations,
      replicas: replicas.length,
      attempts: stats.attempts,
      retries: stats.retries,
      byStatus: stats.byStatus,
      deadLettered: stats.deadLettered.length,
      writeRequests: writes,
      kubeCalls: calls,
      inOrderWrites: world.sequentialWrites,
      inOrderByKind: world.sequentialByKind,
      persistedWrites: persisted,
      persistedByKind: audit.byKind(),
      persistedRatio: Number((persisted / world.sequentialWrites).toFixed(3)),
      auditComplete: audit.complete(),
      requestRatio: Number((writes / world.sequentialWrites).toFixed(3)),
      finalLowerBound: world.finalLowerBound(),
      mismatches: mismatches.length,
      lostUpdates: lost.length,
      secretLeaks: scanned.length,
      deliveryP99Ms: Math.round(percentile(stats.latencies, 99)),
      eventsPerSecond: Math.round(stats.events / (deliveryMs / 1000)),
      setUpMs,
      deliveryMs,
    });
    if (mismatches.length) {
      const bad = new Set(mismatches.map((x) => x.split(' ')[0]));
      const byId = new Map(world.events.map((e, i) => [e.id, { e, i }]));
      for (const a of stats.log) {
        const x = byId.get(a.id);
        if (!x || !bad.has(x.e.extensions.namespace!)) continue;
        console.log(
          `attempt mut#${x.i} ${x.e.type} ${x.e.extensions.kind}/${x.e.extensions.name} -> ${a.status} at ${Math.round(a.startedAt)} +${Math.round(a.ms)} ${a.target}`,
        );
      }
    }
    assert.deepEqual(scanned, [], 'Secret data appeared in logs, Events or replies');
    assert.equal(stats.events, TOTAL_EVENTS);
    assert.equal(stats.deadLettered.length, 0, 'an event was dead-lettered');
    assert.deepEqual(
      mismatches.slice(0, 20),
      [],
      `${mismatches.length} objects differ from their closures`,
    );
    assert.deepEqual(lost.slice(0, 20), [], `${lost.length} lost updates`);
    assert.ok(audit.complete(), 'a watch of the write audit ended early: counts may be short');
    assert.ok(
      persisted <= ISSUE_WRITE_BOUND * world.sequentialWrites,
      `${persisted} persisted writes > ${ISSUE_WRITE_BOUND} × ${world.sequentialWrites}`,
    );
    assert.ok(
      writes <= REQUEST_BOUND * world.sequentialWrites,
      `${writes} write requests > ${REQUEST_BOUND} × ${world.sequentialWrites}`,
    );
    // Cross-checks that the two counters are real: every object that ends labelled needed at
    // least one stored write, and nothing is stored that no request asked for.
    assert.ok(persisted >= world.finalLowerBound(), 'fewer stored writes than objects needing one');
    assert.ok(persisted <= writes, 'more stored writes than write requests: audit miscounts');
    // A patch with a resourceVersion precondition is sent only with a difference from the listed
    // object, so for those kinds each 2xx is exactly one stored revision.
    const stored = audit.byKind();
    for (const [kind, resource] of [
      ['VirtualMachine', 'virtualmachines.vmoperator.vmware.com'],
      ['VirtualMachineGroup', 'virtualmachinegroups.vmoperator.vmware.com'],
      ['ConfigMap', 'configmaps'],
      ['PersistentVolumeClaim', 'persistentvolumeclaims'],
    ] as const)
      assert.equal(stored[kind] ?? 0, calls[`patch ${resource} success`] ?? 0, `${kind} writes`);
  });
});
