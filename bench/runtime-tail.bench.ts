// Tail latency, like for like (issue 18 item 3): both runtimes serving the same function under the
// SAME open-loop rate (vegeta's constant pacer, bench/open-loop.ts; latency from each request's
// intended send), with the same 17 KiB VirtualMachine event: at 1,000 events/s and at half of the
// slower runtime's saturation (autocannon, closed loop, measured first in the same run). Ours runs
// with the image's Node flags (Dockerfile ENTRYPOINT, read by bench/runtime-setup.ts); beside it,
// ours on Node's default young generation (the image's flags without the semi-space ones) shows
// what the flag buys. Each run is a fresh server, warmed up at the same rate, then measured; rounds
// alternate the runtimes so they see the same machine. During each measured run a preloaded probe
// (bench/fixtures/gc-probe.js, v8.GCProfiler) counts V8's collections and the bytes allocated.
// BENCH_TAIL_FLAGS="--a=1;--b=2 --c" adds variants of ours with those extra Node flags.

import { loadavg } from 'node:os';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { benchFlags } from './flags.ts';
import { openLoop } from './open-loop.ts';
import type { OpenLoopResult } from './open-loop.ts';
import type { BenchResult } from './run.ts';
import {
  LOAD_CPU,
  NICE,
  PINNED,
  SERVER_CPU,
  autocannon,
  inThePod,
  randomPort,
  root,
  rssMb,
  setUp,
  sleep,
  start,
  stop,
} from './runtime-setup.ts';
import type { Runtime, Setup } from './runtime-setup.ts';
import { median } from './stats.ts';

const QUICK = benchFlags().quick;
const SECONDS = QUICK ? 2 : Number(process.env.BENCH_SECONDS ?? 10);
const WARM_SECONDS = QUICK ? 1 : Number(process.env.BENCH_WARM_SECONDS ?? 3);
const ROUNDS = QUICK ? 1 : Number(process.env.BENCH_ROUNDS ?? 2);
const SATURATION_SECONDS = QUICK ? 1 : 5;
/** The issue's fixed rate; --quick uses a low one (CI only proves the bench runs). */
const FIXED_RATE = QUICK ? 200 : 1000;
const CONNECTIONS = 20;
const PROBE = join(root, 'bench/fixtures/gc-probe.js');

interface Variant {
  label: string;
  runtime: Runtime;
}

interface GcSummary {
  allocatedBytes: number;
  byType: Record<string, { count: number; costUs: number }>;
  maxCostUs: number;
}

interface Run {
  result: OpenLoopResult;
  gc: GcSummary | undefined;
  peakRssMb: number;
  load: number;
  /** Time the server's main thread was runnable but waiting for a CPU (other processes on its core). */
  cpuWaitMs: number;
}

