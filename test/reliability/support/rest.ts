// A few raw REST calls as some identity (the admin arranging the world, a function's
// ServiceAccount probing what it may not do). Raw so the answer is exactly the API server's:
// DELETE returns the object as it was deleted, which is what ApiServerSource's delete event carries.
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { loadKubeConfig, rawRequest } from '../../harness/cluster-api.ts';

export interface RestAnswer {
  status: number;
  body: unknown;
  text: string;
}

export interface Rest {
  request(
    method: string,
    path: string,
    body?: unknown,
    contentType?: string,
    accept?: string,
  ): Promise<RestAnswer>;
}

const PLURALS: Record<string, string> = {
  VirtualMachine: 'virtualmachines',
  VirtualMachineGroup: 'virtualmachinegroups',
  Secret: 'secrets',
  ConfigMap: 'configmaps',
  PersistentVolumeClaim: 'persistentvolumeclaims',
  Event: 'events',
  Backup: 'backups',
  Restore: 'restores',
};

/** Collection path of a namespaced kind this suite uses. */
export function collectionPath(apiVersion: string, kind: string, namespace: string): string {
  const plural = PLURALS[kind];
  if (!plural) throw new Error(`rest.ts knows no plural for ${kind}`);
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return `${base}/namespaces/${namespace}/${plural}`;
}

export function objectPath(
  apiVersion: string,
  kind: string,
  namespace: string,
  name: string,
): string {
  return `${collectionPath(apiVersion, kind, namespace)}/${encodeURIComponent(name)}`;
}

export function restClient(kubeconfig: string | KubeConfig): Rest {
  const kc = typeof kubeconfig === 'string' ? loadKubeConfig(kubeconfig) : kubeconfig;
  const agent = new https.Agent({ keepAlive: true, maxSockets: 16 });
  return {
    async request(
      method,
      path,
      body,
      contentType = 'application/json',
      accept = 'application/json',
    ) {
      for (let attempt = 1; ; attempt++) {
        const a = await once(method, path, body, contentType, accept);
        // Go's HTTP server answers a bare-text 400 for a request it could not parse; seen rarely on
        // a reused keep-alive connection under heavy load. Not the API server's JSON verdict: resend.
        if (a.status === 400 && typeof a.body === 'string' && attempt < 3) continue;
        return a;
      }
    },
  };
  function once(
    method: string,
    path: string,
    body: unknown,
    contentType: string,
    accept: string,
  ): Promise<RestAnswer> {
    return rawRequest(kc, method, path, {
      ...(body === undefined ? {} : { body: JSON.stringify(body), contentType }),
      accept,
      agent,
    });
  }
}

/** Throws unless 2xx; returns the parsed body. */
export async function ok<T = unknown>(answer: Promise<RestAnswer>, what: string): Promise<T> {
  const a = await answer;
  if (a.status < 200 || a.status > 299)
    throw new Error(`${what}: ${a.status} ${a.text.slice(0, 500)}`);
  return a.body as T;
}
