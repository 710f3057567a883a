// A real etcd + kube-apiserver on loopback with RBAC on and the pinned CRDs installed.
// Usable from mocha (through index.ts) and from scripts (the demo): startControlPlane() → stop().
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { ensureBinaries } from '../../scripts/binaries/ensure.ts';
import { findGo } from '../../scripts/binaries/go-toolchain.ts';
import { loadVersions } from '../../scripts/binaries/versions.ts';
import {
  applyYaml,
  createNamespace,
  getJson,
  installCrds,
  loadKubeConfig,
  serviceAccountToken,
  uniqueName,
} from './cluster-api.ts';
import { localObjects, upstreamCrds } from './crd-sources.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { freePort, killNow, logTail, spawnLogged, stopProcess } from './processes.ts';
import type { Managed } from './processes.ts';
import { runsExecutable, startReaper } from './reaper.ts';
import type { Reaper } from './reaper.ts';

const DIR_PREFIX = 'vvf-plane-';
const LOCAL_CRDS_DIR = fileURLToPath(new URL('./crds/', import.meta.url));

export interface ControlPlaneOptions {
  env?: NodeJS.ProcessEnv;
  /** Progress lines (stderr by default, so CI output shows start-up). */
  log?: (line: string) => void;
  /** Install the pinned upstream CRDs and test/harness/crds/ (default true). */
  installCrds?: boolean;
  /** More folders of YAML to install after the CRDs. */
  extraCrdDirs?: string[];
  /**
   * Keys of versions.json `crds` not to install (the VM Operator plane leaves `vmOperator` to
   * VM Operator itself, which installs its own CRDs at start-up).
   */
  omitCrdSources?: string[];
  /**
   * More kube-apiserver flags, after the plane's own (benches: `--watch-cache=false`, whose
   * watch cache would not fit 41,000 stored VMs of 17 KiB in this machine's memory).
   */
  apiServerArgs?: string[];
  /** More environment for kube-apiserver only (benches: a GOMEMLIMIT). */
  apiServerEnv?: Record<string, string>;
}

export interface ControlPlane {
  /** https://127.0.0.1:PORT */
  server: string;
  /** Kubeconfig of the admin identity (group system:masters). */
  kubeconfigPath: string;
  /** Temporary folder of this plane; removed by stop(). */
  dir: string;
  /** Wall time of startControlPlane, binaries already built. */
  startupMs: number;
  crdCount: number;
  /** A fresh admin KubeConfig. */
  kubeConfig(): KubeConfig;
  newNamespace(prefix: string): Promise<string>;
  /** Kubeconfig authenticating as that ServiceAccount (created when missing) via a TokenRequest token. */
  kubeconfigForServiceAccount(namespace: string, name: string): Promise<string>;
  applyYaml(text: string, namespace?: string): Promise<KubernetesObject[]>;
  /**
   * Outage tests: stops kube-apiserver (SIGTERM, SIGKILL after a grace period) and starts it
   * again with the same arguments, port and serving certificate; etcd keeps running, so no state
   * is lost. Clients see connection refused in between.
   */
  apiServer: { stop(): Promise<void>; start(): Promise<void> };
  /** PIDs by name of the plane's processes now alive (etcd, kube-apiserver, adopted ones), e.g. to sample RSS. */
  pids(): Record<string, number>;
  /**
   * Makes a process started next to the plane (VM Operator, the vCenter simulator) part of it:
   * stop() ends it first (newest first), the exit handlers and the reaper kill it.
   */
  adopt(m: Managed): void;
  stop(): Promise<void>;
}

interface Running {
  dir: string;
  processes: Managed[];
  reaper: Reaper;
}

// Planes alive in this process, for the exit and signal handlers (installed on first start).
const running = new Set<Running>();
let handlersInstalled = false;

