// Runs a container from an image built by scripts/image/build.sh the way a kubelet runs a Knative
// Service's user container, as far as `buildah run --isolation chroot` can (Docker and podman
// cannot run here):
//  - the image's own ENTRYPOINT + CMD (or the spec's command/args), WorkingDir, Env and USER
//    (1000:1000, what runAsNonRoot checks), all capabilities dropped, the host's network;
//  - a read-only root file system: the container's root is bind-mounted read-only onto itself
//    before the run. buildah must still create and remove its own mount points in /run
//    (/run/.containerenv, volume targets), so /run stays writable for root only (root-owned 0755:
//    the uid-1000 process cannot write there either) and its world-writable /run/lock is
//    read-only; the read-only probe in test/image checks that the process can write nowhere;
//  - tmpfs only where the spec mounts an emptyDir; the service-account token, CA and namespace
//    read-only at /var/run/secrets/kubernetes.io/serviceaccount, as the kubelet projects them;
//  - stop(): SIGTERM to the container's process (the one the kubelet signals), then its exit code.
// Needs root (mounts) and buildah.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const IMAGE_CACHE = join(
  process.env['VVF_CACHE'] || join(homedir(), '.cache/velero-vmgroup-functions'),
  'image',
);

/** buildah on the storage scripts/image/build.sh writes (vfs: no overlay, no user namespaces here). */
export function buildah(args: string[]): string {
  return execFileSync('buildah', buildahArgv(args), {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  }).trim();
}

export const buildahArgv = (args: string[]): string[] => [
  '--root',
  join(IMAGE_CACHE, 'storage'),
  '--runroot',
  join(IMAGE_CACHE, 'run'),
  '--storage-driver',
  'vfs',
  ...args,
];

/** The OCI config of an image (what a runtime starts: entrypoint, cmd, env, user, workdir). */
export interface ImageConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
}

export function imageConfig(image: string): ImageConfig {
  const info = JSON.parse(buildah(['inspect', '--type', 'image', image])) as {
    OCIv1: { config?: ImageConfig };
  };
  return info.OCIv1.config ?? {};
}

export interface ContainerSpec {
  image: string;
  /** Shown in logs and the container's name. */
  name: string;
  env: Record<string, string>;
  /** Kubernetes `command` / `args` (replace ENTRYPOINT / CMD when set). */
  command?: string[];
  args?: string[];
  /** Host folder → container path, read-only. */
  readOnlyMounts?: Array<{ source: string; destination: string }>;
  /** Container paths that get a tmpfs (the spec's emptyDir mounts). */
  tmpfs?: string[];
  /** Where the container's stdout+stderr go. */
  logFile: string;
}

export interface Container {
  name: string;
  /** performance.now() when `buildah run` was spawned (after the working container was made). */
  startedAt: number;
  /** Host pid of the container's process (no PID namespace under chroot isolation); 0 if it ended at once. */
  pid: number;
  output(): string;
  /** Resolves with the container process's exit code (buildah run passes it through). */
  exited: Promise<number | null>;
  hasExited(): boolean;
  /** Sends `signal` to the container's process (to buildah when that process is gone). */
  kill(signal: NodeJS.Signals): void;
  /** Sends `signal` to the container's process, waits up to `graceMs`, returns its exit code. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
  /** Unmounts and removes the working container (after stop). */
  remove(): void;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** A path inside the root, symlinks resolved inside it (Debian's /var/run → /run). */
function resolveInRoot(root: string, path: string): string {
  return execFileSync('chroot', [root, '/usr/bin/realpath', '-m', path], {
    encoding: 'utf8',
  }).trim();
}

function mountReadOnlyRoot(root: string): string[] {
  const mounted: string[] = [];
  const bind = (path: string, mode: 'ro' | 'rw') => {
    execFileSync('mount', ['--bind', path, path]);
    mounted.unshift(path);
    execFileSync('mount', ['-o', `remount,bind,${mode}`, path]);
  };
  bind(root, 'ro');
  bind(join(root, 'run'), 'rw');
  for (const entry of readdirSync(join(root, 'run'), { withFileTypes: true }))
    if (entry.isDirectory()) bind(join(root, 'run', entry.name), 'ro');
  return mounted;
}

function childPids(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  return children;
}

/**
 * The descendant of `root` whose command line starts with `argv0` (the container's process), or 0
 * when buildah ended first (a short command, or a start failure the caller reports).
 */
async function findContainerProcess(
  root: number,
  argv0: string,
  child: ChildProcess,
): Promise<number> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && child.exitCode === null) {
    const tree = childPids();
    const queue = [...(tree.get(root) ?? [])];
    while (queue.length > 0) {
      const pid = queue.shift()!;
      try {
        // buildah resolves argv[0] on the image's PATH (node → /usr/local/bin/node).
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
        if (basename(cmd) === basename(argv0)) return pid;
      } catch {
        // exited meanwhile
      }
      queue.push(...(tree.get(pid) ?? []));
    }
    await sleep(25);
  }
  if (child.exitCode !== null) return 0;
  throw new Error(`container process "${argv0}" not found under buildah (pid ${root})`);
}

