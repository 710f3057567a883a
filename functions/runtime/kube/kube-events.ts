// Building the core/v1 Event that Kube.recordEvent writes: pure, so naming and deduplication
// rules are testable without an API server.

import { createHash, randomBytes } from 'node:crypto';
import type { EventRecord, KubeObject } from './kube-api.ts';

/**
 * With a dedupeKey the name is stable for (involved object uid, key), so re-recording finds the
 * same Event; without one it is unique like client-go's. Always a valid, ≤ 253-character name.
 */
export function eventName(involved: KubeObject, dedupeKey: string | undefined): string {
  const suffix = dedupeKey
    ? createHash('sha256')
        .update(`${involved.metadata.uid ?? ''}\n${dedupeKey}`)
        .digest('hex')
        .slice(0, 16)
    : randomBytes(8).toString('hex');
  return `${involved.metadata.name.slice(0, 253 - 17)}.${suffix}`;
}

export interface EventSource {
  component: string;
  instance: string;
  now: Date;
  /** Labels every product-made object carries (passed in: the runtime imports no domain). */
  labels: Readonly<Record<string, string>>;
}

/** A new Event (count 1). Events live in the involved object's namespace ("default" for cluster-scoped objects). */
export function newEvent(
  involved: KubeObject,
  record: EventRecord,
  source: EventSource,
): KubeObject {
  const time = source.now.toISOString();
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: eventName(involved, record.dedupeKey),
      namespace: involved.metadata.namespace || 'default',
      labels: { ...source.labels },
    },
    involvedObject: {
      apiVersion: involved.apiVersion,
      kind: involved.kind,
      name: involved.metadata.name,
      namespace: involved.metadata.namespace,
      uid: involved.metadata.uid,
      resourceVersion: involved.metadata.resourceVersion,
    },
    type: record.type,
    reason: record.reason,
    message: record.message,
    source: { component: source.component },
    reportingComponent: source.component,
    reportingInstance: source.instance,
    firstTimestamp: time,
    lastTimestamp: time,
    count: 1,
  };
}

/** Merge patch that records one more occurrence on an existing Event, guarded by its resourceVersion. */
export function repeatPatch(
  existing: KubeObject & { count?: number },
  record: EventRecord,
  now: Date,
): Record<string, unknown> {
  return {
    metadata: { resourceVersion: existing.metadata.resourceVersion },
    count: (existing.count ?? 1) + 1,
    lastTimestamp: now.toISOString(),
    message: record.message,
    type: record.type,
  };
}
