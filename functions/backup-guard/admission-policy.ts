// The optional blocking half of the guard: a ValidatingAdmissionPolicy (CEL) that rejects the
// creation of Backups and Restores the guard would warn about. Generated from the same concepts
// as plan.ts (product kinds, closure kinds, the membership label, Velero's filter semantics) so
// the two cannot drift apart; config/components/guard-admission-policy/ holds the output and a
// test fails when it is stale (write it with `node scripts/backup-guard/write-admission-policy.ts`).
//
// The restricted list is the same ConfigMap the function reads, bound as the policy's parameter.
// CEL has no glob library, so include/exclude items match like plan.ts for `*`, full names,
// plural or singular names, `plural.group-prefix` and `*`/`?` globs; `[...]` and `{a,b}` globs
// are not understood by the policy (the function still warns about them).
//
// A Restore can only restore what its Backup holds, and admission cannot read the Backup (the
// function does). So the Restore policy rejects only what the Restore's own filters ask for
// whatever the Backup holds: restricted resources named in its include list, and VM Operator kinds
// whose closure its filters cut. A Restore of everything (`velero restore create --from-backup B`)
// is admitted; the function still warns when B actually holds restricted resources.

import { CLOSURE_KINDS, PRODUCT_KINDS } from './plan.ts';
import { GUARD_CONFIGMAP, MEMBER_LABEL_PREFIX } from '../vmgroup/names.ts';

type Kind = 'Backup' | 'Restore';

const S = 'object.spec';
const list = (field: string) =>
  `(has(${S}.${field}) && ${S}.${field} != null ? ${S}.${field} : [])`;

/** CEL: does filter item `i` name resource `r` (both expressions)? */
function itemMatches(i: string, r: string): string {
  const li = `${i}.lowerAscii()`;
  const plural = `${r}.split('.')[0]`;
  return [
    `${i} == '*'`,
    `${li} == ${r}`,
    `(!${i}.contains('*') && !${i}.contains('?') && (` +
      [
        `(!${i}.contains('.') && (${plural} == ${li} || ${plural} == ${li} + 's' || ${plural} == ${li} + 'es' || (${li}.endsWith('y') && ${plural} == ${li}.substring(0, size(${li}) - 1) + 'ies')))`,
        `(${i}.contains('.') && ${r}.startsWith(${li} + '.'))`,
      ].join(' || ') +
      '))',
    `((${i}.contains('*') || ${i}.contains('?')) && ${r}.matches('^' + ${li}.replace('.', '\\\\.').replace('*', '.*').replace('?', '.') + '$'))`,
  ].join(' || ');
}

const anyMatches = (items: string, r: string, v: string) =>
  `${items}.exists(${v}, ${itemMatches(v, r)})`;

/** CEL: Velero would process items of resource `r` with this scope (see resource-filter.ts). */
function includes(r: string, scope: 'Namespaced' | 'Cluster'): string {
  const old = `(!${list('excludedResources')}.exists(x, x != '*' && (${itemMatches('x', r)})) && (size(variables.inc) == 0 || ${anyMatches('variables.inc', r, 'y')}))`;
  const scopedNs = `(!(variables.nsExc.exists(x, x == '*') || ${anyMatches('variables.nsExc', r, 'x')}) && (size(variables.nsInc) == 0 || ${anyMatches('variables.nsInc', r, 'y')}))`;
  const scopedCl =
    `(!(variables.clExc.exists(x, x == '*') || ${anyMatches('variables.clExc', r, 'x')}) && ` +
    `((size(variables.clInc) == 0 && size(variables.clExc) == 0 && variables.allNamespaces && variables.allNamespacedTypes) || ${anyMatches('variables.clInc', r, 'y')}))`;
  if (scope === 'Namespaced') return `(variables.oldStyle ? ${old} : ${scopedNs})`;
  const oldCl = `(variables.clusterResources != 'false' && ${old} && (variables.clusterResources == 'true' || variables.allNamespaces))`;
  return `(variables.oldStyle ? ${oldCl} : ${scopedCl})`;
}

function requiresMembership(s: string): string {
  const p = MEMBER_LABEL_PREFIX;
  return (
    `((has(${s}.matchLabels) && ${s}.matchLabels != null && ${s}.matchLabels.exists(k, k.startsWith('${p}'))) || ` +
    `(has(${s}.matchExpressions) && ${s}.matchExpressions != null && ${s}.matchExpressions.exists(e, e.key.startsWith('${p}') && ` +
    `(e.operator == 'Exists' || (e.operator == 'In' && has(e.values) && e.values != null && size(e.values) > 0)))))`
  );
}

const nonEmptySelector = (s: string) =>
  `((has(${s}.matchLabels) && ${s}.matchLabels != null && size(${s}.matchLabels) > 0) || (has(${s}.matchExpressions) && ${s}.matchExpressions != null && size(${s}.matchExpressions) > 0))`;

