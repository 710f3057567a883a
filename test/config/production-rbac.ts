// The production overlay's ServiceAccounts and RBAC applied for real to a control plane, once per
// run: what the RBAC config test checks and what the reliability suites run their functions as.
import assert from 'node:assert/strict';
import type { KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import type { TestCluster } from '../harness/index.ts';
import { ensureNamespaces, failures, serverSideApply } from './cluster-apply.ts';
import { render } from './render.ts';

const RBAC_KINDS = new Set([
  'ServiceAccount',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'ClusterRoleBinding',
]);

// Once per control plane (a bench may start several in one process).
const applied = new WeakMap<TestCluster, Promise<KubeObject[]>>();

/** Renders config/overlays/production once, applies its RBAC objects, returns everything rendered. */
export function productionRbac(cluster: TestCluster): Promise<KubeObject[]> {
  const known = applied.get(cluster);
  if (known) return known;
  const applying = (async () => {
    const objects = await render('overlays/production');
    const rbac = objects.filter((o) => RBAC_KINDS.has(o.kind));
    await ensureNamespaces(
      cluster.kubeConfig(),
      new Set(rbac.map((o) => o.metadata.namespace).filter((n): n is string => Boolean(n))),
    );
    assert.deepEqual(
      failures(await serverSideApply(cluster.kubeConfig(), rbac, { dryRun: false })),
      [],
    );
    return objects;
  })();
  applied.set(cluster, applying);
  return applying;
}
