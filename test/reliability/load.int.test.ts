// Issue 9.6 — load held. One backup-labeler process (its own ServiceAccount) is kept saturated for
// 60 s: a closed loop of 64 deliveries in flight, each a fresh VM/group update event (new id, so
// none is a duplicate) for one of 5 namespaces of 50 VMs in 5 groups, every one answered only after
// its namespace was reconciled against the real API server. Reported: events/s, p50/p99, RSS
// sampled every second, the replica's heap after a full GC (through its inspector) after the
// warm-up and at the end. Required: only 2xx, no dead letter, labels still exactly the closures',
// RSS below the production overlay's container limit (384Mi) throughout, RSS flat (the tops of
// V8's collect saw-tooth do not rise, RSS_RISE_MIB) and the heap after GC flat (HEAP_GROWTH_MIB).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { InboundEvent } from '../../functions/runtime/function.ts';
import { apiServerEvent } from '../support/cloudevents.ts';
import { testCluster } from '../harness/index.ts';
import type { TestCluster } from '../harness/index.ts';
import { deliverOne, emptyStats, percentile } from './support/broker.ts';
import { figure } from './support/figures.ts';
import { heapAfterGc, startInspectedReplica } from './support/inspector.ts';
import type { Replica } from './support/replicas.ts';
import { restClient } from './support/rest.ts';
import { metadataMismatches, readNamespace } from './support/state.ts';
import { World } from './support/world.ts';

const HOLD_MS = Number(process.env.HOLD_MS ?? 60_000);
const IN_FLIGHT = 64;
/** JIT, caches filling to their bounds, V8 sizing its heap to the allocation rate. */
const WARM_UP_MS = 10_000;
/** Flat RSS: the saw-tooth's tops may not rise more than this between 15–35 s and 40–60 s. */
const RSS_RISE_MIB = 32;
/** Flat heap: what is reachable after a full GC may not grow more than this over 50 s of load. */
const HEAP_GROWTH_MIB = 4;

describe('reliability: labeler load held for 60 s (control plane)', function () {
  let cluster: TestCluster;
  let replica: Replica | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'vvf-load-'));

  before(async () => {
    cluster = await testCluster();
  });
  after(async () => {
    await replica?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds its saturation rate for 60 s under its memory limit, with no errors', async function () {
    this.timeout(10 * 60_000);
    const admin = restClient(cluster.kubeconfigPath);
    const namespaces = await Promise.all(
      Array.from({ length: 5 }, () => cluster.newNamespace('load')),
    );
    const world = new World(admin, {
      namespaces,
      groupsPerNamespace: 5,
      vmsPerNamespace: 50,
      secretsPerNamespace: 20,
      configMapsPerNamespace: 5,
      pvcsPerNamespace: 40,
      seed: 60,
    });
    await world.setUp();
    const objects = world.models.flatMap((m) => [...m.vms.values(), ...m.groups.values()]);
    const spawned = await startInspectedReplica(cluster, 'backup-labeler', dir);
    replica = spawned.replica;
    const r = spawned.replica;
    const inspector = spawned.inspector;
    let n = 0;
    const next = (): InboundEvent => ({
      ...apiServerEvent('update', objects[n++ % objects.length] as never),
      id: randomUUID(),
    });

    const stats = emptyStats();
    const rss: Array<[number, number]> = [];
    const started = performance.now();
    const at = (): number => (performance.now() - started) / 1000;
    const sampler = setInterval(() => rss.push([at(), r.rssKiB()]), 1000);
    // Heap after a full GC, once the warm-up is over and once the load has stopped: forcing a GC
    // more often would itself keep RSS down and hide what is measured.
    const heapAtWarm = (async () => {
      await new Promise((res) => setTimeout(res, WARM_UP_MS));
      return heapAfterGc(inspector);
    })();
    const worker = async () => {
      while (at() * 1000 < HOLD_MS)
        await deliverOne(next(), { targets: () => [r.url], concurrency: 1 }, stats);
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    clearInterval(sampler);
    const seconds = at();
    const warm = await heapAtWarm;
    const end = await heapAfterGc(inspector);
    const heapWarm = warm.usedAfterGc;
    const heapEnd = end.usedAfterGc;

    const mismatches: string[] = [];
    for (const m of world.models)
      mismatches.push(...metadataMismatches(await readNamespace(admin, m.namespace)));
    // The heap grows and is collected in a saw-tooth of a few seconds; flat means the tops of the
    // teeth do not rise: the highest RSS of the last 20 s against that of 20 s after warm-up.
    const peakMiB = (from: number, to: number): number =>
      Math.max(...rss.filter(([t]) => t >= from && t < to).map(([, kib]) => kib)) / 1024;
    const early = peakMiB(WARM_UP_MS / 1000 + 5, WARM_UP_MS / 1000 + 25);
    const late = peakMiB(HOLD_MS / 1000 - 20, Infinity);
    const heapGrowthMiB = (heapEnd - heapWarm) / 1024 / 1024;
    figure('load', {
      seconds: Math.round(seconds),
      inFlight: IN_FLIGHT,
      events: stats.events,
      eventsPerSecond: Math.round(stats.events / seconds),
      p50Ms: Math.round(percentile(stats.latencies, 50)),
      p99Ms: Math.round(percentile(stats.latencies, 99)),
      byStatus: stats.byStatus,
      retries: stats.retries,
      rssMiBEvery5s: rss
        .filter((_, i) => i % 5 === 4)
        .map(([t, kib]) => [Math.round(t), +(kib / 1024).toFixed(1)]),
      rssPeakEarlyMiB: +early.toFixed(1),
      rssPeakLateMiB: +late.toFixed(1),
      heapAfterGcWarmMiB: +(heapWarm / 1024 / 1024).toFixed(1),
      heapAfterGcEndMiB: +(heapEnd / 1024 / 1024).toFixed(1),
      heapReservedWarmMiB: +(warm.total / 1024 / 1024).toFixed(1),
      heapReservedEndMiB: +(end.total / 1024 / 1024).toFixed(1),
      mismatches: mismatches.length,
    });
    assert.equal(stats.deadLettered.length, 0);
    assert.deepEqual(
      Object.keys(stats.byStatus).filter((s) => s !== '204' && s !== '200'),
      [],
      'non-2xx answers under load',
    );
    const peak = peakMiB(0, Infinity);
    assert.ok(peak < 384, `RSS peaked at ${peak.toFixed(1)} MiB, over the 384Mi limit`);
    assert.ok(
      late - early < RSS_RISE_MIB,
      `RSS peaks rose ${(late - early).toFixed(1)} MiB from ${WARM_UP_MS / 1000 + 5}–${WARM_UP_MS / 1000 + 25} s to the last 20 s`,
    );
    assert.ok(
      heapGrowthMiB < HEAP_GROWTH_MIB,
      `heap after GC grew ${heapGrowthMiB.toFixed(2)} MiB`,
    );
    assert.deepEqual(mismatches, []);
  });
});
