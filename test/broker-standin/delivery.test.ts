// The Broker stand-in's delivery policy (scripts/broker-standin/delivery.ts), checked against
// what Knative's dispatcher does with a Trigger's `delivery`.
import assert from 'node:assert/strict';
import {
  NO_RESPONSE,
  backoffSchedule,
  isRetryable,
  isoDurationMs,
  nextStep,
  retryDelayMs,
} from '../../scripts/broker-standin/delivery.ts';
import type { Route } from '../../scripts/broker-standin/routes.ts';

const policy = (over: Partial<Route> = {}) => ({
  retry: 3,
  backoffPolicy: 'exponential' as const,
  backoffDelayMs: 500,
  ...over,
});

describe('Broker stand-in: delivery policy (pure)', () => {
  it('reads ISO-8601 durations as Knative writes them', () => {
    assert.equal(isoDurationMs('PT0.5S'), 500);
    assert.equal(isoDurationMs('PT2S'), 2000);
    assert.equal(isoDurationMs('PT1M30S'), 90_000);
    assert.equal(isoDurationMs('PT1H'), 3_600_000);
    for (const bad of ['PT', '0.5S', 'P1D', 'PT1X', ''])
      assert.throws(() => isoDurationMs(bad), /unsupported duration/, bad);
  });

  it('retries what SelectiveRetry retries, and nothing else', () => {
    const statuses = [NO_RESPONSE, 500, 502, 503, 404, 408, 409, 429, 400, 401, 403, 410, 422, 302];
    assert.deepEqual(statuses.filter(isRetryable), [
      NO_RESPONSE,
      500,
      502,
      503,
      404,
      408,
      409,
      429,
    ]);
  });

  it('backs off from the first retry as go-retryablehttp indexes attempts (0-based)', () => {
    // config/base/patches/trigger-delivery.yaml: PT0.5S exponential, "0.5s, 1s, 2s, ...".
    assert.deepEqual(backoffSchedule(policy({ retry: 4 })), [500, 1000, 2000, 4000]);
    assert.equal(
      backoffSchedule(policy({ retry: 9 })).reduce((a, b) => a + b, 0),
      255_500,
      '9 retries take ~4 min in total, as the config says',
    );
    assert.deepEqual(backoffSchedule(policy({ backoffPolicy: 'linear' })), [0, 500, 1000]);
    assert.deepEqual(backoffSchedule(policy({ backoffDelayMs: 0 })), [0, 0, 0]);
    assert.deepEqual(backoffSchedule(policy({ retry: 0 })), []);
    assert.equal(retryDelayMs(policy(), 3), 2000);
  });

  const cases: Array<{ name: string; attempts: number; status: number; want: unknown }> = [
    { name: '2xx is delivered', attempts: 1, status: 200, want: { step: 'delivered' } },
    { name: '204 is delivered', attempts: 4, status: 204, want: { step: 'delivered' } },
    {
      name: '422 is dead-lettered at once',
      attempts: 1,
      status: 422,
      want: { step: 'dead-letter', reason: 'not retryable' },
    },
    {
      name: 'a redirect is final',
      attempts: 1,
      status: 302,
      want: { step: 'dead-letter', reason: 'not retryable' },
    },
    {
      name: '503 first time waits 0.5s',
      attempts: 1,
      status: 503,
      want: { step: 'retry', afterMs: 500 },
    },
    {
      name: 'no response on the last retry waits 2s',
      attempts: 3,
      status: NO_RESPONSE,
      want: { step: 'retry', afterMs: 2000 },
    },
    {
      name: 'after retry+1 attempts it is dead-lettered',
      attempts: 4,
      status: 503,
      want: { step: 'dead-letter', reason: 'retries exhausted' },
    },
  ];
  for (const c of cases) {
    it(`decides the next step: ${c.name}`, () => {
      assert.deepEqual(nextStep(policy(), c.attempts, c.status), c.want);
    });
  }

  it('with no retries, a retryable failure is dead-lettered after one attempt', () => {
    assert.deepEqual(nextStep(policy({ retry: 0 }), 1, 500), {
      step: 'dead-letter',
      reason: 'retries exhausted',
    });
  });
});
