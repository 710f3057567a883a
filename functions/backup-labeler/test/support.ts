// Integration-test set-up for the labeler: the real control plane, a service account bound to
// exactly LABELER_RULES, a Kube client acting as it (with a call counter), and an admin client
// for arranging and checking (the admin may read Secrets; the function never does).

import { stringify } from 'yaml';
import type { Kube, KubeObject } from '../../runtime/kube/kube-api.ts';
import { createKube } from '../../runtime/kube/kube.ts';
import type { Logger } from '../../runtime/function.ts';
import { testCluster } from '../../../test/harness/index.ts';
import type { TestCluster } from '../../../test/harness/index.ts';
import { LABELER_RULES } from '../rbac.ts';
import type { LabelerDeps } from '../handler.ts';
import { VMOP_API_VERSION } from '../../vmgroup/names.ts';
import { startServer } from '../../runtime/http/server.ts';
import { PRODUCT } from '../../product.ts';
import backupLabeler from '../index.ts';

export interface CallLog {
  /** `at`: performance.now() when the call finished. */
  calls: Array<{ verb: string; resource: string; outcome: string; at: number }>;
  reset(): void;
  count(verb: string, resource?: string): number;
  writes(): number;
}

export function callLog(): CallLog & {
  observer: { kubeCall(verb: string, resource: string, outcome: string): void };
} {
  const calls: CallLog['calls'] = [];
  return {
    calls,
    observer: {
      kubeCall: (verb, resource, outcome) =>
        void calls.push({ verb, resource, outcome, at: performance.now() }),
    },
    reset: () => void calls.splice(0),
    count: (verb, resource) =>
      calls.filter((c) => c.verb === verb && (resource === undefined || c.resource === resource))
        .length,
    // Successful patches/creates: what changed something on the server.
    writes: () =>
      calls.filter((c) => (c.verb === 'patch' || c.verb === 'create') && c.outcome === 'success')
        .length,
  };
}

export const quietLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error: (o, m) => console.error('backup-labeler error:', m, o),
};

export interface LabelerEnv {
  cluster: TestCluster;
  admin: Kube;
  /** Kube acting as the labeler's service account. */
  kube: Kube;
  log: ReturnType<typeof callLog>;
  deps: LabelerDeps;
  kubeconfigPath: string;
}

let shared: Promise<LabelerEnv> | undefined;

/** A service account bound to LABELER_RULES on `cluster`, and clients (also used by the bench). */
export async function labelerIdentity(cluster: TestCluster): Promise<LabelerEnv> {
  const home = await cluster.newNamespace('labeler-sa');
  const role = `labeler-${home}`;
  await cluster.applyYaml(
    [
      stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: role },
        rules: LABELER_RULES,
      }),
      stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: role },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
        subjects: [{ kind: 'ServiceAccount', name: 'backup-labeler', namespace: home }],
      }),
    ].join('---\n'),
  );
  const kubeconfigPath = await cluster.kubeconfigForServiceAccount(home, 'backup-labeler');
  const log = callLog();
  const kube = createKube(kubeconfigPath, log.observer);
  const admin = createKube(cluster.kubeconfigPath);
  // RBAC bindings take effect asynchronously in the authorizer cache; wait until a list works.
  for (let i = 0; ; i++) {
    try {
      await kube.list('v1', 'ConfigMap', home);
      break;
    } catch (err) {
      if (i > 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const deps: LabelerDeps = {
    kube,
    logger: quietLogger,
    vmopApiVersion: VMOP_API_VERSION,
    maxPasses: 6,
    concurrency: 16,
  };
  return { cluster, admin, kube, log, deps, kubeconfigPath };
}

/** One labeler identity per mocha run (RBAC set-up once). */
export function labelerEnv(): Promise<LabelerEnv> {
  shared ??= testCluster().then(labelerIdentity);
  return shared;
}

export async function createAll(
  admin: Kube,
  namespace: string,
  objects: readonly KubeObject[],
): Promise<Map<string, KubeObject>> {
  const out = new Map<string, KubeObject>();
  for (const o of objects) {
    const created = await admin.create({ ...o, metadata: { ...o.metadata, namespace } });
    out.set(`${o.kind}/${o.metadata.name}`, created);
  }
  return out;
}

export async function labelsOn(
  admin: Kube,
  namespace: string,
  apiVersion: string,
  kind: string,
  name: string,
): Promise<Record<string, string>> {
  const o = await admin.get({ apiVersion, kind, namespace, name });
  if (!o) throw new Error(`${kind} ${namespace}/${name} not found`);
  return o.metadata.labels ?? {};
}

/** Only our keys, to compare without the user's labels. */
export function ours(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(labels).filter(
      ([k]) =>
        k.startsWith('member.vmgroup-backup.dev/') || k === 'vmgroup.vmoperator.vmware.com/name',
    ),
  );
}

/** The labeler served over HTTP on a free loopback port, as its Knative Service runs it. */
export function serveLabeler(
  kube: Kube,
  o: { now?: () => Date; env?: Readonly<Record<string, string | undefined>> } = {},
): Promise<{ url: string; close(): Promise<void> }> {
  return startServer(backupLabeler as never, {
    port: 0,
    host: '127.0.0.1',
    product: PRODUCT,
    ctx: {
      kube,
      logger: quietLogger,
      clock: { now: o.now ?? (() => new Date()) },
      env: o.env ?? {},
    },
  });
}
