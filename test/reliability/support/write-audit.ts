// What actually changed on the API server, seen by the admin through watches: every new revision
// of a VM, group, Secret, ConfigMap or PVC whose product-owned metadata differs from the revision
// before it is one persisted write by a function (users in these suites never touch those keys).
//
// The functions' own counters count requests the API server answered 2xx. A merge patch that
// changes nothing (two replicas patching the same label on a Secret they cannot read) is answered
// 200 but makes no revision, no etcd write and no watch event; this audit tells the two apart.
// Watched as PartialObjectMetadata, so no Secret data reaches the test either.
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  MEMBER_LABEL_PREFIX,
  PREFIX,
  SEED_GROUP_LABEL,
  VMOP_API_VERSION,
} from '../../../functions/vmgroup/names.ts';

const WATCHED: ReadonlyArray<[kind: string, path: string]> = [
  ['VirtualMachineGroup', `/apis/${VMOP_API_VERSION}/virtualmachinegroups`],
  ['VirtualMachine', `/apis/${VMOP_API_VERSION}/virtualmachines`],
  ['Secret', '/api/v1/secrets'],
  ['ConfigMap', '/api/v1/configmaps'],
  ['PersistentVolumeClaim', '/api/v1/persistentvolumeclaims'],
];
const METADATA_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
const METADATA = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

interface Meta {
  uid: string;
  namespace?: string;
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The product-owned part of an object's metadata, as one comparable string. */
export function ownedKeys(m: Pick<Meta, 'labels' | 'annotations'>): string {
  const labels = Object.entries(m.labels ?? {}).filter(
    ([k]) => k.startsWith(MEMBER_LABEL_PREFIX) || k === SEED_GROUP_LABEL,
  );
  const annotations = Object.entries(m.annotations ?? {}).filter(([k]) => k.startsWith(PREFIX));
  return JSON.stringify([labels.sort(), annotations.sort()]);
}

export interface WriteAudit {
  /** Persisted writes to product-owned metadata, by kind. */
  byKind(): Record<string, number>;
  total(): number;
  /** False if a watch ended or failed before stop(): the counts may then be short. */
  complete(): boolean;
  /** Resolves once no watch event has arrived for `ms` (the API server's last writes are in). */
  quiet(ms: number): Promise<void>;
  stop(): void;
}

/** Starts watching every namespace in `namespaces`; resolves once all watches are open. */
export async function auditWrites(
  kc: KubeConfig,
  namespaces: Iterable<string>,
): Promise<WriteAudit> {
  const scope = new Set(namespaces);
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('kubeconfig has no current cluster');
  const agent = new https.Agent({ keepAlive: true });
  const counts: Record<string, number> = {};
  const last = new Map<string, string>();
  const responses: IncomingMessage[] = [];
  let stopped = false;
  let broken: string | undefined;
  let lastEventAt = Date.now();

  const request = async (path: string, accept: string): Promise<IncomingMessage> => {
    const options: https.RequestOptions = { headers: { accept }, agent };
    await kc.applyToHTTPSOptions(options);
    options.agent = agent;
    return new Promise((resolve, reject) => {
      https.get(new URL(path, server), options, resolve).on('error', reject);
    });
  };
  const readAll = async (res: IncomingMessage): Promise<string> => {
    let text = '';
    res.setEncoding('utf8');
    for await (const c of res) text += c as string;
    return text;
  };

  const see = (kind: string, m: Meta, type: string): void => {
    lastEventAt = Date.now();
    if (!scope.has(m.namespace ?? '')) return;
    const owned = ownedKeys(m);
    const before = last.get(m.uid);
    if (type === 'DELETED') {
      last.delete(m.uid);
      return;
    }
    if (type === 'MODIFIED' && before !== undefined && before !== owned)
      counts[kind] = (counts[kind] ?? 0) + 1;
    last.set(m.uid, owned);
  };

  await Promise.all(
    WATCHED.map(async ([kind, path]) => {
      const listed = await request(path, METADATA_LIST);
      const list = JSON.parse(await readAll(listed)) as {
        metadata: { resourceVersion: string };
        items: Array<{ metadata: Meta }>;
      };
      for (const o of list.items) see(kind, o.metadata, 'ADDED');
      const res = await request(
        `${path}?watch=1&allowWatchBookmarks=false&timeoutSeconds=7200&resourceVersion=${list.metadata.resourceVersion}`,
        METADATA,
      );
      if (res.statusCode !== 200) throw new Error(`watch ${path}: HTTP ${res.statusCode}`);
      responses.push(res);
      let buffered = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (!line.trim()) continue;
          const e = JSON.parse(line) as { type: string; object: { metadata: Meta } };
          if (e.type === 'ERROR') broken ??= `${kind}: ${JSON.stringify(e.object)}`;
          else see(kind, e.object.metadata, e.type);
        }
      });
      res.on('end', () => {
        if (!stopped) broken ??= `${kind} watch ended`;
      });
      res.on('error', (err) => {
        if (!stopped) broken ??= `${kind} watch failed: ${err.message}`;
      });
    }),
  );

  return {
    byKind: () => ({ ...counts }),
    total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    complete: () => broken === undefined,
    async quiet(ms) {
      while (Date.now() - lastEventAt < ms)
        await new Promise((r) => setTimeout(r, ms - (Date.now() - lastEventAt) + 10));
    },
    stop() {
      stopped = true;
      for (const r of responses) r.destroy();
      agent.destroy();
    },
  };
}
