// Scale from zero (issue 18 item 4): spawn → first EVENT answered, ours (the built bundle with the
// image's Node flags and a kubeconfig) vs faas-js-runtime serving the same function, median of 9,
// alternating. The path a scaled-to-zero Knative Service takes: the activator holds the event
// while the pod starts, the queue-proxy probes the container's readiness, and the event is
// forwarded once it answers; here readiness is polled every 2 ms and the 17 KiB VirtualMachine
// event (unique ce-id) is posted on a new connection as soon as it is 200. Also reported: spawn →
// ready, the first event's own latency (cold code paths, lazily loaded chunks), and the CPU the
// process used until the event was answered (barely moved by other load on the machine).

import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { benchFlags } from './flags.ts';
import type { BenchResult } from './run.ts';
import {
  NICE,
  SERVER_CPU,
  cpuSeconds,
  inThePod,
  postEvent,
  randomPort,
  rssMb,
  setUp,
  start,
  stop,
} from './runtime-setup.ts';
import type { Runtime, Setup } from './runtime-setup.ts';
import { median } from './stats.ts';

const STARTS = benchFlags().quick ? 3 : 9;

interface Cold {
  readyMs: number;
  answeredMs: number;
  firstEventMs: number;
  cpuMs: number;
  rssMb: number;
  status: number;
}

export default async function runtimeColdBench(): Promise<BenchResult> {
  const setup = await setUp('bench-runtime-cold');
  const port = randomPort();
  const loadBefore = loadavg()[0] ?? 0;
  // In the pod's heap (its memory limit, as bench/runtime-tail.bench.ts), then each runtime's flags.
  const pod = inThePod(setup);
  const runtimes = [pod.ours, pod.faas, pod.oursDefaults];
  const runs: Cold[][] = runtimes.map(() => []);
  for (let i = 0; i < STARTS; i++)
    for (const [k, runtime] of runtimes.entries())
      runs[k]?.push(await coldEvent(setup, runtime, port));
  const [ours, faas, oursDefaults] = runs as [Cold[], Cold[], Cold[]];
  const med = (rs: Cold[], f: (c: Cold) => number) => median(rs.map(f));
  const cell = (rs: Cold[], f: (c: Cold) => number, unit: string) =>
    `${med(rs, f).toFixed(0)} ${unit} (${range(rs.map(f))})`;
  const row = (label: string, f: (c: Cold) => number, unit = 'ms') =>
    `| ${label} | ${cell(ours, f, unit)} | ${cell(faas, f, unit)} | ${(med(ours, f) / med(faas, f)).toFixed(2)}× | ${cell(oursDefaults, f, unit)} |`;
  const ok = (rs: Cold[]) => rs.every((c) => c.status >= 200 && c.status < 300);
  return {
    title: 'runtime-cold: scale from zero, spawn → first event answered',
    lines: [
      `one function (validate a 17.3 KiB VirtualMachine event), ${STARTS} starts each, alternating; server pinned to CPU ${SERVER_CPU}` +
        `${NICE ? ', nice -10' : ''}; readiness polled every 2 ms, then the event posted on a new connection; ` +
        `every runtime with the pod's heap (memory limit ${pod.limitMiB} MiB: ${pod.heapFlags.join(' ')}); ` +
        `ours: node ${setup.ours.nodeFlags.join(' ')} bin/velero-vmgroup-functions.js serve (kubeconfig loaded); Node ${process.version}`,
      '',
      `| figure, median (min–max) | ${setup.ours.name} | ${setup.faas.name} | ours/faas | ours without the semi-space flags (${pod.defaults.join(' ')}) |`,
      '|---|---|---|---|---|',
      row('spawn → first event answered', (c) => c.answeredMs),
      row('spawn → readiness 200', (c) => c.readyMs),
      row('first event, posted → answered', (c) => c.firstEventMs),
      row('CPU time until the event was answered', (c) => c.cpuMs),
      row('RSS once the event was answered', (c) => c.rssMb, 'MB'),
      `| first event answered 2xx | ${ok(ours)} | ${ok(faas)} | | ${ok(oursDefaults)} |`,
      '',
      `1-minute load average ${loadBefore.toFixed(1)} before, ${(loadavg()[0] ?? 0).toFixed(1)} after`,
    ],
  };
}

async function coldEvent(setup: Setup, runtime: Runtime, port: number): Promise<Cold> {
  const { child, ms: readyMs, spawnedAt } = await start(runtime, port);
  try {
    const posted = performance.now();
    const status = await postEvent(port, setup.headers, setup.body, randomUUID());
    const answered = performance.now();
    return {
      readyMs,
      answeredMs: answered - spawnedAt,
      firstEventMs: answered - posted,
      cpuMs: cpuSeconds(child) * 1000,
      rssMb: rssMb(child),
      status,
    };
  } finally {
    await stop(child);
  }
}

function range(values: number[]): string {
  return `${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)}`;
}
