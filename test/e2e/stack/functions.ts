// The functions as they ship: the esbuild bundle in dist/ run by bin/velero-vmgroup-functions.js
// `serve`, one process per Knative Service of the rendered config, with that Service's
// environment and a kubeconfig for its ServiceAccount (the least-privilege RBAC from config/).
// VVF_E2E_FROM_IMAGE=1 runs each from the image instead (scripts/image/build.sh, built or reused;
// run as test/image runs it: USER 1000, read-only root, the service account's token projected),
// so the e2e suite can exercise what users deploy; off by default (needs root and buildah).
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startProcess, waitReady } from './proc.ts';
import type { Managed, StartOptions } from './proc.ts';
import type { ControlPlane } from '../../harness/index.ts';
import type { KubeObject } from '../../../functions/runtime/kube/kube-api.ts';

const BIN = fileURLToPath(new URL('../../../bin/velero-vmgroup-functions.js', import.meta.url));
export const PRODUCT_IMAGE = /velero-vmgroup-functions/;

export interface RunningFunction {
  service: string;
  url: string;
  process: Managed;
}

interface ServiceSpec {
  template: {
    spec: {
      serviceAccountName: string;
      containers: Array<{ image: string; env?: Array<{ name: string; value?: string }> }>;
    };
  };
}

/** Knative Services of the config that run the product image. */
export function productServices(objects: readonly KubeObject[]): KubeObject[] {
  return objects.filter(
    (o) =>
      o.kind === 'Service' &&
      o.apiVersion.startsWith('serving.knative.dev/') &&
      PRODUCT_IMAGE.test((o['spec'] as ServiceSpec).template.spec.containers[0]?.image ?? ''),
  );
}

export const fromImage = (): boolean => process.env['VVF_E2E_FROM_IMAGE'] === '1';

/** One Service's container from the image, as a Managed process of the stack (stop: SIGTERM to it). */
async function startFromImage(
  plane: ControlPlane,
  svc: KubeObject,
  image: string,
  logFile: string,
  options: StartOptions,
): Promise<RunningFunction> {
  const { serve } = await import('../../image/probe.ts');
  const s = await serve({
    plane,
    svc,
    image,
    env: { ...options.env, POD_NAMESPACE: svc.metadata.namespace! },
    logFile,
  });
  const c = s.container;
  const argv0 = readFileSync(`/proc/${c.pid}/cmdline`, 'utf8').split('\0')[0]!;
  options.reaper?.watchProcess(c.pid, argv0);
  // The stack stops its processes with child.kill: here that signals the container's process.
  const child = Object.create(null) as ChildProcess;
  Object.assign(child, {
    pid: c.pid,
    kill: (signal?: NodeJS.Signals) => (c.kill(signal ?? 'SIGTERM'), true),
  });
  let done = false;
  const exited = c.exited.then((code) => {
    done = true;
    s.cleanup();
    return code;
  });
  const managed: Managed = {
    name: `fn-${svc.metadata.name}`,
    exe: argv0,
    child,
    logFile,
    exited,
    hasExited: () => done,
  };
  return { service: svc.metadata.name, url: `${s.url}/`, process: managed };
}

export async function startFunctions(
  plane: ControlPlane,
  services: KubeObject[],
  dir: string,
  options: StartOptions,
): Promise<RunningFunction[]> {
  const image = fromImage() ? (await import('../../image/probe.ts')).buildImage() : undefined;
  const started = await Promise.all(
    services.map(async (svc) => {
      const logFile = join(dir, `fn-${svc.metadata.name}.log`);
      if (image) return startFromImage(plane, svc, image, logFile, options);
      const spec = (svc['spec'] as ServiceSpec).template.spec;
      const env: Record<string, string> = {};
      for (const e of spec.containers[0]?.env ?? [])
        if (e.value !== undefined) env[e.name] = e.value;
      const ns = svc.metadata.namespace!;
      const kubeconfig = await plane.kubeconfigForServiceAccount(ns, spec.serviceAccountName);
      const port = await freePort();
      const m = startProcess(
        `fn-${svc.metadata.name}`,
        process.execPath,
        [BIN, 'serve', '--port', String(port), '--kubeconfig', kubeconfig],
        logFile,
        // What Knative's downward API gives a pod; the container's own env from the config.
        { ...options, env: { ...options.env, ...env, POD_NAMESPACE: ns } },
      );
      const url = `http://127.0.0.1:${port}/`;
      return { service: svc.metadata.name, url, process: m };
    }),
  );
  for (const f of started)
    await waitReady(f.process, 60_000, async () => (await fetch(`${f.url}health/readiness`)).ok);
  return started;
}