function variables(kind: Kind): Array<{ name: string; expression: string }> {
  const scoped = kind === 'Backup';
  const emptyOr = (field: string) => (scoped ? list(field) : '[]');
  return [
    { name: 'inc', expression: list('includedResources') },
    { name: 'nsInc', expression: emptyOr('includedNamespaceScopedResources') },
    { name: 'nsExc', expression: emptyOr('excludedNamespaceScopedResources') },
    { name: 'clInc', expression: emptyOr('includedClusterScopedResources') },
    { name: 'clExc', expression: emptyOr('excludedClusterScopedResources') },
    {
      name: 'clusterResources',
      expression: `has(${S}.includeClusterResources) && ${S}.includeClusterResources != null ? string(${S}.includeClusterResources) : 'nil'`,
    },
    {
      // Velero's UseOldResourceFilters; a Restore has only the old style.
      name: 'oldStyle',
      expression: scoped
        ? `variables.clusterResources != 'nil' || size(variables.inc) > 0 || size(${list('excludedResources')}) > 0`
        : 'true',
    },
    {
      name: 'allNamespaces',
      expression: `size(${list('excludedNamespaces')}) == 0 && (size(${list('includedNamespaces')}) == 0 || ${list('includedNamespaces')} == ['*'])`,
    },
    {
      name: 'allNamespacedTypes',
      expression: `size(variables.nsExc) == 0 && (size(variables.nsInc) == 0 || variables.nsInc == ['*'])`,
    },
    {
      name: 'selectors',
      expression: `has(${S}.orLabelSelectors) && ${S}.orLabelSelectors != null ? ${S}.orLabelSelectors.filter(s, ${nonEmptySelector('s')}) : []`,
    },
    {
      name: 'selection',
      expression:
        `has(${S}.labelSelector) && ${S}.labelSelector != null && ${nonEmptySelector(`${S}.labelSelector`)} ? ` +
        `(${requiresMembership(`${S}.labelSelector`)} ? 'membership' : 'other') : ` +
        `(size(variables.selectors) == 0 ? 'everything' : (variables.selectors.all(s, ${requiresMembership('s')}) ? 'membership' : 'other'))`,
    },
    {
      name: 'closureComplete',
      expression: `variables.selection != 'other' && ${JSON.stringify(CLOSURE_KINDS).replace(/"/g, "'")}.all(c, ${includes('c', 'Namespaced')})`,
    },
    {
      name: 'productTouched',
      expression: `variables.closureComplete ? [] : ${JSON.stringify([...PRODUCT_KINDS]).replace(/"/g, "'")}.filter(p, ${includes('p', 'Namespaced')})`,
    },
    {
      // ConfigMap keys are `plural.group`, values Namespaced | Cluster | true (either) | false (off).
      name: 'restricted',
      expression:
        `has(params.data) ? params.data.filter(k, params.data[k].lowerAscii() != 'false' && ` +
        `!(k in ${JSON.stringify([...PRODUCT_KINDS]).replace(/"/g, "'")})) : []`,
    },
    {
      name: 'touched',
      expression:
        `variables.selection == 'membership' ? [] : variables.restricted.filter(k, ` +
        // A Restore: only what its include list names (plan.ts's `included-by-name`).
        (scoped ? '' : `variables.inc.exists(n, n != '*' && (${itemMatches('n', 'k')})) && (`) +
        `(params.data[k].lowerAscii() != 'cluster' && ${includes('k', 'Namespaced')}) || ` +
        `(params.data[k].lowerAscii() != 'namespaced' && ${includes('k', 'Cluster')})` +
        (scoped ? ')' : '))'),
    },
  ];
}

function policy(kind: Kind): Record<string, unknown> {
  const plural = kind === 'Backup' ? 'backups' : 'restores';
  const excludeHint =
    kind === 'Backup'
      ? `(variables.oldStyle ? '--exclude-resources (spec.excludedResources)' : '--exclude-namespace-scoped-resources / --exclude-cluster-scoped-resources')`
      : `'--exclude-resources (spec.excludedResources)'`;
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: `vmgroup-backup-guard-${plural}` },
    spec: {
      failurePolicy: 'Fail',
      paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
      // Only creation: Velero updates the object while it runs and must never be blocked.
      matchConstraints: {
        resourceRules: [
          {
            apiGroups: ['velero.io'],
            apiVersions: ['v1'],
            operations: ['CREATE'],
            resources: [plural],
          },
        ],
      },
      variables: variables(kind),
      validations: [
        {
          expression: 'size(variables.productTouched) == 0',
          reason: 'Forbidden',
          messageExpression:
            `'${kind} selects VM Operator kinds without their group closure: ' + variables.productTouched.join(', ') + ` +
            `'. Select by the membership label (--selector ${MEMBER_LABEL_PREFIX}<group>) and keep ${CLOSURE_KINDS.join(', ')} included.'`,
        },
        {
          expression: 'size(variables.touched) == 0',
          reason: 'Forbidden',
          messageExpression:
            `'${kind} would touch Supervisor-restricted resources: ' + variables.touched.join(', ') + ` +
            `'. Exclude them with ' + ${excludeHint} + ', remove them from the include lists, or select by ${MEMBER_LABEL_PREFIX}<group>.'`,
        },
      ],
    },
  };
}

function binding(kind: Kind, paramNamespace: string): Record<string, unknown> {
  const plural = kind === 'Backup' ? 'backups' : 'restores';
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: `vmgroup-backup-guard-${plural}` },
    spec: {
      policyName: `vmgroup-backup-guard-${plural}`,
      validationActions: ['Deny'],
      // Without the list nothing is known to be restricted: admit rather than block all backups.
      paramRef: {
        name: GUARD_CONFIGMAP,
        namespace: paramNamespace,
        parameterNotFoundAction: 'Allow',
      },
    },
  };
}

/** The component's objects: a policy and a binding for Backups, and the same for Restores. */
export function admissionPolicyObjects(
  paramNamespace = 'vmgroup-backup',
): Array<Record<string, unknown>> {
  return (['Backup', 'Restore'] as const).flatMap((k) => [policy(k), binding(k, paramNamespace)]);
}
