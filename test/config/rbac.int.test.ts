// The rendered RBAC, applied for real to the test control plane and questioned there: every
// identity can do what its component needs, and is refused one step beyond.
import assert from 'node:assert/strict';
import type { KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import { testCluster } from '../harness/index.ts';
import type { TestCluster } from '../harness/index.ts';
import { guessPlural } from '../support/cloudevents.ts';
import { functionNames } from '../../functions/registry.ts';
import { LABELER_RULES } from '../../functions/backup-labeler/rbac.ts';
import { FIXER_RULES } from '../../functions/restore-fixer/rbac.ts';
import { SEQUENCER_RULES } from '../../functions/restore-sequencer/rbac.ts';
import { GUARD_RULES } from '../../functions/backup-guard/rbac.ts';
import { DATAMOVER_RULES } from '../../functions/datamover-progress/rbac.ts';
import { VERIFIER_RULES } from '../../functions/backup-verifier/rbac.ts';
import type { RuleScope, ScopedRules } from '../../functions/runtime/kube/policy-rule.ts';
import { describeAccess, kubeConfigFromFile, selfCan, subjectCan } from './access.ts';
import { FUNCTION_ACCESS, PRODUCT_NS, VELERO_NS } from './function-access.ts';
import type { Access } from './access.ts';
import { productionRbac } from './production-rbac.ts';

interface SourceSpec {
  serviceAccountName: string;
  namespaceSelector?: { matchLabels?: Record<string, string> };
  resources: Array<{ apiVersion: string; kind: string }>;
}

const groupOf = (apiVersion: string): string =>
  apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';

describe('config: RBAC on the real API server', function () {
  this.timeout(600_000);
  let cluster: TestCluster;
  let objects: KubeObject[];
  /** A namespace the config knows nothing about, standing for "some user namespace". */
  let userNamespace: string;

  before(async () => {
    cluster = await testCluster();
    objects = await productionRbac(cluster);
    userNamespace = await cluster.newNamespace('rbac-user');
  });

  describe('ApiServerSource identities (checked the way Knative checks them before starting an adapter)', () => {
    it('may get, list and watch every watched resource where the source watches, and nothing more', async () => {
      const sources = objects.filter((o) => o.kind === 'ApiServerSource');
      assert.ok(sources.length >= 2);
      for (const src of sources) {
        const spec = src['spec'] as SourceSpec;
        const user = `system:serviceaccount:${src.metadata.namespace}:${spec.serviceAccountName}`;
        const selected = spec.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'];
        const allNamespaces =
          spec.namespaceSelector !== undefined && Object.keys(spec.namespaceSelector).length === 0;
        assert.ok(
          allNamespaces || selected,
          `${src.metadata.name}: namespaceSelector must be {} or one namespace by name`,
        );
        const where = allNamespaces ? [undefined, userNamespace] : [selected];
        for (const res of spec.resources) {
          const base = { group: groupOf(res.apiVersion), resource: guessPlural(res.kind) };
          for (const namespace of where) {
            for (const verb of ['get', 'list', 'watch']) {
              const access: Access = { ...base, verb, ...(namespace ? { namespace } : {}) };
              assert.equal(
                await subjectCan(cluster.kubeConfig(), user, access),
                true,
                `${user} cannot ${describeAccess(access)}`,
              );
            }
          }
          // One step beyond: writing what it watches, or watching outside its namespace.
          const beyond: Access[] = [
            { ...base, verb: 'update', ...(where[0] ? { namespace: where[0] } : {}) },
          ];
          if (!allNamespaces) beyond.push({ ...base, verb: 'list', namespace: userNamespace });
          for (const access of beyond)
            assert.equal(
              await subjectCan(cluster.kubeConfig(), user, access),
              false,
              `${user} may ${describeAccess(access)}`,
            );
        }
        const secrets: Access = {
          verb: 'list',
          group: '',
          resource: 'secrets',
          namespace: userNamespace,
        };
        assert.equal(
          await subjectCan(cluster.kubeConfig(), user, secrets),
          false,
          `${user} may list Secrets`,
        );
      }
    });
  });

  describe("function identities (asked as the function's own ServiceAccount)", () => {
    const inUserNs = (a: Access): Access =>
      a.namespace === 'USER' ? { ...a, namespace: userNamespace } : a;

    it('has an access table for every registered function', () => {
      assert.deepEqual(Object.keys(FUNCTION_ACCESS).sort(), functionNames());
    });

    for (const fn of Object.keys(FUNCTION_ACCESS)) {
      it(`${fn} may do everything its handler does, and is refused one step beyond`, async () => {
        const identity = kubeConfigFromFile(
          await cluster.kubeconfigForServiceAccount(PRODUCT_NS, fn),
        );
        const table = FUNCTION_ACCESS[fn] as (typeof FUNCTION_ACCESS)[string];
        for (const access of table.needs.map(inUserNs)) {
          assert.equal(
            await selfCan(identity, access),
            true,
            `${fn} cannot ${describeAccess(access)}`,
          );
        }
        for (const access of table.beyond.map(inUserNs)) {
          assert.equal(
            await selfCan(identity, access),
            false,
            `${fn} may ${describeAccess(access)}`,
          );
        }
      });
    }

    // Functions that declare their least privilege as data (functions/<name>/rbac.ts): the
    // config must grant exactly those rules (by verb, resource, group and object name). A flat
    // list may be narrowed in scope by the config (e.g. Events only in Velero's namespace); scoped
    // rules must be granted exactly where they say (Role in Velero's or the product's namespace,
    // or ClusterRole).
    type Rule = {
      apiGroups?: string[];
      resources?: string[];
      verbs: string[];
      resourceNames?: string[];
    };
    const DECLARED: Record<string, ReadonlyArray<Rule>> = {
      'backup-labeler': LABELER_RULES,
      'restore-fixer': FIXER_RULES,
      'restore-sequencer': SEQUENCER_RULES,
    };
    const SCOPED: Record<string, ScopedRules> = {
      'backup-guard': GUARD_RULES,
      'backup-verifier': VERIFIER_RULES,
      'datamover-progress': DATAMOVER_RULES,
    };
    const tuples = (rules: ReadonlyArray<Rule>) =>
      [
        ...new Set(
          rules.flatMap((r) =>
            (r.apiGroups ?? []).flatMap((g) =>
              (r.resources ?? []).flatMap((res) =>
                r.verbs.flatMap((v) =>
                  (r.resourceNames?.length ? r.resourceNames : ['*']).map(
                    (n) => `${v} ${res}.${g} ${n}`,
                  ),
                ),
              ),
            ),
          ),
        ),
      ].sort();
    /** The roles bound to the function's ServiceAccount in the rendered config. */
    const rolesOf = (fn: string): KubeObject[] => {
      const subjectIsFn = (b: KubeObject) =>
        (b['subjects'] as Array<{ name: string; namespace: string }>).some(
          (sub) => sub.name === fn && sub.namespace === PRODUCT_NS,
        );
      const refKey = (b: KubeObject) => {
        const ref = b['roleRef'] as { kind: string; name: string };
        return `${ref.kind}/${ref.kind === 'Role' ? `${b.metadata.namespace}/` : ''}${ref.name}`;
      };
      const bound = new Set(
        objects.filter((o) => o.kind.endsWith('Binding') && subjectIsFn(o)).map(refKey),
      );
      return objects.filter((o) =>
        bound.has(
          `${o.kind}/${o.kind === 'Role' ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`,
        ),
      );
    };
    const rulesIn = (roles: KubeObject[]) => roles.flatMap((r) => r['rules'] as Rule[]);

    for (const [fn, declared] of Object.entries(DECLARED)) {
      it(`grants ${fn} exactly the rules functions/${fn}/rbac.ts declares`, () => {
        assert.deepEqual(tuples(rulesIn(rolesOf(fn))), tuples(declared));
      });
    }
    for (const [fn, declared] of Object.entries(SCOPED)) {
      it(`grants ${fn} exactly the rules functions/${fn}/rbac.ts declares, where it declares them`, () => {
        const roles = rolesOf(fn);
        const where: Record<RuleScope, (r: KubeObject) => boolean> = {
          velero: (r) => r.kind === 'Role' && r.metadata.namespace === VELERO_NS,
          product: (r) => r.kind === 'Role' && r.metadata.namespace === PRODUCT_NS,
          cluster: (r) => r.kind === 'ClusterRole',
        };
        for (const scope of Object.keys(where) as RuleScope[]) {
          assert.deepEqual(
            tuples(rulesIn(roles.filter(where[scope]))),
            tuples(declared[scope]),
            `${fn}: ${scope}`,
          );
        }
        const elsewhere = roles.filter((r) => !Object.values(where).some((w) => w(r)));
        assert.deepEqual(
          elsewhere.map((r) => `${r.kind}/${r.metadata.namespace}/${r.metadata.name}`),
          [],
        );
      });
    }
  });
});
