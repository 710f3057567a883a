// Delivering CloudEvents to replicas as a Knative Broker does: binary content mode over HTTP, one
// event per request, several in flight, no ordering, any replica; a 5xx/404/408/409/429 answer or
// a broken connection is retried with the Trigger's `delivery` (config/base/patches/
// trigger-delivery.yaml: retry 9, exponential backoff from 0.5 s) on whichever replica is up;
// after the last retry the event is dead-lettered. Every attempt is counted.
import type { InboundEvent } from '../../../functions/runtime/function.ts';
import { toBinaryHttp } from '../../support/cloudevents.ts';

export interface DeliveryPolicy {
  retry: number;
  backoffDelayMs: number;
}

/** config/base/patches/trigger-delivery.yaml */
export const TRIGGER_DELIVERY: DeliveryPolicy = { retry: 9, backoffDelayMs: 500 };

/** Knative's retriable answers (pkg/channel/message_dispatcher.go, isRetriable). */
export const retriable = (status: number): boolean =>
  status >= 500 || status === 404 || status === 408 || status === 409 || status === 429;

export interface Attempt {
  id: string;
  target: string;
  status: number; // 0 = connection failed
  startedAt: number;
  ms: number;
}

export interface DeliveryStats {
  events: number;
  delivered: number;
  attempts: number;
  retries: number;
  deadLettered: InboundEvent[];
  byStatus: Record<string, number>;
  /** Per event: first attempt to final answer, ms. */
  latencies: number[];
  log: Attempt[];
  /** Replies (HTTP 200 with a CloudEvent) by event id. */
  replies: Map<string, { headers: Record<string, string>; body: string }>;
}

export interface DeliverOptions {
  /** Live replica URLs at the moment of each attempt (replicas may die and come back). */
  targets: () => string[];
  concurrency: number;
  policy?: DeliveryPolicy;
  /** Deterministic choice of replica and nothing else; defaults to Math.random. */
  random?: () => number;
  /** Keep every attempt (outage/restart checks); off for the big runs. */
  keepLog?: boolean;
  timeoutMs?: number;
}

export function emptyStats(): DeliveryStats {
  return {
    events: 0,
    delivered: 0,
    attempts: 0,
    retries: 0,
    deadLettered: [],
    byStatus: {},
    latencies: [],
    log: [],
    replies: new Map(),
  };
}

async function attempt(url: string, event: InboundEvent, timeoutMs: number) {
  const { headers, body } = toBinaryHttp(event);
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    return { status: res.status, headers: Object.fromEntries(res.headers.entries()), body: text };
  } catch {
    return { status: 0, headers: {}, body: '' };
  }
}

/** Delivers one event until it succeeds or is dead-lettered. */
export async function deliverOne(
  event: InboundEvent,
  o: DeliverOptions,
  stats: DeliveryStats,
): Promise<boolean> {
  const policy = o.policy ?? TRIGGER_DELIVERY;
  const random = o.random ?? Math.random;
  const first = performance.now();
  stats.events++;
  for (let n = 0; n <= policy.retry; n++) {
    if (n > 0) {
      stats.retries++;
      await new Promise((r) => setTimeout(r, policy.backoffDelayMs * 2 ** (n - 1)));
    }
    const targets = o.targets();
    const target = targets[Math.floor(random() * targets.length)];
    const startedAt = performance.now();
    const res = target
      ? await attempt(target, event, o.timeoutMs ?? 60_000)
      : { status: 0, headers: {}, body: '' };
    stats.attempts++;
    stats.byStatus[res.status] = (stats.byStatus[res.status] ?? 0) + 1;
    if (o.keepLog)
      stats.log.push({
        id: event.id,
        target: target ?? '',
        status: res.status,
        startedAt,
        ms: performance.now() - startedAt,
      });
    if (res.status !== 0 && !retriable(res.status)) {
      stats.delivered++;
      stats.latencies.push(performance.now() - first);
      if (res.status === 200) stats.replies.set(event.id, { headers: res.headers, body: res.body });
      return res.status >= 200 && res.status < 300;
    }
  }
  stats.deadLettered.push(event);
  return false;
}

/**
 * Delivers every event of `queue` with `concurrency` in flight, taking events in the queue's
 * order (shuffle it first); `queue` may grow while delivery runs (events produced meanwhile)
 * until `closed()` says no more will come.
 */
export async function deliverAll(
  queue: InboundEvent[],
  o: DeliverOptions & { closed?: () => boolean; pick?: (queue: InboundEvent[]) => InboundEvent },
  stats: DeliveryStats = emptyStats(),
): Promise<DeliveryStats> {
  const closed = o.closed ?? (() => true);
  const take = o.pick ?? ((q: InboundEvent[]) => q.shift()!);
  const worker = async (): Promise<void> => {
    for (;;) {
      if (queue.length === 0) {
        if (closed()) return;
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      await deliverOne(take(queue), o, stats);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  return stats;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
