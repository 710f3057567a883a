// The one retry policy for transient API failures, used by every call the Kube adapter makes.
// Deciding (which failure retries, how long to wait) is pure and table-tested; `retrying` only
// runs it. A failure that outlasts the tries is returned/thrown as it was, so the handler fails
// with a TransientError and the runtime answers 503: the Broker's own, slower retry takes over.

import { ConflictError, TransientError } from '../errors.ts';

export interface RetryPolicy {
  /** Tries in all, the first included (1 = never retry). */
  attempts: number;
  /** Ceiling of the wait before the second try; it doubles each try. */
  baseMs: number;
  /** No wait is longer. A Retry-After beyond it is not waited out here but left to the Broker. */
  maxMs: number;
}

export const DEFAULT_RETRY: Readonly<RetryPolicy> = { attempts: 3, baseMs: 100, maxMs: 2_000 };

/** One failed try: an HTTP answer, or no answer at all (reset, refused, timed out). */
export type Failure = { status: number; retryAfterMs?: number } | { error: unknown };

/** 429 (too many requests, API Priority and Fairness) and every 5xx. */
export const isTransientStatus = (status: number): boolean => status === 429 || status >= 500;

/**
 * Whether a try that failed so may be sent again. A 429 was refused before the server acted, so
 * it retries even for a call that is not idempotent (create, JSON patch); a 5xx or a lost answer
 * may have been acted on, so only idempotent calls retry those. A conflict (409) is never retried
 * here: sending the same guarded write again cannot succeed; the conflict policy re-reads instead.
 */
export function retryable(f: Failure, idempotent: boolean): boolean {
  if ('status' in f) return f.status === 429 || (idempotent && isTransientStatus(f.status));
  return idempotent && f.error instanceof TransientError && !(f.error instanceof ConflictError);
}

/**
 * The wait before the next try after `failed` tries have failed, or undefined to stop. Exponential
 * with equal jitter: in [ceiling/2, ceiling) with ceiling = min(maxMs, baseMs·2^(failed-1)), so
 * replicas that failed together do not come back together, and no wait is ever near zero. A
 * Retry-After is honoured as a floor when it fits under maxMs.
 */
export function backoffMs(
  policy: RetryPolicy,
  failed: number,
  random: () => number,
  retryAfterMs?: number,
): number | undefined {
  if (failed >= policy.attempts) return undefined;
  if (retryAfterMs !== undefined && retryAfterMs > policy.maxMs) return undefined;
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** (failed - 1));
  const jittered = ceiling / 2 + random() * (ceiling / 2);
  return Math.max(jittered, retryAfterMs ?? 0);
}

/** Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date; undefined when absent or bad. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  // An HTTP-date names its weekday and month; Date.parse alone would take "-1" for a year.
  const at = /[a-z]{3}/i.test(value) ? Date.parse(value) : NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

export interface RetryRuntime {
  random: () => number;
  sleep: (ms: number) => Promise<void>;
}

const REAL: RetryRuntime = {
  random: Math.random,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Runs `once` until it succeeds, fails in a way that does not retry, or the policy stops. `once`
 * resolves an answer (`failureOf` says whether it is a failure) or rejects (a lost answer). When
 * the policy stops, the last answer is returned or the last error thrown, unchanged.
 */
export async function retrying<T>(
  policy: RetryPolicy,
  idempotent: boolean,
  once: () => Promise<T>,
  failureOf: (answer: T) => Failure | undefined,
  rt: RetryRuntime = REAL,
): Promise<T> {
  for (let failed = 1; ; failed++) {
    let failure: Failure;
    let answer: { value: T } | undefined;
    try {
      answer = { value: await once() };
      const f = failureOf(answer.value);
      if (f === undefined) return answer.value;
      failure = f;
    } catch (error) {
      failure = { error };
    }
    const wait = retryable(failure, idempotent)
      ? backoffMs(policy, failed, rt.random, 'status' in failure ? failure.retryAfterMs : undefined)
      : undefined;
    if (wait === undefined) {
      if (answer) return answer.value;
      throw (failure as { error: unknown }).error;
    }
    await rt.sleep(wait);
  }
}
