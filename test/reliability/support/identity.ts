// Each function's own identity, exactly as deployed: the production overlay rendered by the real
// kustomize, its RBAC objects applied to the control plane, and a kubeconfig that authenticates as
// the function's ServiceAccount (TokenRequest token). Nothing here widens what config/ grants.
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestCluster } from '../../harness/index.ts';
import { productionRbac } from '../../config/production-rbac.ts';
import { kubeConfigFromFile, selfCan } from '../../config/access.ts';
import { FUNCTION_ACCESS } from '../../config/function-access.ts';

export const PRODUCT_NS = 'vmgroup-backup';
/** Kubeconfig of `function`'s ServiceAccount from the production config, once RBAC answers for it. */
export async function functionKubeconfig(cluster: TestCluster, fn: string): Promise<string> {
  await productionRbac(cluster);
  const path = await cluster.kubeconfigForServiceAccount(PRODUCT_NS, fn);
  // The RBAC authorizer's cache follows new bindings asynchronously: wait until every access the
  // function needs (config test's table) is allowed.
  const kc = kubeConfigFromFile(path);
  const needs = (FUNCTION_ACCESS[fn]?.needs ?? []).map((a) =>
    a.namespace === 'USER' ? { ...a, namespace: 'default' } : a,
  );
  for (let i = 0; ; i++) {
    const answers = await Promise.all(needs.map((a) => selfCan(kc, a).catch(() => false)));
    if (answers.every(Boolean)) break;
    if (i > 100) throw new Error(`${fn}: RBAC never allowed what the function needs`);
    await sleep(100);
  }
  return path;
}
