// What the image test does with one function: start the image as the Knative Service in config/
// would (scripts/image/container.ts), against the test control plane, and check it serves.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { ControlPlane } from '../harness/index.ts';
import { freePort } from '../harness/processes.ts';
import type { Kube, KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import { postEvent } from '../support/cloudevents.ts';
import {
  SA_DIR,
  imageConfig,
  serviceAccountFiles,
  startContainer,
} from '../../scripts/image/container.ts';
import type { Container, ContainerSpec } from '../../scripts/image/container.ts';
import type { Prepared, Scenario } from './scenarios.ts';

const BUILD = fileURLToPath(new URL('../../scripts/image/build.sh', import.meta.url));

/** scripts/image/build.sh (cached: a no-op when nothing it reads changed); returns the tag. */
export function buildImage(options: { dockerfile?: string; tag?: string } = {}): string {
  const args = [BUILD];
  if (options.dockerfile) args.push('--dockerfile', options.dockerfile);
  if (options.tag) args.push('--tag', options.tag);
  // Progress (stderr, and all but the last stdout line) shows in the test output.
  const out = execFileSync('bash', args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = out.trim().split('\n');
  for (const l of lines.slice(0, -1)) process.stderr.write(`${l}\n`);
  return lines.at(-1)!;
}

interface Env {
  name: string;
  value?: string;
  valueFrom?: unknown;
}
interface ContainerSpecYaml {
  image: string;
  command?: string[];
  args?: string[];
  env?: Env[];
  volumeMounts?: Array<{ name: string; mountPath: string }>;
  securityContext?: { readOnlyRootFilesystem?: boolean; runAsNonRoot?: boolean };
}
export interface ServiceSpec {
  template: {
    spec: {
      serviceAccountName: string;
      timeoutSeconds?: number;
      containers: ContainerSpecYaml[];
      volumes?: Array<{ name: string; emptyDir?: unknown; [k: string]: unknown }>;
    };
  };
}

export const specOf = (svc: KubeObject): ServiceSpec['template']['spec'] =>
  (svc['spec'] as ServiceSpec).template.spec;

/** The function a Service runs (its FUNCTION variable). */
export const functionOf = (svc: KubeObject): string | undefined =>
  specOf(svc).containers[0]?.env?.find((e) => e.name === 'FUNCTION')?.value;

/** Knative's default when the spec sets none (config-defaults revision-timeout-seconds). */
const DEFAULT_TIMEOUT_SECONDS = 300;

/** The Service's container as the kubelet would run it, minus what depends on the plane. */
export function containerFrom(
  svc: KubeObject,
  image: string,
): Omit<ContainerSpec, 'logFile' | 'readOnlyMounts'> & { graceMs: number } {
  const spec = specOf(svc);
  const c = spec.containers[0]!;
  assert.equal(spec.containers.length, 1, 'one container per Service');
  assert.equal(c.securityContext?.readOnlyRootFilesystem, true, 'the runner mounts / read-only');
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    // A variable this runner cannot produce must fail here, not run untested.
    assert.ok(e.value !== undefined, `env ${e.name}: only literal values are supported here`);
    env[e.name] = e.value;
  }
  const tmpfs = (c.volumeMounts ?? []).map((m) => {
    const v = spec.volumes?.find((x) => x.name === m.name);
    assert.ok(v && 'emptyDir' in v, `volume ${m.name}: only emptyDir (a tmpfs here) is supported`);
    return m.mountPath;
  });
  // Kubernetes: `command` replaces ENTRYPOINT, `args` replaces CMD.
  return {
    image,
    name: svc.metadata.name,
    env,
    ...(c.command ? { command: c.command } : {}),
    ...(c.args ? { args: c.args } : {}),
    tmpfs,
    // Knative sets the pod's terminationGracePeriodSeconds to the revision's timeoutSeconds.
    graceMs: (spec.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
  };
}

/** runAsNonRoot: the kubelet refuses an image whose USER is not a non-zero number. */
export function assertNonRootUser(image: string): string {
  const user = imageConfig(image).User ?? '';
  assert.match(user, /^[1-9]\d*(:\d+)?$/, `image USER "${user}" is not a numeric non-root user`);
  return user;
}

async function serviceAccount(plane: ControlPlane, namespace: string, name: string, dir: string) {
  const kc = parse(
    readFileSync(await plane.kubeconfigForServiceAccount(namespace, name), 'utf8'),
  ) as {
    users: Array<{ user: { token: string } }>;
    clusters: Array<{ cluster: { 'certificate-authority-data': string } }>;
  };
  return serviceAccountFiles(dir, {
    token: kc.users[0]!.user.token,
    caPem: Buffer.from(kc.clusters[0]!.cluster['certificate-authority-data'], 'base64').toString(),
    namespace,
  });
}

export interface RunOptions {
  plane: ControlPlane;
  svc: KubeObject;
  image: string;
  /** Added to the Service's env and what the kubelet adds (e.g. the downward API's). */
  env?: Record<string, string>;
  /** Where the container's output goes (default: its temporary folder, removed by cleanup). */
  logFile?: string;
}

export interface Served {
  container: Container;
  url: string;
  graceMs: number;
  /** `buildah from` + mount of the working container, ms (vfs: a full copy of the image). */
  createMs: number;
  /** Spawn of `buildah run` → readiness 200, ms. */
  readyMs: number;
  dir: string;
  cleanup(): void;
}

/** Starts the Service's container from `image` and waits for readiness (or its exit). */
export async function serve({ plane, svc, image, env, logFile }: RunOptions): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), `vvf-image-${svc.metadata.name}-`));
  const { graceMs, ...spec } = containerFrom(svc, image);
  const api = new URL(plane.server);
  const port = await freePort();
  const name = svc.metadata.name;
  const sa = await serviceAccount(
    plane,
    svc.metadata.namespace!,
    specOf(svc).serviceAccountName,
    join(dir, 'sa'),
  );
  const t0 = performance.now();
  const container = await startContainer({
    ...spec,
    env: {
      ...spec.env,
      // What the kubelet and Knative add: the in-cluster API address, the serving port (a free
      // one: the host network is shared), the K_* names (knative.dev/serving env_var.go).
      KUBERNETES_SERVICE_HOST: api.hostname,
      KUBERNETES_SERVICE_PORT: api.port,
      PORT: String(port),
      K_SERVICE: name,
      K_CONFIGURATION: name,
      K_REVISION: `${name}-00001`,
      ...env,
    },
    readOnlyMounts: [{ source: sa, destination: SA_DIR }],
    logFile: logFile ?? join(dir, 'container.log'),
  }).catch((err: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  const cleanup = () => {
    container.remove();
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (container.hasExited())
        throw new Error(
          `${name} exited ${await container.exited} before ready:\n${container.output()}`,
        );
      const res = await fetch(`${url}/health/readiness`).catch(() => undefined);
      if (res?.status === 200) break;
      if (Date.now() > deadline)
        throw new Error(`${name} not ready after 60s:\n${container.output()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const readyMs = performance.now() - container.startedAt;
    return { container, url, graceMs, createMs: container.startedAt - t0, readyMs, dir, cleanup };
  } catch (err) {
    await container.stop('SIGKILL', 5_000);
    cleanup();
    throw err;
  }
}

/** `vmgroup_kube_api_calls_total{verb, resource, outcome="success"}` from a /metrics text. */
export function kubeCalls(metrics: string, verb: string, resource: string): number {
  let total = 0;
  for (const line of metrics.split('\n')) {
    const m = /^vmgroup_kube_api_calls_total\{([^}]*)\} (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries(
      [...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]),
    );
    if (
      labels['verb'] === verb &&
      labels['resource'] === resource &&
      labels['outcome'] === 'success'
    )
      total += Number(m[2]);
  }
  return total;
}

export interface ProbeResult {
  readyMs: number;
  stopMs: number;
}

/**
 * The whole check for one function: readiness and liveness 200, one real event handled with the
 * expected PATCH landing on the API server, /metrics served (and counting that PATCH), SIGTERM
 * → exit 0 within the grace period. Throws on the first failure, with the container's output.
 */
export async function probeFunction(
  opts: RunOptions & { admin: Kube; scenario: Scenario; veleroNs: string; appNs: string },
): Promise<ProbeResult> {
  const s = await serve(opts);
  let stopped = false;
  let prepared: Prepared | undefined;
  try {
    const withLog = (what: string) => `${what}\n--- container output\n${s.container.output()}`;
    assert.equal((await fetch(`${s.url}/health/liveness`)).status, 200, withLog('liveness'));
    prepared = await opts.scenario({
      admin: opts.admin,
      veleroNs: opts.veleroNs,
      appNs: opts.appNs,
    });
    const res = await postEvent(s.url, prepared.event);
    assert.ok(
      res.status >= 200 && res.status < 300,
      withLog(`status ${res.status}: ${JSON.stringify(res.body)}`),
    );
    assert.equal(res.reply?.type, prepared.replyType, withLog('reply type'));
    await prepared.verify();
    const metrics = await fetch(`${s.url}/metrics`);
    assert.equal(metrics.status, 200, withLog('/metrics'));
    const text = await metrics.text();
    assert.ok(
      kubeCalls(text, 'patch', prepared.patched) >= 1,
      withLog(`no successful patch of ${prepared.patched} in /metrics:\n${text}`),
    );
    const t0 = performance.now();
    const code = await s.container.stop('SIGTERM', s.graceMs);
    stopped = true;
    const stopMs = performance.now() - t0;
    assert.equal(code, 0, withLog('exit code after SIGTERM'));
    assert.ok(stopMs < s.graceMs, withLog(`exit took ${stopMs} ms, grace ${s.graceMs} ms`));
    return { readyMs: s.readyMs, stopMs };
  } finally {
    if (!stopped) await s.container.stop('SIGKILL', 5_000);
    s.cleanup();
    await prepared?.cleanup?.();
  }
}
