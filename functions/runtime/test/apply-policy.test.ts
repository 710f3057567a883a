// The runtime's one apply path, on the pure side: which failures retry, how long the waits are
// (jitter bounds, Retry-After, the cap), how many tries and re-plans happen, and that the pool
// never has more than its limit in flight.
import assert from 'node:assert/strict';
import { ConflictError, TransientError, UnprocessableError } from '../errors.ts';
import type { Failure, RetryPolicy } from '../apply/retry-policy.ts';
import {
  DEFAULT_RETRY,
  backoffMs,
  parseRetryAfter,
  retryable,
  retrying,
} from '../apply/retry-policy.ts';
import { replanOnConflict, replansAfter } from '../apply/conflict-policy.ts';
import { forEachBounded } from '../apply/worker-pool.ts';

const reset = new TransientError('GET /api/v1: socket hang up', { code: 'ECONNRESET' });

describe('apply path: which failures retry', () => {
  const cases: Array<{ name: string; f: Failure; idempotent: boolean; want: boolean }> = [
    { name: '503, idempotent', f: { status: 503 }, idempotent: true, want: true },
    { name: '500, idempotent', f: { status: 500 }, idempotent: true, want: true },
    { name: '504 gateway timeout, idempotent', f: { status: 504 }, idempotent: true, want: true },
    {
      name: '503, not idempotent (may have acted)',
      f: { status: 503 },
      idempotent: false,
      want: false,
    },
    { name: '429, idempotent', f: { status: 429 }, idempotent: true, want: true },
    {
      name: '429, not idempotent (refused before acting)',
      f: { status: 429 },
      idempotent: false,
      want: true,
    },
    { name: '409 conflict', f: { status: 409 }, idempotent: true, want: false },
    { name: '404', f: { status: 404 }, idempotent: true, want: false },
    { name: '403', f: { status: 403 }, idempotent: true, want: false },
    { name: '422', f: { status: 422 }, idempotent: true, want: false },
    { name: 'connection reset, idempotent', f: { error: reset }, idempotent: true, want: true },
    {
      name: 'timeout, idempotent',
      f: { error: new TransientError('no answer within 30000 ms') },
      idempotent: true,
      want: true,
    },
    {
      name: 'connection reset, not idempotent',
      f: { error: reset },
      idempotent: false,
      want: false,
    },
    {
      name: 'ConflictError is not a transient retry',
      f: { error: new ConflictError('changed') },
      idempotent: true,
      want: false,
    },
    { name: 'a plain Error', f: { error: new Error('bug') }, idempotent: true, want: false },
    {
      name: 'UnprocessableError',
      f: { error: new UnprocessableError('bad') },
      idempotent: true,
      want: false,
    },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.want ? 'retry' : 'no retry'}`, () => {
      assert.equal(retryable(c.f, c.idempotent), c.want);
    });
  }
});

describe('apply path: backoff with jitter', () => {
  const policy: RetryPolicy = { attempts: 5, baseMs: 100, maxMs: 500 };
  // [failed tries, random, Retry-After ms, expected wait]
  const cases: Array<[number, number, number | undefined, number | undefined]> = [
    [1, 0, undefined, 50], // ceiling 100: [50, 100)
    [1, 0.999999, undefined, 99.99995],
    [2, 0, undefined, 100], // ceiling 200
    [3, 0.5, undefined, 300], // ceiling 400: 200 + 0.5·200
    [4, 0, undefined, 250], // ceiling capped at maxMs 500
    [4, 0.999999, undefined, 499.99975],
    [5, 0, undefined, undefined], // tries exhausted
    [6, 0, undefined, undefined],
    [1, 0, 400, 400], // Retry-After is a floor
    [1, 0.999999, 20, 99.99995], // ...not a ceiling
    [1, 0, 500, 500], // exactly the cap still waits
    [1, 0, 501, undefined], // longer than the cap: left to the Broker
  ];
  for (const [failed, random, retryAfter, want] of cases) {
    it(`after ${failed} failed, random ${random}, Retry-After ${retryAfter ?? '-'} → ${want ?? 'stop'}`, () => {
      const got = backoffMs(policy, failed, () => random, retryAfter);
      if (want === undefined) assert.equal(got, undefined);
      else assert.ok(got !== undefined && Math.abs(got - want) < 1e-6, `got ${got}`);
    });
  }

  it('every wait of the default policy lies in [ceiling/2, ceiling)', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    for (let failed = 1; failed < DEFAULT_RETRY.attempts; failed++) {
      const ceiling = Math.min(DEFAULT_RETRY.maxMs, DEFAULT_RETRY.baseMs * 2 ** (failed - 1));
      const waits = Array.from({ length: 200 }, () => backoffMs(DEFAULT_RETRY, failed, random)!);
      assert.ok(
        waits.every((w) => w >= ceiling / 2 && w < ceiling),
        `try ${failed}`,
      );
      assert.ok(new Set(waits).size > 100, 'the waits are spread, not one value');
    }
  });

  const headers: Array<[string | undefined, number | undefined]> = [
    [undefined, undefined],
    ['', undefined],
    ['1', 1000],
    [' 3 ', 3000],
    ['Thu, 03 Dec 2026 22:00:02 GMT', 2000],
    ['Thu, 03 Dec 2026 21:59:00 GMT', 0], // in the past: no wait of its own
    ['soon', undefined],
    ['-1', undefined],
  ];
  for (const [value, want] of headers) {
    it(`Retry-After ${JSON.stringify(value)} → ${want ?? 'none'}`, () => {
      assert.equal(parseRetryAfter(value, Date.parse('2026-12-03T22:00:00Z')), want);
    });
  }
});

describe('apply path: retrying runs the policy', () => {
  type Answer = { status: number };
  const run = async (script: Array<Answer | Error>, idempotent: boolean, attempts = 3) => {
    const waits: number[] = [];
    let calls = 0;
    const rt = { random: () => 0, sleep: async (ms: number) => void waits.push(ms) };
    const policy = { attempts, baseMs: 100, maxMs: 2000 };
    const once = async () => {
      const next = script[Math.min(calls++, script.length - 1)]!;
      if (next instanceof Error) throw next;
      return next;
    };
    const failureOf = (a: Answer) => (a.status === 429 || a.status >= 500 ? a : undefined);
    try {
      const r = await retrying(policy, idempotent, once, failureOf, rt);
      return { calls, waits, result: r.status };
    } catch (err) {
      return { calls, waits, result: (err as Error).message };
    }
  };
  const cases: Array<{
    name: string;
    script: Array<Answer | Error>;
    idempotent: boolean;
    want: { calls: number; waits: number[]; result: number | string };
  }> = [
    {
      name: 'success at once',
      script: [{ status: 200 }],
      idempotent: true,
      want: { calls: 1, waits: [], result: 200 },
    },
    {
      name: '503 then 200',
      script: [{ status: 503 }, { status: 200 }],
      idempotent: true,
      want: { calls: 2, waits: [50], result: 200 },
    },
    {
      name: '503 throughout: the last answer',
      script: [{ status: 503 }],
      idempotent: true,
      want: { calls: 3, waits: [50, 100], result: 503 },
    },
    {
      name: 'reset throughout: the last error',
      script: [reset],
      idempotent: true,
      want: { calls: 3, waits: [50, 100], result: reset.message },
    },
    {
      name: 'reset, then 200',
      script: [reset, { status: 200 }],
      idempotent: true,
      want: { calls: 2, waits: [50], result: 200 },
    },
    {
      name: '503 on a create: no retry',
      script: [{ status: 503 }],
      idempotent: false,
      want: { calls: 1, waits: [], result: 503 },
    },
    {
      name: '429 on a create: retried',
      script: [{ status: 429 }, { status: 201 }],
      idempotent: false,
      want: { calls: 2, waits: [50], result: 201 },
    },
    {
      name: '404 is an answer, not a failure',
      script: [{ status: 404 }],
      idempotent: true,
      want: { calls: 1, waits: [], result: 404 },
    },
    {
      name: 'a conflict error is not retried here',
      script: [new ConflictError('changed')],
      idempotent: true,
      want: { calls: 1, waits: [], result: 'changed' },
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      assert.deepEqual(await run(c.script, c.idempotent), c.want);
    });
  }

  it('attempts: 1 never retries', async () => {
    assert.deepEqual(await run([{ status: 503 }, { status: 200 }], true, 1), {
      calls: 1,
      waits: [],
      result: 503,
    });
  });
});

describe('apply path: conflicts re-read and re-plan, bounded', () => {
  const cases: Array<{
    name: string;
    fails: Error[];
    attempts: number;
    runs: number;
    ok: boolean;
  }> = [
    { name: 'no conflict', fails: [], attempts: 3, runs: 1, ok: true },
    {
      name: 'one conflict, then fresh state wins',
      fails: [new ConflictError('x')],
      attempts: 3,
      runs: 2,
      ok: true,
    },
    {
      name: 'conflicts past the bound stand',
      fails: Array(5).fill(new ConflictError('x')),
      attempts: 3,
      runs: 3,
      ok: false,
    },
    {
      name: 'attempts 1: no re-plan',
      fails: [new ConflictError('x')],
      attempts: 1,
      runs: 1,
      ok: false,
    },
    {
      name: 'a transient error is not a conflict',
      fails: [new TransientError('down')],
      attempts: 3,
      runs: 1,
      ok: false,
    },
    {
      name: 'an unexpected error is not a conflict',
      fails: [new Error('bug')],
      attempts: 3,
      runs: 1,
      ok: false,
    },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.runs} run(s)`, async () => {
      const seen: number[] = [];
      const outcome = await replanOnConflict(c.attempts, async (attempt) => {
        seen.push(attempt);
        const fail = c.fails[attempt - 1];
        if (fail) throw fail;
        return 'done';
      }).then(
        (v) => v,
        (err: Error) => err,
      );
      assert.deepEqual(
        seen,
        Array.from({ length: c.runs }, (_, i) => i + 1),
      );
      if (c.ok) assert.equal(outcome, 'done');
      else assert.equal(outcome, c.fails[c.runs - 1]);
    });
  }

  it('replansAfter: only a ConflictError before the last attempt', () => {
    assert.equal(replansAfter(new ConflictError('x'), 2, 3), true);
    assert.equal(replansAfter(new ConflictError('x'), 3, 3), false);
    assert.equal(replansAfter(new TransientError('x'), 1, 3), false);
  });
});

