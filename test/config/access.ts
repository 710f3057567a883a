// Access questions asked of the real API server's RBAC authorizer.
import { AuthorizationV1Api, KubeConfig } from '@kubernetes/client-node';

export interface Access {
  verb: string;
  /** API group, '' for core. */
  group: string;
  resource: string;
  subresource?: string;
  /** Omitted: cluster-wide (every namespace). */
  namespace?: string;
  /** One object by name (for rules with resourceNames). */
  name?: string;
}

export const describeAccess = (a: Access): string =>
  `${a.verb} ${a.resource}${a.subresource ? `/${a.subresource}` : ''}${a.group ? `.${a.group}` : ''}${a.name ? ` ${a.name}` : ''} ${a.namespace ? `in ${a.namespace}` : 'cluster-wide'}`;

const attributes = (a: Access) => ({
  verb: a.verb,
  group: a.group,
  resource: a.resource,
  ...(a.subresource ? { subresource: a.subresource } : {}),
  ...(a.namespace ? { namespace: a.namespace } : {}),
  ...(a.name ? { name: a.name } : {}),
});

/**
 * What Knative's ApiServerSource reconciler asks before it starts a receive adapter
 * (pkg/reconciler/apiserversource runAccessCheck): a SubjectAccessReview naming only the user
 * `system:serviceaccount:<ns>:<name>`, no groups.
 */
export async function subjectCan(
  admin: KubeConfig,
  user: string,
  access: Access,
): Promise<boolean> {
  const api = admin.makeApiClient(AuthorizationV1Api);
  const review = await api.createSubjectAccessReview({
    body: { spec: { user, resourceAttributes: attributes(access) } },
  });
  return review.status?.allowed === true;
}

/** Asked as the identity itself (SelfSubjectAccessReview), groups and all. */
export async function selfCan(identity: KubeConfig, access: Access): Promise<boolean> {
  const api = identity.makeApiClient(AuthorizationV1Api);
  const review = await api.createSelfSubjectAccessReview({
    body: { spec: { resourceAttributes: attributes(access) } },
  });
  return review.status?.allowed === true;
}

export function kubeConfigFromFile(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}
