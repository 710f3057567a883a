// A function's least privilege as plain data (functions/<name>/rbac.ts). The deploy config's roles
// must equal it (test/config/rbac.int.test.ts) and the integration tests run each handler under
// exactly these rules.

/** One RBAC rule, as a Role or ClusterRole writes it. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  /** Only these objects (e.g. the one ConfigMap a function reads). */
  resourceNames?: string[];
}

/**
 * Rules together with where the config grants them, for functions whose access is narrower than
 * cluster-wide: `velero` is a Role in Velero's namespace, `product` a Role in the product's own
 * namespace, `cluster` a ClusterRole.
 */
export interface ScopedRules {
  velero: readonly PolicyRule[];
  product: readonly PolicyRule[];
  cluster: readonly PolicyRule[];
}

export type RuleScope = keyof ScopedRules;
