// Serves one function on loopback the way it runs in a cluster: under its own ServiceAccount,
// granted only the RBAC the test passes in, in fresh namespaces on the shared control plane.
import { stringify } from 'yaml';
import type { TestCluster } from '../harness/index.ts';
import type { FunctionDefinition } from '../../functions/runtime/function.ts';
import type { Kube } from '../../functions/runtime/kube/kube-api.ts';
import { createKube } from '../../functions/runtime/kube/kube.ts';
import { createLogger } from '../../functions/runtime/process/logger.ts';
import { startServer } from '../../functions/runtime/http/server.ts';
import type { RunningServer } from '../../functions/runtime/http/server.ts';
import type { RuleScope, ScopedRules } from '../../functions/runtime/kube/policy-rule.ts';
import { PRODUCT } from '../../functions/product.ts';

export interface ServedFunction {
  admin: Kube;
  server: RunningServer;
  veleroNs: string;
  productNs: string;
  appNs: string;
}

export interface ServeOptions {
  /** RBAC YAML for the account `sa` in `productNs`, given the test's Velero namespace. */
  rbac: (veleroNs: string, productNs: string, sa: string) => string;
  /** The function's environment, given the namespaces. */
  env: (ns: { veleroNs: string; productNs: string }) => Record<string, string>;
}

/**
 * RBAC YAML granting exactly `rules` (functions/<name>/rbac.ts) where the deploy config grants
 * them: a Role in the test's Velero namespace, a Role in its product namespace, a ClusterRole.
 */
export function rbacFromRules(rules: ScopedRules): ServeOptions['rbac'] {
  return (veleroNs, productNs, sa) => {
    const docs: object[] = [];
    const grant = (scope: RuleScope, namespace: string | undefined) => {
      if (rules[scope].length === 0) return;
      const kind = namespace ? 'Role' : 'ClusterRole';
      // Cluster-scoped names are shared by every suite on the plane: make them unique.
      const name = namespace ? `${sa}-${scope}` : `${productNs}-${sa}`;
      const meta = namespace ? { name, namespace } : { name };
      docs.push(
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata: meta, rules: rules[scope] },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: `${kind}Binding`,
          metadata: meta,
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name },
          subjects: [{ kind: 'ServiceAccount', name: sa, namespace: productNs }],
        },
      );
    };
    grant('velero', veleroNs);
    grant('product', productNs);
    grant('cluster', undefined);
    return docs.map((d) => stringify(d)).join('---\n');
  };
}

export async function serveAsServiceAccount(
  cluster: TestCluster,
  def: FunctionDefinition<unknown>,
  options: ServeOptions,
): Promise<ServedFunction> {
  const admin = createKube(cluster.kubeconfigPath);
  const veleroNs = await cluster.newNamespace('velero');
  const productNs = await cluster.newNamespace('vmgroup-backup');
  const appNs = await cluster.newNamespace('apps');
  const sa = def.name;
  await cluster.applyYaml(
    `apiVersion: v1\nkind: ServiceAccount\nmetadata: { name: ${sa}, namespace: ${productNs} }\n`,
  );
  await cluster.applyYaml(options.rbac(veleroNs, productNs, sa));
  const kube = createKube(await cluster.kubeconfigForServiceAccount(productNs, sa));
  const server = await startServer(def, {
    port: 0,
    host: '127.0.0.1',
    product: PRODUCT,
    ctx: {
      kube,
      clock: { now: () => new Date() },
      logger: createLogger('silent'),
      env: options.env({ veleroNs, productNs }),
    },
  });
  return { admin, server, veleroNs, productNs, appNs };
}
