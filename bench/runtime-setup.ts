// What the runtime benches (runtime, runtime-tail, runtime-cold) share: the two runtimes serving
// the same function (ours from the built bundle with the image's Node flags, faas-js-runtime with
// an equivalent bundled handler), the 17 KiB VirtualMachine event, pinning, spawning a server and
// waiting for its readiness, reading its CPU and RSS from /proc, and the autocannon process.

import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get, request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { build } from '../scripts/build.ts';
import { readSchemaFiles } from '../functions/runtime/schema/schema-files.ts';
import { standaloneValidatorsModule } from '../functions/runtime/schema/schema-compiler.ts';
import { apiServerEvent, toBinaryHttp } from '../test/support/cloudevents.ts';
import { execForm, finalStage, readDockerfile } from '../test/config/dockerfile-model.ts';
import { ensureBinary } from '../scripts/binaries/ensure.ts';
import { parse as parseYaml } from 'yaml';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const node = process.execPath;
export const SERVER_CPU = '1';
export const LOAD_CPU = '0';
// Both runtimes and the load generator run at raised priority when allowed (root), so other work
// on a shared machine disturbs the comparison less; `taskset -c` pins each to its core.
export const NICE = spawnSync('nice', ['-n', '-10', 'true']).status === 0;
export const PINNED = NICE ? ['nice', '-n', '-10', 'taskset', '-c'] : ['taskset', '-c'];

export interface Runtime {
  name: string;
  /** Node flags before the script (ours: the image's ENTRYPOINT flags). */
  nodeFlags: string[];
  /** Script and its arguments. */
  command(port: number): string[];
}

export interface Setup {
  work: string;
  ours: Runtime;
  faas: Runtime;
  headers: Record<string, string>;
  /** The event body, also written to bodyFile for the load generators. */
  body: string;
  bodyFile: string;
}

/**
 * Node's flags in the image's ENTRYPOINT (`node <flags> /app/bin/…js`): the bench starts our
 * runtime with exactly these, so what it measures is what the image runs.
 */
export function imageNodeFlags(): string[] {
  const entrypoint = execForm(
    finalStage(readDockerfile()).instructions.find((i) => i.keyword === 'ENTRYPOINT'),
  );
  if (!entrypoint || entrypoint[0] !== 'node') throw new Error('ENTRYPOINT is not ["node", …]');
  return entrypoint.slice(1).filter((a) => a.startsWith('-'));
}

/** The Knative Services' container memory limit (config/base/patches/function-defaults.yaml), bytes. */
export function podMemoryLimit(): number {
  const ops = parseYaml(
    readFileSync(join(root, 'config/base/patches/function-defaults.yaml'), 'utf8'),
  ) as Array<{ path: string; value?: { limits?: { memory?: string } } }>;
  const limit = ops.find((op) => op.path.endsWith('/resources'))?.value?.limits?.memory;
  const m = /^(\d+)Mi$/.exec(limit ?? '');
  if (!m) throw new Error(`function-defaults.yaml: memory limit ${limit} is not <n>Mi`);
  return Number(m[1]) * 1024 * 1024;
}

/**
 * Pure. The heap V8 gets in a container with this memory limit, as Node 24 configures it: Node
 * passes the cgroup limit to V8's ResourceConstraints::ConfigureDefaults, which (V8 13, 64-bit
 * without pointer compression, limits up to 512 MiB) sizes the old generation at limit / 4 × 2 and
 * each semi-space at old / 256, at least 1 MiB. So a 256 MiB pod runs with a 128 MiB old
 * generation and 1 MiB semi-spaces however big the machine is; off the pod (this machine's
 * 24 GB) a semi-space grows to 16–32 MiB. Returned as the flags that set the same sizes, to be
 * put BEFORE the image's flags (the last occurrence of a V8 flag wins, as the image's flags
 * override the container defaults in the pod). Checked: `--max-heap-size=131` gives the same
 * heap_size_limit (131 MiB) and new-space growth as these.
 */
