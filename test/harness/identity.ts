// Test support: a service account bound to exactly a function's rules, and a Kube acting as it.

import { stringify } from 'yaml';
import type { TestCluster } from './index.ts';
import type { PolicyRule } from '../../functions/runtime/kube/policy-rule.ts';
import { createKube } from '../../functions/runtime/kube/kube.ts';
import type { Kube } from '../../functions/runtime/kube/kube-api.ts';

export async function kubeAs(
  cluster: TestCluster,
  name: string,
  rules: readonly PolicyRule[],
): Promise<Kube> {
  const home = await cluster.newNamespace(`${name}-sa`);
  const role = `${name}-${home}`;
  await cluster.applyYaml(
    [
      stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: role },
        rules,
      }),
      stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: role },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
        subjects: [{ kind: 'ServiceAccount', name, namespace: home }],
      }),
    ].join('---\n'),
  );
  const kube = createKube(await cluster.kubeconfigForServiceAccount(home, name));
  // RBAC takes effect asynchronously in the authorizer's cache; wait until the role answers.
  const probe = rules[0]!;
  for (let i = 0; ; i++) {
    try {
      await kube.list(
        probe.apiGroups[0] ? `${probe.apiGroups[0]}/v1alpha5` : 'v1',
        probe.apiGroups[0] ? 'VirtualMachine' : 'PersistentVolumeClaim',
        undefined,
      );
      return kube;
    } catch (err) {
      if (i > 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
