// The backup labeler at Supervisor scale, as a separate process under its own ServiceAccount (the
// built bundle's `serve`, what the image runs), on a real etcd + kube-apiserver:
//   groups of 10 VMs spread over 20 namespaces, each VM the 17 KiB fixture's shape (spec, status,
//   managedFields), a bootstrap Secret per VM and 2 PVCs per VM.
// For each size: a PingSource tick from nothing (every label written) against the API server's
// floor (the same number of label writes by a bare client at the labeler's write concurrency, in
// the same run), an unchanged tick (0 writes; list pages by kind), the labeler's peak RSS through
// both, and what it held per object at its peak.
// Sizes: `npm run bench -- labeler-scale` 1,000 VMs; `--full` 1,000 then 10,000 VMs; `--quick`
// (what CI runs) 100 VMs over 2 namespaces.
import { existsSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeObject } from '../functions/runtime/kube/kube-api.ts';
import { memberLabelKey, VMOP_API_VERSION } from '../functions/vmgroup/names.ts';
import { startControlPlane } from '../test/harness/index.ts';
import type { TestCluster } from '../test/harness/index.ts';
import { pingEvent, postEventUnbounded } from '../test/support/cloudevents.ts';
import { functionKubeconfig } from '../test/reliability/support/identity.ts';
import { startReplica } from '../test/reliability/support/replicas.ts';
import type { Replica } from '../test/reliability/support/replicas.ts';
import { objectPath, ok, restClient } from '../test/reliability/support/rest.ts';
import type { Rest } from '../test/reliability/support/rest.ts';
import { keptMeta, keptVm } from '../functions/backup-labeler/projection.ts';
import { benchFlags } from './flags.ts';
import { imageNodeFlags, podHeapFlags, podMemoryLimit } from './runtime-setup.ts';
import { callsByKind, describeCalls, since, sum } from './kube-calls.ts';
import type { Calls } from './kube-calls.ts';
import type { BenchResult } from './run.ts';

export interface Size {
  namespaces: number;
  groups: number;
  vmsPerGroup: number;
  pvcsPerVm: number;
}

export const SIZES = {
  quick: { namespaces: 2, groups: 10, vmsPerGroup: 10, pvcsPerVm: 2 },
  base: { namespaces: 20, groups: 100, vmsPerGroup: 10, pvcsPerVm: 2 },
  full: { namespaces: 20, groups: 1000, vmsPerGroup: 10, pvcsPerVm: 2 },
} satisfies Record<string, Size>;

/** The labeler's default write concurrency (LABELER_WRITE_CONCURRENCY): the floor uses the same. */
const WRITE_CONCURRENCY = 16;
const SEED_CONCURRENCY = 32;
const FIXTURE = JSON.parse(
  readFileSync(fileURLToPath(new URL('./fixtures/virtualmachine.json', import.meta.url)), 'utf8'),
) as KubeObject & { spec: Record<string, unknown>; status: Record<string, unknown> };

const PROBE = fileURLToPath(new URL('./fixtures/memory-probe.js', import.meta.url));
const log = (line: string): void => void process.stderr.write(`labeler-scale: ${line}\n`);

/** One VM shaped like the 17 KiB fixture: its spec, status and managedFields, renamed. */
export function scaleVm(ns: string, group: string, name: string, claims: string[]): KubeObject {
  const meta: Record<string, unknown> = { ...FIXTURE.metadata };
  for (const k of ['uid', 'resourceVersion', 'creationTimestamp']) delete meta[k];
  const spec = structuredClone(FIXTURE.spec) as Record<string, unknown>;
  spec.groupName = group;
  spec.bootstrap = { cloudInit: { rawCloudConfig: { name: `${name}-boot`, key: 'user-data' } } };
  spec.volumes = claims.map((c) => ({ name: c, persistentVolumeClaim: { claimName: c } }));
  const labels = { ...(meta.labels as Record<string, string> | undefined) };
  for (const k of Object.keys(labels)) if (k.startsWith('vmgroup-backup.dev/')) delete labels[k];
  return {
    apiVersion: VMOP_API_VERSION,
    kind: 'VirtualMachine',
    metadata: { ...meta, name, namespace: ns, labels, finalizers: [] },
    spec,
  };
}

