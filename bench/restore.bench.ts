// The restore fixer and sequencer on a local control plane (real etcd + kube-apiserver, each
// function as its least-privilege service account behind the real HTTP server, objects created
// as Velero creates them with the resource modifier applied, ApiServerSource-shaped events).
//  1. Last member created → group released, for a group of 10 VMs handed to VM Operator
//     (delegated) and one released stage by stage (staged: 10 stages, one VM off), zero delays.
//     Timed from the create call of the last VM returning to the sequencer's reply.
//  2. Restored PVC created → fixer patch applied (per-VM CNS keys and finalizer removed): from the
//     create returning to the fixer's answer, which comes after its patch.
// Targets (issue 5): 1 ≤ 1 s median, 2 ≤ 100 ms median.

import { randomUUID } from 'node:crypto';
import restoreFixer from '../functions/restore-fixer/index.ts';
import { FIXER_RULES } from '../functions/restore-fixer/rbac.ts';
import { dirtyPvc } from '../functions/restore-fixer/test/dirty-objects.ts';
import { kubeAs } from '../test/harness/identity.ts';
import {
  restoreObject,
  veleroCreate,
  type VeleroRestoreItem,
} from '../functions/velero/test/velero-create.ts';
import restoreSequencer from '../functions/restore-sequencer/index.ts';
import { SEQUENCER_RULES } from '../functions/restore-sequencer/rbac.ts';
import { createKube } from '../functions/runtime/kube/kube.ts';
import type { Kube, KubeObject } from '../functions/runtime/kube/kube-api.ts';
import { createLogger } from '../functions/runtime/process/logger.ts';
import { startServer } from '../functions/runtime/http/server.ts';
import { RESOURCE_MODIFIER_CONFIGMAP } from '../functions/vmgroup/names.ts';
import {
  asKube,
  offerBuilderTarget,
  vm,
  vmg,
  vmMember,
} from '../functions/vmgroup/test/builders.ts';
import { startControlPlane, type TestCluster } from '../test/harness/index.ts';
import { apiServerEvent, postEvent } from '../test/support/cloudevents.ts';
import type { BenchResult } from './run.ts';
import { median } from './stats.ts';
import { PRODUCT } from '../functions/product.ts';

const RUNS = Number(process.env.BENCH_RESTORE_RUNS ?? 15);
const PVC_RUNS = Number(process.env.BENCH_RESTORE_PVC_RUNS ?? 40);
const SIZE = 10;

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const fmt = (xs: number[]): string =>
  `median ${median(xs).toFixed(1)} ms, p90 ${pct(xs, 90).toFixed(1)} ms, min ${Math.min(...xs).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms (n=${xs.length})`;

interface Env {
  plane: TestCluster;
  admin: Kube;
  veleroNs: string;
}

async function newRestore(env: Env, prefix: string): Promise<{ item: VeleroRestoreItem }> {
  const namespace = await env.plane.newNamespace(prefix);
  await offerBuilderTarget(env.admin, namespace);
  const restore = `${prefix}-${randomUUID().slice(0, 8)}`;
  await env.admin.create(
    restoreObject(restore, env.veleroNs, {
      backupName: 'nightly',
      resourceModifier: { kind: 'configmap', name: RESOURCE_MODIFIER_CONFIGMAP },
    }),
  );
  return { item: { restore, backup: 'nightly', namespace } };
}

/** One group of SIZE VMs; `staged` makes every VM its own stage and the first one off at backup. */
function application(staged: boolean): KubeObject[] {
  const names = Array.from({ length: SIZE }, (_, i) => `app-vm-${i}`);
  const bootOrder = staged ? names.map((n) => [vmMember(n)]) : [names.map((n) => vmMember(n))];
  return [
    asKube(vmg('app', { powerState: 'PoweredOn', bootOrder })),
    ...names.map((n, i) =>
      asKube(
        vm(n, { groupName: 'app', powerState: staged && i === 0 ? 'PoweredOff' : 'PoweredOn' }),
      ),
    ),
  ];
}