export default async function runtimeTailBench(): Promise<BenchResult> {
  const setup = await setUp('bench-runtime-tail');
  const port = randomPort();
  const loadBefore = loadavg()[0] ?? 0;
  // Every variant runs with the heap V8 gets in the Knative Service's pod (its memory limit), not
  // this machine's: the young generation's size is what is compared.
  const pod = inThePod(setup);
  const variants: Variant[] = [
    { label: `ours, image flags (${setup.ours.nodeFlags.join(' ')})`, runtime: pod.ours },
    ...(pod.defaults.length !== setup.ours.nodeFlags.length
      ? [
          {
            label: `ours, the pod's default young generation (${pod.defaults.join(' ')})`,
            runtime: pod.oursDefaults,
          },
        ]
      : []),
    ...(process.env.BENCH_TAIL_FLAGS ?? '')
      .split(';')
      .filter((f) => f.trim())
      .map((extra) => ({
        label: `ours, ${[...pod.defaults, extra.trim()].join(' ')}`,
        runtime: pod.oursWith(extra.trim().split(/\s+/)),
      })),
    { label: setup.faas.name, runtime: pod.faas },
  ];

  const saturation = new Map<string, number>();
  for (const variant of [variants[0], variants.at(-1)] as Variant[])
    saturation.set(variant.runtime.name, await saturate(setup, variant.runtime, port));
  const slower = Math.min(...saturation.values());
  const rates = process.env.BENCH_TAIL_RATES
    ? process.env.BENCH_TAIL_RATES.split(',').map(Number)
    : [FIXED_RATE, Math.floor(slower / 2)];

  // runs[rate index][variant index] = one per round
  const runs: Run[][][] = rates.map(() => variants.map(() => []));
  for (const [r, rate] of rates.entries())
    for (let round = 0; round < ROUNDS; round++)
      for (const [v, variant] of variants.entries())
        runs[r]?.[v]?.push(await measure(setup, variant.runtime, port, rate));

  const lines = [
    `event: Resource-mode VirtualMachine add, ${(setup.body.length / 1024).toFixed(1)} KiB binary mode, unique ce-id per request; ` +
      `server pinned to CPU ${SERVER_CPU}, vegeta on CPU ${LOAD_CPU}${NICE ? ', nice -10' : ''}; a fresh server per run, ` +
      `warmed up ${WARM_SECONDS} s at the run's rate, then ${SECONDS} s measured; ${ROUNDS} round(s) alternating; Node ${process.version}`,
    `saturation (autocannon, ${CONNECTIONS} connections, ${SATURATION_SECONDS} s): ` +
      [...saturation].map(([name, eps]) => `${name} ${eps.toFixed(0)}/s`).join(', ') +
      ` → half of the slower: ${rates[1]}/s`,
    `every runtime with the heap Node gives V8 in the Knative Service's pod (memory limit ${pod.limitMiB} MiB, ` +
      `config/base/patches/function-defaults.yaml), emulated by ${pod.heapFlags.join(' ')} before the runtime's own flags`,
    '',
    '| rate | runtime | p50 | p99 (median of rounds; each round) | max | p99 ours/faas | failed | allocated per event | events per minor GC | minor / major GCs | GC time, longest | waited for the CPU | peak RSS | load avg |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const faasIndex = variants.length - 1;
  for (const [r, rate] of rates.entries()) {
    const faasP99 = median((runs[r]?.[faasIndex] ?? []).map((x) => x.result.p99Ms));
    for (const [v, variant] of variants.entries()) {
      const rs = runs[r]?.[v] ?? [];
      const p99 = median(rs.map((x) => x.result.p99Ms));
      const events = rs.reduce((n, x) => n + x.result.requests, 0);
      const gcs = rs.map((x) => x.gc).filter((g): g is GcSummary => g !== undefined);
      const count = (re: RegExp) =>
        gcs.reduce(
          (n, g) =>
            n +
            Object.entries(g.byType)
              .filter(([t]) => re.test(t))
              .reduce((m, [, x]) => m + x.count, 0),
          0,
        );
      const minor = count(/Scavenge|MinorMarkSweep/);
      const major = count(/MarkSweepCompact/);
      const gcMs = gcs.reduce(
        (n, g) => n + Object.values(g.byType).reduce((m, x) => m + x.costUs, 0) / 1000,
        0,
      );
      const allocated = gcs.reduce((n, g) => n + g.allocatedBytes, 0);
      lines.push(
        `| ${rate}/s | ${variant.label} | ${ms(median(rs.map((x) => x.result.p50Ms)))} | ` +
          `**${ms(p99)}** (${rs.map((x) => x.result.p99Ms.toFixed(2)).join(', ')}) | ` +
          `${ms(Math.max(...rs.map((x) => x.result.maxMs)))} | ` +
          `${v === faasIndex ? '' : `**${(p99 / faasP99).toFixed(2)}×**`} | ` +
          `${rs.reduce((n, x) => n + x.result.failed, 0)} | ` +
          `${gcs.length ? `${(allocated / events / 1024).toFixed(1)} KiB` : 'n/a'} | ` +
          `${minor ? (events / minor).toFixed(0) : '—'} | ${minor} / ${major} | ` +
          `${gcMs.toFixed(0)} ms, ${ms(Math.max(0, ...gcs.map((g) => g.maxCostUs / 1000)))} | ` +
          `${rs.reduce((n, x) => n + x.cpuWaitMs, 0).toFixed(0)} ms | ` +
          `${Math.max(...rs.map((x) => x.peakRssMb)).toFixed(0)} MB | ` +
          `${rs.map((x) => x.load.toFixed(1)).join(', ')} |`,
      );
    }
  }
  lines.push(
    '',
    `target: ours ≤ 0.5× faas-js-runtime's p99 at each rate; GC figures summed over the measured runs ` +
      `(v8.GCProfiler; minor = Scavenge, major = MarkSweepCompact; GC time = the collections' own durations; waited for the CPU = the main thread runnable but not running, /proc/<pid>/schedstat); ` +
      `1-minute load average ${loadBefore.toFixed(1)} before, ${(loadavg()[0] ?? 0).toFixed(1)} after`,
  );
  return { title: 'runtime-tail: p99 at the same open-loop rate, ours vs faas-js-runtime', lines };
}

/** Events/s at saturation of a fresh, warmed-up server (closed loop). */
async function saturate(setup: Setup, runtime: Runtime, port: number): Promise<number> {
  const { child } = await start(runtime, port);
  try {
    await autocannon(setup, port, { seconds: SATURATION_SECONDS, connections: CONNECTIONS });
    const r = await autocannon(setup, port, {
      seconds: SATURATION_SECONDS,
      connections: CONNECTIONS,
    });
    return r.requests.average;
  } finally {
    await stop(child);
  }
}

async function measure(setup: Setup, runtime: Runtime, port: number, rate: number): Promise<Run> {
  const out = join(setup.work, 'gc.json');
  rmSync(out, { force: true });
  const { child } = await start(runtime, port, {
    extraNodeFlags: [`--import=${PROBE}`],
    env: { GC_PROBE_OUT: out },
  });
  const load = (seconds: number) =>
    openLoop({
      url: `http://127.0.0.1:${port}/`,
      rate,
      seconds,
      headers: setup.headers,
      bodyFile: setup.bodyFile,
      work: setup.work,
      pin: [...PINNED, LOAD_CPU],
    });
  try {
    if (WARM_SECONDS > 0) await load(WARM_SECONDS);
    let peakRssMb = rssMb(child);
    const sampler = setInterval(() => (peakRssMb = Math.max(peakRssMb, rssMb(child))), 250);
    const waitBefore = runQueueWaitMs(child.pid);
    child.kill('SIGUSR2');
    const result = await load(SECONDS);
    child.kill('SIGUSR2');
    const cpuWaitMs = runQueueWaitMs(child.pid) - waitBefore;
    clearInterval(sampler);
    for (let i = 0; i < 200 && !existsSync(out); i++) await sleep(10);
    const gc = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as GcSummary) : undefined;
    return { result, gc, peakRssMb, load: loadavg()[0] ?? 0, cpuWaitMs };
  } finally {
    await stop(child);
  }
}

/** /proc/<pid>/schedstat: time on the CPU, time waiting on a run queue (ns), time slices. */
function runQueueWaitMs(pid: number | undefined): number {
  const fields = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(' ');
  return Number(fields[1]) / 1e6;
}

function ms(value: number): string {
  return `${value.toFixed(2)} ms`;
}