export function podHeapFlags(limitBytes: number): string[] {
  const MiB = 1024 * 1024;
  if (limitBytes > 1024 * MiB)
    throw new Error('podHeapFlags: only limits up to 1 GiB are modelled');
  const oldMb = Math.floor(limitBytes / 4 / MiB) * 2;
  const semiMb = Math.max(1, Math.floor(oldMb / 256));
  return [`--max-old-space-size=${oldMb}`, `--max-semi-space-size=${semiMb}`];
}

export interface InPod {
  limitMiB: number;
  /** podHeapFlags of the Services' memory limit. */
  heapFlags: string[];
  /** The image's flags without the young-generation (semi-space) ones. */
  defaults: string[];
  ours: Runtime;
  /** Ours with `defaults`: what the young-generation flags buy. */
  oursDefaults: Runtime;
  faas: Runtime;
  /** Ours with the pod's heap, `defaults` and these flags. */
  oursWith(flags: string[]): Runtime;
}

/** The runtimes as they run in a Knative Service's pod: its heap first, then their own flags. */
export function inThePod(setup: Setup): InPod {
  const limit = podMemoryLimit();
  const heapFlags = podHeapFlags(limit);
  const inPod = (runtime: Runtime, flags: string[]): Runtime => ({
    ...runtime,
    nodeFlags: [...heapFlags, ...flags],
  });
  const defaults = setup.ours.nodeFlags.filter((f) => !/semi-space/.test(f));
  return {
    limitMiB: limit / 1024 / 1024,
    heapFlags,
    defaults,
    ours: inPod(setup.ours, setup.ours.nodeFlags),
    oursDefaults: inPod(setup.ours, defaults),
    faas: inPod(setup.faas, setup.faas.nodeFlags),
    oursWith: (flags) => inPod(setup.ours, [...defaults, ...flags]),
  };
}

/** Builds dist/ and vegeta, bundles the faas-js-runtime function, writes the event and a kubeconfig. */
export async function setUp(name: string): Promise<Setup> {
  const work = join(root, '.tmp', name);
  mkdirSync(work, { recursive: true });
  await build();
  // Built from Go modules on first use (~1 min); before any measurement, not in the middle of one.
  await ensureBinary('vegeta');
  const faasFunction = await bundleFaasFunction(work);
  const kubeconfig = writeKubeconfig(work);
  const vm = JSON.parse(readFileSync(join(root, 'bench/fixtures/virtualmachine.json'), 'utf8')) as {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace: string };
  };
  const { headers, body } = toBinaryHttp(apiServerEvent('add', vm));
  const bodyFile = join(work, 'event.json');
  writeFileSync(bodyFile, body);
  return {
    work,
    headers,
    body,
    bodyFile,
    ours: {
      name: 'velero-vmgroup-functions',
      nodeFlags: imageNodeFlags(),
      command: (port) => [
        join(root, 'bin/velero-vmgroup-functions.js'),
        'serve',
        join(root, 'bench/fixtures/validate-vm-function.js'),
        '--port',
        String(port),
        '--kubeconfig',
        kubeconfig,
      ],
    },
    faas: {
      name: `faas-js-runtime ${faasVersion()}`,
      nodeFlags: [],
      command: (port) => [
        join(root, 'node_modules/faas-js-runtime/bin/cli.js'),
        faasFunction,
        '--port',
        String(port),
      ],
    },
  };
}

export const randomPort = (): number => 18_000 + Math.floor(Math.random() * 2000);

export interface Started {
  child: ChildProcess;
  /** Spawn → first 200 from /health/readiness. */
  ms: number;
  /** CPU time the process used until ready. */
  cpuMs: number;
  /** When it was spawned (performance.now()). */
  spawnedAt: number;
}

/** Spawns the runtime pinned to the server core and waits for /health/readiness to answer 200. */
export async function start(
  runtime: Runtime,
  port: number,
  opts: { extraNodeFlags?: string[]; env?: Record<string, string>; pollMs?: number } = {},
): Promise<Started> {
  const child = spawnServer(runtime, port, opts);
  const { spawnedAt } = child;
  for (;;) {
    child.check();
    if ((await status(`http://127.0.0.1:${port}/health/readiness`)) === 200) {
      return {
        child: child.child,
        ms: performance.now() - spawnedAt,
        cpuMs: cpuSeconds(child.child) * 1000,
        spawnedAt,
      };
    }
    await sleep(opts.pollMs ?? 2);
  }
}