async function releaseLatency(env: Env, url: string, staged: boolean): Promise<number[]> {
  const samples: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const { item } = await newRestore(env, staged ? 'bench-staged' : 'bench-deleg');
    const objects = application(staged);
    const last = objects.pop()!;
    for (const o of objects)
      await postEvent(url, apiServerEvent('add', await veleroCreate(env.admin, o, item)));
    const created = await veleroCreate(env.admin, last, item);
    const started = performance.now();
    const res = await postEvent(url, apiServerEvent('add', created));
    const ms = performance.now() - started;
    if (res.reply?.type !== 'dev.vmgroup-backup.restore.group-released')
      throw new Error(`expected group-released, got ${res.status} ${res.reply?.type}`);
    samples.push(ms);
  }
  return samples;
}

async function fixerLatency(env: Env, url: string): Promise<number[]> {
  const { item } = await newRestore(env, 'bench-pvc');
  const samples: number[] = [];
  for (let i = 0; i < PVC_RUNS; i++) {
    const created = await veleroCreate(env.admin, dirtyPvc(`disk-${i}`), item);
    const started = performance.now();
    const res = await postEvent(url, apiServerEvent('add', created));
    samples.push(performance.now() - started);
    if (res.status >= 300) throw new Error(`fixer answered ${res.status}`);
  }
  const after = await env.admin.list('v1', 'PersistentVolumeClaim', item.namespace);
  const left = after.items.filter((p) =>
    Object.keys(p.metadata.annotations ?? {}).some((k) =>
      k.startsWith('cns.vmware.com/usedby-vm-'),
    ),
  );
  if (left.length > 0) throw new Error(`${left.length} PVCs still carry per-VM CNS keys`);
  return samples;
}

export default async function bench(): Promise<BenchResult> {
  const plane = await startControlPlane({ log: () => {} });
  const servers: Array<{ close(): Promise<void> }> = [];
  try {
    const admin = createKube(plane.kubeconfigPath);
    const veleroNs = await plane.newNamespace('velero');
    const env: Env = { plane, admin, veleroNs };
    const logger = createLogger('silent');
    const ctx = (kube: Kube) => ({
      kube,
      clock: { now: () => new Date() },
      logger,
      env: { VELERO_NAMESPACE: veleroNs },
    });
    const sequencer = await startServer(restoreSequencer as never, {
      port: 0,
      host: '127.0.0.1',
      product: PRODUCT,
      ctx: ctx(await kubeAs(plane, 'restore-sequencer', SEQUENCER_RULES)),
    });
    servers.push(sequencer);
    const fixer = await startServer(restoreFixer as never, {
      port: 0,
      host: '127.0.0.1',
      product: PRODUCT,
      ctx: ctx(await kubeAs(plane, 'restore-fixer', FIXER_RULES)),
    });
    servers.push(fixer);

    await releaseLatency(env, sequencer.url, false); // warm-up: discovery, connections, JIT
    const delegated = await releaseLatency(env, sequencer.url, false);
    const staged = await releaseLatency(env, sequencer.url, true);
    await fixerLatency(env, fixer.url);
    const pvc = await fixerLatency(env, fixer.url);
    return {
      title: 'restore: fixer and sequencer latency on a local control plane',
      lines: [
        `last member created → group released, ${SIZE} VMs, delegated to VM Operator: ${fmt(delegated)}  (target: median ≤ 1000 ms)`,
        `last member created → group released, ${SIZE} VMs in ${SIZE} stages, staged: ${fmt(staged)}  (target: median ≤ 1000 ms)`,
        `restored PVC created → fixer patch applied: ${fmt(pvc)}  (target: median ≤ 100 ms)`,
        'Excludes ApiServerSource and Broker delivery (no Knative here) and every powerOnDelay (all zero).',
      ],
    };
  } finally {
    for (const s of servers) await s.close();
    await plane.stop();
  }
}
