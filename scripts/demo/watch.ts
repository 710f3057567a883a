// A watch that keeps going like an informer: it starts from the collection's current
// resourceVersion (so, like ApiServerSource, nothing is sent for objects that already exist),
// and when the server ends it (timeouts, 429 under load) it resumes from the last version seen.
import { Watch } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { getJson } from '../../test/harness/cluster-api.ts';

export type WatchPhase = 'ADDED' | 'MODIFIED' | 'DELETED';

interface Versioned {
  metadata?: { resourceVersion?: string };
  code?: number;
}

async function currentVersion(
  kc: KubeConfig,
  path: string,
  query: Record<string, string>,
): Promise<string> {
  const params = new URLSearchParams({ ...query, limit: '1' });
  for (let attempt = 0; ; attempt++) {
    const res = await getJson(kc, `${path}?${params}`).catch(() => ({
      status: 0,
      body: undefined,
    }));
    const rv = (res.body as Versioned | undefined)?.metadata?.resourceVersion;
    if (res.status === 200 && rv) return rv;
    if (attempt >= 20) throw new Error(`cannot list ${path}: ${res.status}`);
    await sleep(Math.min(5000, 250 * 2 ** attempt));
  }
}

export async function keepWatching<T extends Versioned>(
  kc: KubeConfig,
  path: string,
  query: Record<string, string>,
  onEvent: (phase: WatchPhase, obj: T) => void,
): Promise<() => void> {
  let stopped = false;
  let controller: AbortController | undefined;
  let rv = await currentVersion(kc, path, query);
  const loop = async (): Promise<void> => {
    for (let failures = 0; !stopped;) {
      const ended = await new Promise<unknown>((resolve) => {
        new Watch(kc)
          .watch(
            path,
            { ...query, resourceVersion: rv, allowWatchBookmarks: true },
            (phase: string, obj: T) => {
              if (phase === 'ERROR') {
                if (obj.code === 410) rv = ''; // too old: start again from now
                return;
              }
              if (obj.metadata?.resourceVersion) rv = obj.metadata.resourceVersion;
              failures = 0;
              if (phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED')
                onEvent(phase, obj);
            },
            resolve,
          )
          .then((c) => {
            controller = c;
            if (stopped) c.abort();
          }, resolve);
      });
      if (stopped) return;
      if (ended) failures++;
      if (!rv) rv = await currentVersion(kc, path, query);
      await sleep(Math.min(5000, 100 * 2 ** failures));
    }
  };
  void loop();
  return () => {
    stopped = true;
    controller?.abort();
  };
}