describe('apply path: the bounded worker pool', () => {
  const cases: Array<[items: number, limit: number, maxInFlight: number]> = [
    [0, 4, 0],
    [3, 16, 3],
    [50, 4, 4],
    [10, 1, 1],
    [5, 0, 1], // a limit below 1 still makes progress
  ];
  for (const [items, limit, want] of cases) {
    it(`${items} items, limit ${limit}: at most ${want} in flight, all done`, async () => {
      let inFlight = 0;
      let most = 0;
      const done: number[] = [];
      await forEachBounded(
        Array.from({ length: items }, (_, i) => i),
        limit,
        async (i) => {
          most = Math.max(most, ++inFlight);
          await new Promise((r) => setImmediate(r));
          inFlight--;
          done.push(i);
        },
      );
      assert.equal(most, want);
      assert.deepEqual(
        done.sort((a, b) => a - b),
        Array.from({ length: items }, (_, i) => i),
      );
    });
  }

  it('the first error is thrown after every item settled', async () => {
    const done: number[] = [];
    const first = new TransientError('first');
    await assert.rejects(
      forEachBounded([0, 1, 2, 3, 4, 5], 2, async (i) => {
        await new Promise((r) => setImmediate(r));
        if (i === 1) throw first;
        if (i === 3) throw new Error('second');
        done.push(i);
      }),
      (err) => err === first,
    );
    assert.deepEqual(done.sort(), [0, 2, 4, 5]);
  });
});