/** Writes the files the kubelet projects for a service account into a fresh folder. */
export function serviceAccountFiles(
  dir: string,
  sa: { token: string; caPem: string; namespace: string },
): string {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  // Projected volumes default to mode 0644: readable by the container's non-root user.
  for (const [file, text] of [
    ['token', sa.token],
    ['ca.crt', sa.caPem],
    ['namespace', sa.namespace],
  ] as const)
    writeFileSync(join(dir, file), text, { mode: 0o644 });
  return dir;
}

export { SA_DIR };

export async function startContainer(spec: ContainerSpec): Promise<Container> {
  const config = imageConfig(spec.image);
  const ctr = buildah([
    'from',
    '--pull=never',
    '--name',
    `vvf-${spec.name}-${process.pid}-${Date.now()}`,
    spec.image,
  ]);
  const root = buildah(['mount', ctr]);
  let mounted: string[] = [];
  const remove = () => {
    for (const path of mounted) execFileSync('umount', [path]);
    mounted = [];
    buildah(['rm', ctr]);
  };
  try {
    const argv = [
      ...(spec.command ?? config.Entrypoint ?? []),
      ...(spec.args ?? (spec.command ? [] : (config.Cmd ?? []))),
    ];
    if (argv.length === 0) throw new Error(`${spec.image} has no ENTRYPOINT or CMD`);
    const volumes = (spec.readOnlyMounts ?? []).flatMap((m) => [
      '--volume',
      `${m.source}:${resolveInRoot(root, m.destination)}:ro`,
    ]);
    const tmpfs = (spec.tmpfs ?? []).flatMap((p) => [
      '--mount',
      `type=tmpfs,destination=${resolveInRoot(root, p)}`,
    ]);
    mounted = mountReadOnlyRoot(root);
    const env = Object.entries(spec.env).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
    const startedAt = performance.now();
    const child = spawn(
      'buildah',
      buildahArgv([
        'run',
        '--isolation',
        'chroot',
        '--network',
        'host',
        '--cap-drop',
        'ALL',
        ...env,
        ...volumes,
        ...tmpfs,
        ctr,
        '--',
        ...argv,
      ]),
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    const log = createWriteStream(spec.logFile);
    const collect = (d: Buffer) => {
      out += d.toString();
      log.write(d);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => {
        log.end();
        resolve(code);
      }),
    );
    const pid = await findContainerProcess(child.pid!, argv[0]!, child).catch(async (err) => {
      child.kill('SIGKILL');
      await exited;
      throw new Error(`${(err as Error).message}\n${out}`);
    });
    const kill = (signal: NodeJS.Signals) => {
      try {
        process.kill(pid > 0 ? pid : child.pid!, signal);
      } catch {
        child.kill(signal); // already gone
      }
    };
    return {
      name: spec.name,
      startedAt,
      pid,
      output: () => out,
      exited,
      hasExited: () => child.exitCode !== null || child.signalCode !== null,
      kill,
      async stop(signal = 'SIGTERM', graceMs = 30_000) {
        if (child.exitCode === null) kill(signal);
        // The kubelet kills the container when the grace period ends.
        const timer = setTimeout(() => kill('SIGKILL'), graceMs);
        try {
          return await exited;
        } finally {
          clearTimeout(timer);
        }
      },
      remove,
    };
  } catch (err) {
    remove();
    throw err;
  }
}
