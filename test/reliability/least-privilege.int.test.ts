// Issue 9.5 — least privilege. Each function's ServiceAccount from config/overlays/production (the
// real kustomize render, applied to the RBAC-on control plane) is asked about EVERY verb of EVERY
// resource the API server serves — in a user namespace, in `velero`, in `vmgroup-backup` and
// cluster-wide — and the authorizer's answers must equal exactly what its Roles/ClusterRoles grant:
// everything outside is denied. (The functions completing their scenarios as these identities is
// shown by the other reliability tests, whose replicas run with them, and by test/config.)
import assert from 'node:assert/strict';
import { AuthorizationV1Api } from '@kubernetes/client-node';
import type { KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import { functionNames } from '../../functions/registry.ts';
import { testCluster } from '../harness/index.ts';
import type { TestCluster } from '../harness/index.ts';
import { figure } from './support/figures.ts';
import { productionRbac } from '../config/production-rbac.ts';
import { PRODUCT_NS } from './support/identity.ts';
import { restClient } from './support/rest.ts';

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
}

interface Grant {
  /** undefined = cluster-wide (ClusterRoleBinding); else the RoleBinding's namespace. */
  namespace?: string;
  rules: Rule[];
}

interface ServedResource {
  group: string;
  resource: string;
  namespaced: boolean;
  verbs: string[];
}

/** Granted to every authenticated user by Kubernetes' bootstrap policy (system:basic-user). */
const PUBLIC = new Set([
  'selfsubjectaccessreviews',
  'selfsubjectrulesreviews',
  'selfsubjectreviews',
]);

function grantsOf(objects: KubeObject[], sa: string): Grant[] {
  const roles = new Map(
    objects
      .filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole')
      .map((o) => [
        `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`,
        (o['rules'] ?? []) as Rule[],
      ]),
  );
  const out: Grant[] = [];
  for (const b of objects.filter(
    (o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding',
  )) {
    const subjects = (b['subjects'] ?? []) as Array<{
      kind: string;
      name: string;
      namespace?: string;
    }>;
    if (
      !subjects.some(
        (s) => s.kind === 'ServiceAccount' && s.name === sa && s.namespace === PRODUCT_NS,
      )
    )
      continue;
    const ref = b['roleRef'] as { kind: string; name: string };
    const ns = b.kind === 'RoleBinding' ? b.metadata.namespace : undefined;
    const rules = roles.get(`${ref.kind}/${ref.kind === 'Role' ? ns : ''}/${ref.name}`);
    assert.ok(rules, `${b.kind} ${b.metadata.name} refers to a role the config does not define`);
    out.push({ ...(ns ? { namespace: ns } : {}), rules });
  }
  return out;
}

function granted(
  grants: Grant[],
  verb: string,
  r: ServedResource,
  namespace: string | undefined,
): boolean {
  return grants.some(
    (g) =>
      (g.namespace === undefined || g.namespace === namespace) &&
      g.rules.some(
        (rule) =>
          (rule.apiGroups ?? []).some((x) => x === '*' || x === r.group) &&
          (rule.resources ?? []).some((x) => x === '*' || x === r.resource) &&
          rule.verbs.some((x) => x === '*' || x === verb) &&
          // A rule limited to names does not allow the verb on the resource as a whole.
          (rule.resourceNames ?? []).length === 0,
      ),
  );
}

async function servedResources(cluster: TestCluster): Promise<ServedResource[]> {
  const rest = restClient(cluster.kubeconfigPath);
  const lists: Array<{ group: string; path: string }> = [{ group: '', path: '/api/v1' }];
  const groups = (await rest.request('GET', '/apis')).body as {
    groups: Array<{ name: string; preferredVersion: { groupVersion: string } }>;
  };
  for (const g of groups.groups)
    lists.push({ group: g.name, path: `/apis/${g.preferredVersion.groupVersion}` });
  const out: ServedResource[] = [];
  for (const l of lists) {
    const body = (await rest.request('GET', l.path)).body as {
      resources: Array<{ name: string; namespaced: boolean; verbs: string[] }>;
    };
    for (const r of body.resources)
      if (!r.name.includes('/') && r.verbs.length > 0)
        out.push({ group: l.group, resource: r.name, namespaced: r.namespaced, verbs: r.verbs });
  }
  return out;
}

describe('reliability: least privilege of every function identity (control plane)', function () {
  let cluster: TestCluster;
  before(async () => {
    cluster = await testCluster();
  });

  it('each ServiceAccount is allowed exactly what its roles in config/ grant, and denied every other verb on every served resource', async function () {
    this.timeout(20 * 60_000);
    const objects = await productionRbac(cluster);
    const userNs = await cluster.newNamespace('lp-user');
    const served = await servedResources(cluster);
    const api = cluster.kubeConfig().makeApiClient(AuthorizationV1Api);
    const wrong: string[] = [];
    const counts: Record<string, { allowed: number; denied: number }> = {};
    for (const fn of functionNames()) {
      const grants = grantsOf(objects, fn);
      const user = `system:serviceaccount:${PRODUCT_NS}:${fn}`;
      const questions: Array<{ verb: string; r: ServedResource; namespace?: string }> = [];
      for (const r of served)
        for (const verb of r.verbs)
          for (const namespace of r.namespaced
            ? [userNs, 'velero', PRODUCT_NS, undefined]
            : [undefined])
            questions.push({ verb, r, ...(namespace ? { namespace } : {}) });
      const c = (counts[fn] = { allowed: 0, denied: 0 });
      let next = 0;
      const worker = async () => {
        for (let q = questions[next++]; q; q = questions[next++]) {
          const review = await api.createSubjectAccessReview({
            body: {
              spec: {
                user,
                groups: [
                  'system:serviceaccounts',
                  `system:serviceaccounts:${PRODUCT_NS}`,
                  'system:authenticated',
                ],
                resourceAttributes: {
                  verb: q.verb,
                  group: q.r.group,
                  resource: q.r.resource,
                  ...(q.namespace ? { namespace: q.namespace } : {}),
                },
              },
            },
          });
          const allowed = review.status?.allowed === true;
          const expected = PUBLIC.has(q.r.resource) || granted(grants, q.verb, q.r, q.namespace);
          if (allowed) c.allowed++;
          else c.denied++;
          if (allowed !== expected)
            wrong.push(
              `${fn}: ${q.verb} ${q.r.resource}${q.r.group ? `.${q.r.group}` : ''} ${q.namespace ?? 'cluster-wide'} → ${allowed ? 'allowed' : 'denied'}, config says ${expected ? 'allowed' : 'denied'}`,
            );
        }
      };
      await Promise.all(Array.from({ length: 24 }, worker));
    }
    figure('least-privilege', {
      servedResources: served.length,
      byFunction: counts,
      mismatches: wrong.length,
    });
    assert.deepEqual(
      wrong.slice(0, 30),
      [],
      `${wrong.length} answers differ from the config's roles`,
    );
    // Not one function may read Secrets anywhere.
    for (const fn of functionNames())
      for (const verb of ['get', 'list', 'watch'])
        assert.equal(
          granted(
            grantsOf(objects, fn),
            verb,
            { group: '', resource: 'secrets', namespaced: true, verbs: [] },
            userNs,
          ),
          false,
          `${fn} may ${verb} secrets`,
        );
  });
});
