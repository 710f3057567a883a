// The Kubernetes Events the functions record on Backups and Restores, as they appear: the product's
// own plain-words report (`kubectl -n velero describe backup|restore NAME` shows the same).
import type { KubeConfig } from '@kubernetes/client-node';
import { keepWatching } from './watch.ts';

export interface ProductEvent {
  on: string;
  reason: string;
  type: string;
  message: string;
}

interface CoreEvent {
  metadata: { name: string; resourceVersion?: string };
  involvedObject: { kind?: string; name?: string };
  reason?: string;
  type?: string;
  message?: string;
}

export async function watchProductEvents(
  kc: KubeConfig,
  namespace: string,
  onEvent: (e: ProductEvent) => void,
): Promise<() => void> {
  const seen = new Map<string, string>();
  return keepWatching<CoreEvent>(kc, `/api/v1/namespaces/${namespace}/events`, {}, (phase, e) => {
    if (phase === 'DELETED' || !e.reason?.startsWith('VMGroup')) return;
    // A report repeated or refined by a later delivery updates the same Event: say it once.
    if (seen.has(e.metadata.name)) return;
    seen.set(e.metadata.name, e.message ?? '');
    onEvent({
      on: `${e.involvedObject.kind} ${e.involvedObject.name}`,
      reason: e.reason,
      type: e.type ?? '',
      message: e.message ?? '',
    });
  });
}
