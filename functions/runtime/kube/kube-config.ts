// How to reach the API server: from the in-cluster service account or a kubeconfig file, read
// without @kubernetes/client-node. Loading that library costs ~180 ms and ~35 MB even bundled
// (measured: bundle of KubeConfig alone → 80 MB RSS process), which alone breaks the cold-start
// and idle-memory budget, so the common cases (token, token file, client certificate) are read
// here and only exotic kubeconfigs (exec plugins, auth providers) fall back to the library, in
// kube.ts, on first use.

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { parse as parseYaml } from 'yaml';

export interface ClusterAccess {
  /** `https://host:port` */
  server: string;
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  tlsServerName?: string;
  insecureSkipTlsVerify?: boolean;
  token?: string;
  /** Re-read periodically: projected service-account tokens rotate. */
  tokenFile?: string;
  basicAuth?: { username: string; password: string };
  /** Set when the kubeconfig needs @kubernetes/client-node (exec plugin, auth provider). */
  needsClientNode?: { kubeconfigPath: string };
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export function inClusterAccess(
  env: Readonly<Record<string, string | undefined>>,
  serviceAccountDir = SA_DIR,
): ClusterAccess {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new Error(
      'not running in a cluster (KUBERNETES_SERVICE_HOST/PORT unset) and no kubeconfig given',
    );
  }
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return {
    server: `https://${hostPart}:${port}`,
    ca: readFileSync(join(serviceAccountDir, 'ca.crt')),
    tokenFile: join(serviceAccountDir, 'token'),
  };
}

interface NamedEntry<T> {
  name: string;
  [key: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}

export function kubeconfigAccess(path: string): ClusterAccess {
  const doc = parseYaml(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const base = dirname(path);
  const contextName = doc['current-context'] as string | undefined;
  const context = find<Record<string, string>>(doc.contexts, contextName, 'context')?.context;
  if (!context) throw new Error(`${path}: current-context "${contextName}" not found`);
  const cluster = find<Record<string, unknown>>(doc.clusters, context.cluster, 'cluster')?.cluster;
  if (!cluster || typeof cluster.server !== 'string')
    throw new Error(`${path}: cluster "${context.cluster}" has no server`);
  const user = find<Record<string, unknown>>(doc.users, context.user, 'user')?.user ?? {};
  const access: ClusterAccess = { server: cluster.server.replace(/\/+$/, '') };
  const ca = material(cluster, 'certificate-authority', base);
  if (ca) access.ca = ca;
  if (cluster['insecure-skip-tls-verify'] === true) access.insecureSkipTlsVerify = true;
  if (typeof cluster['tls-server-name'] === 'string')
    access.tlsServerName = cluster['tls-server-name'];
  const cert = material(user, 'client-certificate', base);
  const key = material(user, 'client-key', base);
  if (cert) access.cert = cert;
  if (key) access.key = key;
  if (typeof user.token === 'string') access.token = user.token;
  if (typeof user.tokenFile === 'string') access.tokenFile = resolvePath(base, user.tokenFile);
  if (typeof user.username === 'string' && typeof user.password === 'string') {
    access.basicAuth = { username: user.username, password: user.password };
  }
  if (user.exec !== undefined || user['auth-provider'] !== undefined)
    access.needsClientNode = { kubeconfigPath: path };
  return access;
}

function find<T>(
  list: unknown,
  name: string | undefined,
  field: string,
): NamedEntry<T> | undefined {
  if (!Array.isArray(list)) return undefined;
  return (list as Array<NamedEntry<T>>).find((e) => e?.name === name && e[field] !== undefined);
}

function material(obj: Record<string, unknown>, field: string, base: string): Buffer | undefined {
  const inline = obj[`${field}-data`];
  if (typeof inline === 'string') return Buffer.from(inline, 'base64');
  const file = obj[field];
  if (typeof file === 'string') return readFileSync(resolvePath(base, file));
  return undefined;
}

function resolvePath(base: string, path: string): string {
  return isAbsolute(path) ? path : join(base, path);
}