function cleanupNow(plane: Running): void {
  for (const p of [...plane.processes].reverse()) killNow(p);
  rmSync(plane.dir, { recursive: true, force: true });
  plane.reaper.release();
  running.delete(plane);
}

function onSignal(signal: NodeJS.Signals): void {
  for (const plane of [...running]) cleanupNow(plane);
  // Re-raise with the default action so the exit status says which signal ended the run.
  process.removeListener(signal, onSignal);
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    for (const plane of [...running]) cleanupNow(plane);
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
}

/** Folders of planes whose owner died without cleaning up (e.g. the whole group was SIGKILLed). */
function sweepStalePlanes(): void {
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith(DIR_PREFIX)) continue;
    const dir = join(tmpdir(), entry);
    try {
      const owner = JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8')) as {
        pid: number;
        children?: { pid: number; exe: string }[];
      };
      if (existsSync(`/proc/${owner.pid}`)) continue;
      for (const c of owner.children ?? [])
        if (runsExecutable(c.pid, c.exe)) process.kill(c.pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // unreadable or half-written: leave it to its owner
    }
  }
}

function recordOwner(plane: Running): void {
  const children = plane.processes.map((p) => ({ pid: p.child.pid, exe: p.exe }));
  writeFileSync(join(plane.dir, 'owner.json'), JSON.stringify({ pid: process.pid, children }));
}

function track(plane: Running, m: Managed): Managed {
  plane.processes.push(m);
  if (m.child.pid) plane.reaper.watchProcess(m.child.pid, m.exe);
  recordOwner(plane);
  return m;
}

async function waitFor(
  what: string,
  m: Managed,
  timeoutMs: number,
  ready: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready().catch(() => false))) {
    if (m.hasExited()) throw new Error(`${what} exited during start-up:\n${logTail(m)}`);
    if (Date.now() > deadline)
      throw new Error(`${what} not ready after ${timeoutMs} ms:\n${logTail(m)}`);
    await sleep(100);
  }
}

const portTaken = (m: Managed) => m.hasExited() && /address already in use/i.test(logTail(m, 200));

/** Starts, and starts again on fresh ports if another process grabbed a port in between. */
async function withFreshPorts(plane: Running, start: () => Promise<Managed>): Promise<Managed> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      const last = plane.processes.at(-1);
      if (attempt >= 3 || !last || !portTaken(last)) throw err;
    }
  }
}

async function startEtcd(plane: Running, exe: string): Promise<{ url: string; m: Managed }> {
  let url = '';
  const m = await withFreshPorts(plane, async () => {
    const [client, peer] = [await freePort(), await freePort()];
    url = `http://127.0.0.1:${client}`;
    const peerUrl = `http://127.0.0.1:${peer}`;
    const args = [
      '--name=test-plane',
      `--data-dir=${join(plane.dir, 'etcd')}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=test-plane=${peerUrl}`,
      // Throwaway data: durability costs seconds per test run on a shared disk.
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ];
    const proc = track(plane, spawnLogged('etcd', exe, args, join(plane.dir, 'etcd.log')));
    await waitFor('etcd', proc, 60_000, async () => {
      const res = await fetch(`${url}/health`);
      return res.ok && ((await res.json()) as { health?: string }).health === 'true';
    });
    return proc;
  });
  return { url, m };
}

interface Credentials {
  adminToken: string;
}

function writeCredentials(dir: string): Credentials {
  const adminToken = randomBytes(24).toString('hex');
  // Static token file: token,user,uid,"groups". system:masters bypasses RBAC, like a cluster admin.
  writeFileSync(join(dir, 'tokens.csv'), `${adminToken},test-admin,test-admin,"system:masters"\n`, {
    mode: 0o600,
  });
  // Service-account tokens are signed with a key made for this run only.
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  writeFileSync(join(dir, 'sa.pub'), publicKey);
  writeFileSync(join(dir, 'sa.key'), privateKey, { mode: 0o600 });
  return { adminToken };
}