interface Seeded {
  namespaces: string[];
  /** Every object the labeler labels (groups, VMs, Secrets, PVCs), as the floor rewrites them. */
  objects: Array<{ apiVersion: string; kind: string; namespace: string; name: string }>;
  vmBytes: number;
  /** JSON bytes of what the labeler keeps of a stored VM / PVC (its projection.ts). */
  keptVmBytes: number;
  pvcBytes: number;
  keptPvcBytes: number;
}

async function pool<T>(items: readonly T[], limit: number, fn: (t: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

async function seed(plane: TestCluster, admin: Rest, size: Size): Promise<Seeded> {
  const namespaces = await Promise.all(
    Array.from({ length: size.namespaces }, () => plane.newNamespace('scale')),
  );
  const docs: Array<{ obj: KubeObject; status?: Record<string, unknown> }> = [];
  for (let g = 0; g < size.groups; g++) {
    const ns = namespaces[g % namespaces.length]!;
    const group = `g${g}`;
    const names = Array.from({ length: size.vmsPerGroup }, (_, i) => `${group}-vm-${i}`);
    docs.push({
      obj: {
        apiVersion: VMOP_API_VERSION,
        kind: 'VirtualMachineGroup',
        metadata: { name: group, namespace: ns },
        spec: {
          powerState: 'PoweredOn',
          bootOrder: [{ members: names.map((name) => ({ kind: 'VirtualMachine', name })) }],
        },
      },
    });
    for (const name of names) {
      const claims = Array.from({ length: size.pvcsPerVm }, (_, j) => `${name}-disk-${j}`);
      docs.push({
        obj: scaleVm(ns, group, name, claims),
        status: structuredClone(FIXTURE.status),
      });
      docs.push({
        obj: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: `${name}-boot`, namespace: ns },
          stringData: { 'user-data': '#cloud-config\n' },
        },
      });
      for (const c of claims)
        docs.push({
          obj: {
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            metadata: { name: c, namespace: ns },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
          },
        });
    }
  }
  let done = 0;
  let vmBytes = 0;
  let keptVmBytes = 0;
  let pvcBytes = 0;
  let keptPvcBytes = 0;
  const started = Date.now();
  const ticker = setInterval(
    () =>
      log(
        `seeding ${done}/${docs.length} objects (${((Date.now() - started) / 1000).toFixed(0)} s)`,
      ),
    10_000,
  );
  try {
    await pool(docs, SEED_CONCURRENCY, async ({ obj, status }) => {
      const ns = obj.metadata.namespace!;
      const path = objectPath(obj.apiVersion, obj.kind, ns, obj.metadata.name);
      const created = await ok<KubeObject>(
        admin.request('POST', path.slice(0, path.lastIndexOf('/')), obj),
        `create ${obj.kind}/${obj.metadata.name}`,
      );
      if (status) {
        const stored = await ok<KubeObject>(
          admin.request('PUT', `${path}/status`, { ...created, status }),
          `status of ${obj.metadata.name}`,
        );
        const bytes = JSON.stringify(stored).length;
        if (bytes > vmBytes) {
          vmBytes = bytes;
          keptVmBytes = JSON.stringify(keptVm(stored)).length;
        }
      } else if (obj.kind === 'PersistentVolumeClaim' && pvcBytes === 0) {
        pvcBytes = JSON.stringify(created).length;
        keptPvcBytes = JSON.stringify(keptMeta(created)).length;
      }
      done++;
    });
  } finally {
    clearInterval(ticker);
  }
  log(`seeded ${docs.length} objects in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return {
    namespaces,
    objects: docs.map(({ obj }) => ({
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      namespace: obj.metadata.namespace!,
      name: obj.metadata.name,
    })),
    vmBytes,
    keptVmBytes,
    pvcBytes,
    keptPvcBytes,
  };
}

/** The same number of label writes by a bare client: one merge patch per object, same concurrency. */
async function floor(admin: Rest, objects: Seeded['objects'], writes: number): Promise<number> {
  const targets = objects.slice(0, writes);
  const started = performance.now();
  await pool(targets, WRITE_CONCURRENCY, async (o) => {
    await ok(
      admin.request(
        'PATCH',
        objectPath(o.apiVersion, o.kind, o.namespace, o.name),
        { metadata: { labels: { 'bench.vmgroup-backup.dev/floor': 'x' } } },
        'application/merge-patch+json',
      ),
      `floor patch ${o.kind}/${o.name}`,
    );
  });
  return performance.now() - started;
}

interface Figures {
  size: Size;
  objects: number;
  seeded: Seeded;
  coldMs: number;
  /** CPU seconds each process used through the tick from nothing / the unchanged tick. */
  coldCpu: CpuSeconds;
  warmCpu: CpuSeconds;
  floorMs: number;
  coldWrites: number;
  cold: Calls;
  warmMs: number;
  warm: Calls;
  baseRssMiB: number;
  peakRssMiB: number;
  /** The labeler's Node flags (the pod's heap and the image's flags unless BENCH_LABELER_NODE=bare). */
  nodeArgs: string[];
  /** RSS high-water mark (VmHWM) after the cold tick and after both, MiB. */
  hwmColdMiB: number;
  hwmMiB: number;
  /** The memory probe's maxima per phase (idle, cold tick, unchanged tick), MiB. */
  phases: Array<{ max: Record<string, number>; atRssPeak: Record<string, number> }>;
  /** Peak RSS of the plane's kube-apiserver and etcd through the whole size, MiB. */
  planePeakMiB: Record<string, number>;
  apiServerArgs: string[];
}

/** Node flags of the labeler: as in the Knative Service's pod (its heap, the image's flags) unless bare. */
function labelerNodeArgs(): string[] {
  const pod =
    process.env.BENCH_LABELER_NODE === 'bare'
      ? []
      : [...podHeapFlags(podMemoryLimit()), ...imageNodeFlags()];
  return [...pod, ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)];
}

/** CPU seconds (user + system) a process has used, from /proc/PID/stat (clock ticks of 1/100 s). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface CpuSeconds {
  labeler: number;
  apiServer: number;
  etcd: number;
}

function procStatusKiB(pid: number, field: string): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? NaN);
}

/** Ends the probe's phase (SIGUSR2) and reads its summary. */
async function endPhase(r: Replica, out: string, n: number): Promise<Figures['phases'][number]> {
  r.child.kill('SIGUSR2');
  const file = `${out}.${n}`;
  for (let i = 0; !existsSync(file); i++) {
    if (i > 600) throw new Error(`memory probe wrote no ${file}`);
    await sleep(50);
  }
  return JSON.parse(readFileSync(file, 'utf8')) as Figures['phases'][number];
}

/** RSS of the plane's kube-apiserver and etcd, sampled every 500 ms, and their high-water marks. */
function planeMemory(plane: TestCluster) {
  const peak: Record<string, number> = {};
  const rssKiB = (name: string): number => {
    const pid = plane.pids()[name];
    return pid === undefined ? NaN : procStatusKiB(pid, 'VmRSS');
  };
  const sample = () => {
    for (const name of ['kube-apiserver', 'etcd'])
      peak[name] = Math.max(peak[name] ?? 0, rssKiB(name) || 0);
  };
  const timer = setInterval(sample, 500);
  return {
    now: (name: string) => rssKiB(name) / 1024,
    stop(): Record<string, number> {
      clearInterval(timer);
      sample();
      return Object.fromEntries(Object.entries(peak).map(([k, v]) => [k, v / 1024]));
    },
  };
}

async function measure(size: Size, apiServerArgs: string[]): Promise<Figures> {
  const plane = await startControlPlane({ log: () => {}, apiServerArgs });
  const memory = planeMemory(plane);
  const dir = mkdtempSync(join(tmpdir(), 'vvf-labeler-scale-'));
  let replica: Replica | undefined;
  try {
    const admin = restClient(plane.kubeconfigPath);
    const seeded = await seed(plane, admin, size);
    log(
      `kube-apiserver RSS after seeding: ${memory.now('kube-apiserver').toFixed(0)} MiB, etcd ${memory.now('etcd').toFixed(0)} MiB`,
    );
    const nodeArgs = labelerNodeArgs();
    const probeOut = join(dir, 'memory');
    replica = await startReplica({
      fn: 'backup-labeler',
      kubeconfig: await functionKubeconfig(plane, 'backup-labeler'),
      dir,
      index: 0,
      logLevel: 'warn',
      // e.g. BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to see where the time goes.
      nodeArgs: [...nodeArgs, `--import=${PROBE}`],
      env: {
        MEMORY_PROBE_OUT: probeOut,
        // e.g. LABELER_VM_PAGE_SIZE=500 to compare page sizes.
        ...(process.env.LABELER_VM_PAGE_SIZE
          ? { LABELER_VM_PAGE_SIZE: process.env.LABELER_VM_PAGE_SIZE }
          : {}),
      },
    });
    const r = replica;
    const baseRssMiB = r.rssKiB() / 1024;
    let peakKiB = r.rssKiB();
    const sampler = setInterval(() => (peakKiB = Math.max(peakKiB, r.rssKiB())), 50);
    const cpu = () => ({
      labeler: cpuSeconds(r.pid),
      apiServer: cpuSeconds(plane.pids()['kube-apiserver']),
      etcd: cpuSeconds(plane.pids()['etcd']),
    });
    const tick = async (): Promise<{ ms: number; calls: Calls; cpu: CpuSeconds }> => {
      const before = await callsByKind(r);
      const cpuBefore = cpu();
      const started = performance.now();
      // At 10,000 VMs a tick answers after minutes, beyond fetch's 300 s headers timeout.
      const res = await postEventUnbounded(r.url, pingEvent());
      const ms = performance.now() - started;
      const cpuAfter = cpu();
      if (res.status >= 300) throw new Error(`tick answered ${res.status}: ${res.body}`);
      return {
        ms,
        calls: since(await callsByKind(r), before),
        cpu: {
          labeler: cpuAfter.labeler - cpuBefore.labeler,
          apiServer: cpuAfter.apiServer - cpuBefore.apiServer,
          etcd: cpuAfter.etcd - cpuBefore.etcd,
        },
      };
    };
    try {
      const phases = [await endPhase(r, probeOut, 0)];
      log(`cold tick over ${seeded.objects.length} objects`);
      const cold = await tick();
      phases.push(await endPhase(r, probeOut, 1));
      const hwmColdMiB = procStatusKiB(r.pid, 'VmHWM') / 1024;
      log(`cold tick ${(cold.ms / 1000).toFixed(1)} s; unchanged tick`);
      const warm = await tick();
      phases.push(await endPhase(r, probeOut, 2));
      const hwmMiB = procStatusKiB(r.pid, 'VmHWM') / 1024;
      clearInterval(sampler);
      const coldWrites = sum(cold.calls, 'patch');
      // Every group, VM, Secret and PVC gains a label: the labeler must have written each once.
      const vm0 = seeded.objects.find((o) => o.kind === 'VirtualMachine')!;
      const labelled = await ok<KubeObject>(
        admin.request('GET', objectPath(vm0.apiVersion, vm0.kind, vm0.namespace, vm0.name)),
        'read back a VM',
      );
      const group = vm0.name.replace(/-vm-\d+$/, '');
      if (labelled.metadata.labels?.[memberLabelKey(group)] === undefined)
        throw new Error(`${vm0.name} has no member label after the tick`);
      log('floor: the same writes by a bare client');
      const floorMs = await floor(admin, seeded.objects, coldWrites);
      const planePeakMiB = memory.stop();
      log(`plane peak RSS: ${JSON.stringify(planePeakMiB)}`);
      return {
        size,
        objects: seeded.objects.length,
        seeded,
        coldMs: cold.ms,
        coldCpu: cold.cpu,
        warmCpu: warm.cpu,
        floorMs,
        coldWrites,
        cold: cold.calls,
        warmMs: warm.ms,
        warm: warm.calls,
        baseRssMiB,
        peakRssMiB: peakKiB / 1024,
        nodeArgs,
        hwmColdMiB,
        hwmMiB,
        phases,
        planePeakMiB,
        apiServerArgs,
      };
    } finally {
      clearInterval(sampler);
    }
  } finally {
    memory.stop();
    await replica?.stop();
    rmSync(dir, { recursive: true, force: true });
    await plane.stop();
  }
}

const describeCpu = (c: CpuSeconds): string =>
  `labeler ${c.labeler.toFixed(1)}, kube-apiserver ${c.apiServer.toFixed(1)}, etcd ${c.etcd.toFixed(1)} (2 cores)`;

function report(f: Figures, lines: string[]): void {
  const vms = f.size.groups * f.size.vmsPerGroup;
  lines.push(
    `${f.size.groups} groups / ${vms} VMs / ${vms} Secrets / ${vms * f.size.pvcsPerVm} PVCs over ${f.size.namespaces} namespaces (${f.objects} objects; a stored VM is ${(f.seeded.vmBytes / 1024).toFixed(1)} KiB):`,
  );
  lines.push(
    `  tick from nothing: ${(f.coldMs / 1000).toFixed(2)} s, ${f.coldWrites} writes; floor (same writes, bare client, ${WRITE_CONCURRENCY} in flight) ${(f.floorMs / 1000).toFixed(2)} s → ${(f.coldMs / f.floorMs).toFixed(2)}× the floor (target ≤ 1.25×)`,
  );
  lines.push(`    calls: ${describeCalls(f.cold)}`);
  lines.push(`    CPU seconds: ${describeCpu(f.coldCpu)}`);
  lines.push(
    `  unchanged tick: ${(f.warmMs / 1000).toFixed(2)} s = ${((100 * f.warmMs) / f.coldMs).toFixed(1)}% of the cold tick (target ≤ 5%), ${sum(f.warm, 'patch')} writes (target 0)`,
  );
  lines.push(
    `    calls: ${describeCalls(f.warm)} (pages of 100 for VMs, 500 for the rest; namespaces walked one by one: each kind listed once per namespace of the plane, its ${f.size.namespaces} scale namespaces and the plane's own)`,
  );
  lines.push(`    CPU seconds: ${describeCpu(f.warmCpu)}`);
  const s = f.seeded;
  lines.push(
    `  kept per object while listed: VM ${s.keptVmBytes} of ${s.vmBytes} JSON bytes (${((100 * s.keptVmBytes) / s.vmBytes).toFixed(0)}%), PVC ${s.keptPvcBytes} of ${s.pvcBytes}`,
  );
  lines.push(
    `  labeler RSS: ${f.baseRssMiB.toFixed(0)} MiB idle, peak ${f.peakRssMiB.toFixed(0)} MiB through both ticks (target ≤ 256 MiB; high-water mark ${f.hwmColdMiB.toFixed(0)} MiB after the cold tick, ${f.hwmMiB.toFixed(0)} MiB after both)`,
  );
  lines.push(`    labeler Node flags: ${f.nodeArgs.join(' ') || '(none)'}`);
  lines.push(
    `  control plane peak RSS through seeding, both ticks and the floor: kube-apiserver ${f.planePeakMiB['kube-apiserver']?.toFixed(0)} MiB, etcd ${f.planePeakMiB['etcd']?.toFixed(0)} MiB (kube-apiserver flags added: ${f.apiServerArgs.join(' ') || 'none'})`,
  );
  const fields = ['rss', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers', 'malloced'];
  const spaces = ['new_space', 'old_space', 'large_object_space', 'code_space'];
  const show = (o: Record<string, number>) =>
    [
      ...fields.map((k) => `${k} ${o[k]}`),
      ...spaces.map((k) => `${k.replace('_space', '')} ${o[`${k}.used`]}`),
    ].join(', ');
  ['idle', 'tick from nothing', 'unchanged tick'].forEach((name, i) => {
    const p = f.phases[i];
    if (!p) return;
    lines.push(`    ${name}, max MiB: ${show(p.max)}`);
    lines.push(`      at its RSS peak: ${show(p.atRssPeak)}`);
  });
}

export default async function labelerScaleBench(): Promise<BenchResult> {
  const flags = benchFlags();
  // BENCH_LABELER_GROUPS=N: one size of N groups over the default's 20 namespaces.
  const groups = Number(process.env.BENCH_LABELER_GROUPS) || 0;
  // 41,000 stored objects, decoded in the watch cache with their event history, need more than
  // 15 GiB of kube-apiserver heap (docs/performance.md): the full sizes run without it.
  // BENCH_APISERVER_ARGS: more kube-apiserver flags, e.g. feature gates to compare.
  const apiServerArgs = [
    ...(flags.full || flags.noWatchCache ? ['--watch-cache=false'] : []),
    ...(process.env.BENCH_APISERVER_ARGS ?? '').split(' ').filter(Boolean),
  ];
  const sizes = groups
    ? [{ ...SIZES.base, groups }]
    : flags.quick
      ? [SIZES.quick]
      : flags.full
        ? [SIZES.base, SIZES.full]
        : [SIZES.base];
  const lines: string[] = [];
  const started = Date.now();
  for (const size of sizes) {
    if (lines.length) lines.push('');
    report(await measure(size, apiServerArgs), lines);
  }
  lines.push('', `(${((Date.now() - started) / 1000).toFixed(0)} s for this bench)`);
  return {
    title: 'backup-labeler at Supervisor scale: resync vs the API-server floor, RSS',
    lines,
  };
}
