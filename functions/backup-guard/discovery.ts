// The doing half of name resolution: fetch the API's resources through the Kube adapter (two
// aggregated-discovery calls) and keep the resolver built from them for five minutes, the period
// at which Velero's server refreshes its own discovery (pkg/cmd/server/server.go). Discovery
// needs no RBAC of the guard's own: Kubernetes grants it to every authenticated identity
// (ClusterRole system:discovery).

import type { Clock, Logger } from '../runtime/function.ts';
import type { Kube } from '../runtime/kube/kube-api.ts';
import { TransientError } from '../runtime/errors.ts';
import type { Resolve } from '../velero/resource-filter.ts';
import { byNameOnly } from '../velero/resource-filter.ts';
import { resourceResolver } from './resource-names.ts';

export const DISCOVERY_TTL_MS = 5 * 60_000;

/**
 * A function returning the current resolver. Concurrent callers share one fetch. A transient
 * failure is not kept (the caller fails and its event is retried); any other failure (a server
 * without aggregated discovery, discovery forbidden) is logged and names are matched as written
 * until the next refresh.
 */
export function cachedResolver(
  kube: Pick<Kube, 'apiResources'>,
  clock: Clock,
  logger: Logger,
  ttlMs = DISCOVERY_TTL_MS,
): () => Promise<Resolve> {
  let cached: { at: number; resolver: Promise<Resolve> } | undefined;
  return () => {
    const now = clock.now().getTime();
    if (cached && now - cached.at < ttlMs) return cached.resolver;
    if (!kube.apiResources) return Promise.resolve(byNameOnly);
    const entry = {
      at: now,
      resolver: kube.apiResources().then(resourceResolver, (err: unknown) => {
        if (err instanceof TransientError) {
          if (cached === entry) cached = undefined;
          throw err;
        }
        logger.warn(
          { err: String(err) },
          'API discovery failed: filter names are matched as written (short names unresolved)',
        );
        return byNameOnly;
      }),
    };
    cached = entry;
    return entry.resolver;
  };
}
