// Function replicas as real, separate processes: the built bundle's `serve` command (what the
// container image runs), each with the function's own ServiceAccount kubeconfig, logs to a file
// (scanned afterwards), SIGKILL-able. Built once per run from the working tree.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../harness/processes.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'velero-vmgroup-functions.js');

let built: Promise<void> | undefined;

/** `npm run build` once per run, so the replicas run the code under test. */
export function buildOnce(): Promise<void> {
  built ??= promisify(execFile)(process.execPath, [join(ROOT, 'scripts', 'build.ts')], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  }).then(() => undefined);
  return built;
}

export interface Replica {
  name: string;
  url: string;
  pid: number;
  logFile: string;
  child: ChildProcess;
  exited: Promise<void>;
  alive(): boolean;
  /** SIGKILL: no drain, no cleanup (a node lost, an OOM kill). */
  kill(): Promise<void>;
  /** SIGTERM: drain, as Knative scales down. */
  stop(): Promise<void>;
  metrics(): Promise<string>;
  /** Resident set size in KiB (from /proc). */
  rssKiB(): number;
  log(): string;
}

export interface ReplicaOptions {
  fn: string;
  kubeconfig: string;
  dir: string;
  index: number;
  env?: Record<string, string>;
  /** Node flags before the script (e.g. the inspector, to read the heap after GC). */
  nodeArgs?: string[];
  logLevel?: string;
}

export async function startReplica(o: ReplicaOptions): Promise<Replica> {
  await buildOnce();
  const port = await freePort();
  const name = `${o.fn}-${o.index}`;
  const logFile = join(o.dir, `${name}-${port}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [
      ...(o.nodeArgs ?? []),
      BIN,
      'serve',
      o.fn,
      '--port',
      String(port),
      '--kubeconfig',
      o.kubeconfig,
      '--log-level',
      o.logLevel ?? 'info',
    ],
    // Only what the function is configured with; never the test's own credentials.
    { stdio: ['ignore', fd, fd], env: { PATH: process.env.PATH ?? '', ...o.env }, cwd: ROOT },
  );
  closeSync(fd);
  let done = false;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => ((done = true), resolve())),
  );
  const url = `http://127.0.0.1:${port}`;
  const replica: Replica = {
    name,
    url,
    pid: child.pid ?? 0,
    logFile,
    child,
    exited,
    alive: () => !done,
    async kill() {
      if (!done) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (!done) child.kill('SIGTERM');
      await Promise.race([exited, sleep(15_000).then(() => replica.kill())]);
    },
    async metrics() {
      return (await fetch(`${url}/metrics`)).text();
    },
    rssKiB() {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return Number(m?.[1] ?? NaN);
    },
    log: () => readFileSync(logFile, 'utf8'),
  };
  for (let i = 0; ; i++) {
    if (done) throw new Error(`${name} exited during start-up:\n${replica.log().slice(-3000)}`);
    const ok = await fetch(`${url}/health/readiness`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return replica;
    if (i > 300) throw new Error(`${name} not ready after 30 s:\n${replica.log().slice(-3000)}`);
    await sleep(100);
  }
}

/** Sum of a Prometheus counter's samples whose labels include all of `match`. */
export function counter(text: string, metric: string, match: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`) && !line.startsWith(`${metric} `)) continue;
    const labels = /\{([^}]*)\}/.exec(line)?.[1] ?? '';
    if (Object.entries(match).every(([k, v]) => labels.includes(`${k}="${v}"`)))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Successful writes (PATCH/POST) a replica made, from its /metrics Kubernetes-call counters. */
export async function successfulWrites(r: Replica): Promise<{ patch: number; create: number }> {
  const text = await r.metrics();
  return {
    patch: counter(text, 'vmgroup_kube_api_calls_total', { verb: 'patch', outcome: 'success' }),
    create: counter(text, 'vmgroup_kube_api_calls_total', { verb: 'create', outcome: 'success' }),
  };
}

/** Kubernetes calls by `verb resource outcome`, from a replica's /metrics text. */
export function kubeCalls(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('vmgroup_kube_api_calls_total{')) continue;
    const l = (k: string) => new RegExp(`${k}="([^"]*)"`).exec(line)?.[1] ?? '';
    const key = `${l('verb')} ${l('resource')} ${l('outcome')}`;
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}