/** What a caller adds to the plane's own kube-apiserver command line and environment. */
interface ApiServerExtra {
  args: string[];
  env: Record<string, string>;
}

function apiServerArgs(dir: string, etcdUrl: string, port: number, extra: string[]): string[] {
  return [
    `--etcd-servers=${etcdUrl}`,
    `--secure-port=${port}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    // No --tls-cert-file: the API server makes a self-signed CA + serving cert here.
    `--cert-dir=${join(dir, 'pki')}`,
    `--token-auth-file=${join(dir, 'tokens.csv')}`,
    '--authorization-mode=RBAC',
    '--anonymous-auth=false',
    '--service-cluster-ip-range=10.0.0.0/24',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${join(dir, 'sa.pub')}`,
    `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
    '--allow-privileged=true',
    ...extra,
  ];
}

interface ApiServerRun {
  server: string;
  caPem: string;
  /** Starts kube-apiserver again on the same port (see ControlPlane.apiServer). */
  restart(): Promise<Managed>;
}

function spawnApiServer(
  plane: Running,
  exe: string,
  etcdUrl: string,
  creds: Credentials,
  port: number,
  extra: ApiServerExtra,
): Promise<Managed> {
  const server = `https://127.0.0.1:${port}`;
  const certFile = join(plane.dir, 'pki', 'apiserver.crt');
  const proc = track(
    plane,
    spawnLogged(
      'kube-apiserver',
      exe,
      apiServerArgs(plane.dir, etcdUrl, port, extra.args),
      join(plane.dir, 'kube-apiserver.log'),
      Object.keys(extra.env).length ? { env: { ...process.env, ...extra.env } } : {},
    ),
  );
  return waitFor('kube-apiserver', proc, 180_000, async () => {
    if (!existsSync(certFile)) return false;
    const kc = adminKubeConfigFromParts(
      server,
      readFileSync(certFile, 'utf8'),
      creds.adminToken,
      plane.dir,
    );
    return (await getJson(kc, '/readyz')).status === 200;
  }).then(() => proc);
}

async function startApiServer(
  plane: Running,
  exe: string,
  etcdUrl: string,
  creds: Credentials,
  extra: ApiServerExtra,
): Promise<ApiServerRun> {
  let port = 0;
  await withFreshPorts(plane, async () => {
    port = await freePort();
    return spawnApiServer(plane, exe, etcdUrl, creds, port, extra);
  });
  const certFile = join(plane.dir, 'pki', 'apiserver.crt');
  return {
    server: `https://127.0.0.1:${port}`,
    caPem: readFileSync(certFile, 'utf8'),
    restart: () => spawnApiServer(plane, exe, etcdUrl, creds, port, extra),
  };
}

function adminKubeConfigFromParts(
  server: string,
  caPem: string,
  token: string,
  dir: string,
): KubeConfig {
  return loadKubeConfig(
    writeKubeconfig(join(dir, 'admin.kubeconfig'), { server, caPem, token, user: 'test-admin' }),
  );
}

async function installAllCrds(
  kc: KubeConfig,
  options: ControlPlaneOptions,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  if (options.installCrds === false) return 0;
  const go = findGo(env);
  if (!go)
    throw new Error(
      'the pinned CRDs come from the Go module cache: install Go >= 1.26 (or pass installCrds: false)',
    );
  const versions = loadVersions();
  const omit = new Set(options.omitCrdSources ?? []);
  const crds = Object.fromEntries(Object.entries(versions.crds).filter(([key]) => !omit.has(key)));
  const objects = [
    ...(await upstreamCrds({ ...versions, crds }, go, env)),
    ...localObjects(LOCAL_CRDS_DIR),
  ];
  for (const dir of options.extraCrdDirs ?? []) objects.push(...localObjects(dir));
  return installCrds(kc, objects);
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  sweepStalePlanes();
  const bins = await ensureBinaries(['etcd', 'kube-apiserver'], { env, log });
  const started = Date.now();
  const secs = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
  installHandlers();
  const plane: Running = {
    dir: mkdtempSync(join(tmpdir(), DIR_PREFIX)),
    processes: [],
    reaper: startReaper(),
  };
  plane.reaper.watchDir(plane.dir);
  running.add(plane);
  recordOwner(plane);
  try {
    const etcd = await startEtcd(plane, bins['etcd']!);
    log(`control plane: etcd up at ${etcd.url} (${secs()})`);
    const creds = writeCredentials(plane.dir);
    const api = await startApiServer(plane, bins['kube-apiserver']!, etcd.url, creds, {
      args: options.apiServerArgs ?? [],
      env: options.apiServerEnv ?? {},
    });
    const { server, caPem } = api;
    log(`control plane: kube-apiserver ready at ${server} (${secs()})`);
    const kubeconfigPath = join(plane.dir, 'admin.kubeconfig');
    const crdCount = await installAllCrds(loadKubeConfig(kubeconfigPath), options, env);
    log(`control plane: CRDs established: ${crdCount} (${secs()})`);
    const startupMs = Date.now() - started;
    log(`control plane: ready in ${secs()} (dir ${plane.dir})`);
    return handle(plane, {
      server,
      caPem,
      kubeconfigPath,
      startupMs,
      crdCount,
      restartApiServer: api.restart,
    });
  } catch (err) {
    await stopPlane(plane);
    throw err;
  }
}

async function stopPlane(plane: Running): Promise<void> {
  // API server first: it would otherwise spin on a vanished etcd.
  for (const p of [...plane.processes].reverse()) await stopProcess(p);
  cleanupNow(plane);
}

interface HandleParts {
  server: string;
  caPem: string;
  kubeconfigPath: string;
  startupMs: number;
  crdCount: number;
  restartApiServer(): Promise<Managed>;
}

function handle(plane: Running, parts: HandleParts): ControlPlane {
  const kubeConfig = () => loadKubeConfig(parts.kubeconfigPath);
  let stopping: Promise<void> | undefined;
  return {
    server: parts.server,
    kubeconfigPath: parts.kubeconfigPath,
    dir: plane.dir,
    startupMs: parts.startupMs,
    crdCount: parts.crdCount,
    kubeConfig,
    async newNamespace(prefix) {
      const name = uniqueName(prefix);
      await createNamespace(kubeConfig(), name);
      return name;
    },
    async kubeconfigForServiceAccount(namespace, name) {
      const token = await serviceAccountToken(kubeConfig(), namespace, name);
      const user = `system:serviceaccount:${namespace}:${name}`;
      const path = join(
        plane.dir,
        `sa-${namespace}-${name}-${randomBytes(3).toString('hex')}.kubeconfig`,
      );
      return writeKubeconfig(path, {
        server: parts.server,
        caPem: parts.caPem,
        token,
        user,
        namespace,
      });
    },
    applyYaml: (text, namespace) => applyYaml(kubeConfig(), text, namespace),
    adopt: (m) => void track(plane, m),
    pids: () =>
      Object.fromEntries(
        plane.processes
          .filter((p) => !p.hasExited() && p.child.pid !== undefined)
          .map((p) => [p.name, p.child.pid!]),
      ),
    apiServer: {
      async stop() {
        const api = plane.processes.filter((p) => p.name === 'kube-apiserver' && !p.hasExited());
        for (const p of api) {
          await stopProcess(p);
          plane.processes.splice(plane.processes.indexOf(p), 1);
        }
        recordOwner(plane);
      },
      async start() {
        if (plane.processes.some((p) => p.name === 'kube-apiserver' && !p.hasExited())) return;
        await parts.restartApiServer();
      },
    },
    stop() {
      stopping ??= stopPlane(plane);
      return stopping;
    },
  };
}
