// Records every version of the objects in a collection as the API server delivers them, with the
// time each arrived: what a restored VM looked like when Velero created it, and the order in which
// the sequencer powered members on.
import { Watch } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../../functions/runtime/kube/kube-api.ts';

export interface Seen {
  phase: string;
  at: number;
  obj: KubeObject & { spec?: Record<string, unknown> };
}

export interface WatchLog {
  seen: Seen[];
  of(name: string): Seen[];
  stop(): void;
}

export async function watchCollection(kc: KubeConfig, path: string): Promise<WatchLog> {
  const seen: Seen[] = [];
  let controller: AbortController | undefined;
  let stopped = false;
  const start = async (): Promise<void> => {
    controller = await new Watch(kc).watch(
      path,
      { allowWatchBookmarks: false },
      (phase, obj: Seen['obj']) => seen.push({ phase, at: Date.now(), obj }),
      // A watch the API server closes (timeout) is reopened; versions already seen come again as
      // ADDED, which the assertions tolerate by looking at the first and the ordered changes.
      () => {
        if (!stopped) void start();
      },
    );
  };
  await start();
  return {
    seen,
    of: (name) => seen.filter((s) => s.obj.metadata.name === name),
    stop: () => {
      stopped = true;
      controller?.abort();
    },
  };
}