/** Spawns the runtime pinned to the server core without waiting; check() throws once it exited or took 20 s. */
function spawnServer(
  runtime: Runtime,
  port: number,
  opts: { extraNodeFlags?: string[]; env?: Record<string, string> } = {},
): { child: ChildProcess; spawnedAt: number; check(): void } {
  const spawnedAt = performance.now();
  const child = spawn(
    PINNED[0] as string,
    [
      ...PINNED.slice(1),
      SERVER_CPU,
      node,
      ...runtime.nodeFlags,
      ...(opts.extraNodeFlags ?? []),
      ...runtime.command(port),
    ],
    {
      cwd: root,
      env: { PATH: process.env.PATH, LOG_LEVEL: 'info', NODE_ENV: 'production', ...opts.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return {
    child,
    spawnedAt,
    check() {
      if (child.exitCode !== null)
        throw new Error(`${runtime.name} exited ${child.exitCode}: ${stderr}`);
      if (performance.now() - spawnedAt > 20_000)
        throw new Error(`${runtime.name} not ready after 20 s: ${stderr}`);
    },
  };
}

export function status(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
  });
}

/** POSTs the event once; resolves the status code (0 when the connection failed). */
export function postEvent(
  port: number,
  headers: Record<string, string>,
  body: string,
  id: string,
): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/',
        headers: { ...headers, 'ce-id': id, 'content-length': Buffer.byteLength(body) },
        agent: false,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** utime + stime of the server process (Linux clock ticks of 1/100 s). */
export function cpuSeconds(child: ChildProcess): number {
  const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export function rssMb(child: ChildProcess): number {
  // taskset execs node, so the child's pid is the server's.
  const text = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(text)?.[1] ?? 0);
  return kb / 1024;
}

export interface CannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
}

/** autocannon (bench/load.ts) in its own process on the load core, unique ce-id per request. */
export function autocannon(
  setup: Pick<Setup, 'headers' | 'bodyFile'>,
  port: number,
  opts: { seconds: number; connections: number; rate?: number },
): Promise<CannonResult> {
  const load = {
    url: `http://127.0.0.1:${port}/`,
    connections: opts.connections,
    seconds: opts.seconds,
    rate: opts.rate,
    headers: setup.headers,
    bodyFile: setup.bodyFile,
  };
  const args = [...PINNED, LOAD_CPU, node, join(root, 'bench/load.ts'), JSON.stringify(load)];
  return new Promise((resolve, reject) => {
    const child = spawn(args[0] as string, args.slice(1), {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      try {
        if (code !== 0) throw new Error(`exit ${code}`);
        resolve(JSON.parse(out) as CannonResult);
      } catch (e) {
        reject(new Error(`load generator failed (${(e as Error).message}): ${err}`));
      }
    });
  });
}

function writeKubeconfig(work: string): string {
  // Parsed and turned into a client at start like any kubeconfig; the handler never calls the API.
  const path = join(work, 'kubeconfig');
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'current-context: bench',
      'clusters: [{name: bench, cluster: {server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true}}]',
      'users: [{name: bench, user: {token: bench-token}}]',
      'contexts: [{name: bench, context: {cluster: bench, user: bench}}]',
      '',
    ].join('\n'),
  );
  return path;
}

async function bundleFaasFunction(work: string): Promise<string> {
  writeFileSync(join(work, 'validators.js'), standaloneValidatorsModule(readSchemaFiles()));
  const out = join(work, 'faas-function.mjs');
  await esbuild.build({
    stdin: {
      contents: `
        import { validators } from './validators.js';
        const validate = validators.get('https://vmgroup-backup.dev/schemas/objects/virtualmachine.schema.json');
        export function handle(context, event) {
          if (!validate(event.data)) throw new Error('invalid VirtualMachine');
        }`,
      resolveDir: work,
      loader: 'js',
    },
    nodePaths: [join(root, 'node_modules')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    minify: true,
    outfile: out,
    logLevel: 'warning',
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  });
  return out;
}

function faasVersion(): string {
  return (
    JSON.parse(readFileSync(join(root, 'node_modules/faas-js-runtime/package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
