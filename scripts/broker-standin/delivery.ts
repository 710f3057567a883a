// The Broker stand-in's delivery policy, pure: after an attempt, deliver, retry (and after how
// long) or dead-letter, as Knative's dispatcher decides from a Trigger's `delivery` (knative.dev/
// eventing pkg/kncloudevents/retries.go, which drives hashicorp/go-retryablehttp). Why this folder
// is under scripts/: see routes.ts.
import type { Route } from './routes.ts';

/** The status recorded when an attempt got no HTTP response (refused, reset, timed out). */
export const NO_RESPONSE = -1;

/** ISO-8601 durations as Knative writes them (PT0.5S, PT2S, PT1M, PT1H). */
export function isoDurationMs(text: string): number {
  const m = /^PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$/.exec(text);
  if (!m || text === 'PT') throw new Error(`unsupported duration ${text}`);
  const [h, min, s] = [m[1], m[2], m[3]].map((x) => Number(x ?? 0));
  return ((h ?? 0) * 3600 + (min ?? 0) * 60 + (s ?? 0)) * 1000;
}

/**
 * Knative retries these (SelectiveRetry): no response, 5xx, 404 (a pod becoming ready), 408, 409
 * and 429. Anything else that is not 2xx is final and goes to dead letter at once.
 */
export function isRetryable(status: number): boolean {
  return (
    status === NO_RESPONSE ||
    status >= 500 ||
    status === 404 ||
    status === 408 ||
    status === 409 ||
    status === 429
  );
}

export const isAccepted = (status: number): boolean => status >= 200 && status < 300;

/**
 * Wait before the next attempt, `attempts` attempts having failed. go-retryablehttp hands the
 * backoff the 0-based index of the attempt that failed, so with PT0.5S the exponential schedule
 * is 0.5s, 1s, 2s, ... and the linear one 0s, 0.5s, 1s, ...
 */
export function retryDelayMs(
  route: Pick<Route, 'backoffPolicy' | 'backoffDelayMs'>,
  attempts: number,
): number {
  const index = attempts - 1;
  return route.backoffPolicy === 'linear'
    ? route.backoffDelayMs * index
    : route.backoffDelayMs * 2 ** index;
}

/** Every wait a Trigger's delivery allows, in order (one per retry). */
export function backoffSchedule(route: Pick<Route, 'retry' | 'backoffPolicy' | 'backoffDelayMs'>) {
  return Array.from({ length: route.retry }, (_, i) => retryDelayMs(route, i + 1));
}

export type NextStep =
  | { step: 'delivered' }
  | { step: 'retry'; afterMs: number }
  | { step: 'dead-letter'; reason: 'not retryable' | 'retries exhausted' };

/** What the Broker does after attempt number `attempts` (1-based) ended with `status`. */
export function nextStep(
  route: Pick<Route, 'retry' | 'backoffPolicy' | 'backoffDelayMs'>,
  attempts: number,
  status: number,
): NextStep {
  if (isAccepted(status)) return { step: 'delivered' };
  if (!isRetryable(status)) return { step: 'dead-letter', reason: 'not retryable' };
  if (attempts > route.retry) return { step: 'dead-letter', reason: 'retries exhausted' };
  return { step: 'retry', afterMs: retryDelayMs(route, attempts) };
}
