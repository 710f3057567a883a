// The runtime bench's open-loop arithmetic (bench/open-loop.ts): latency counted from when vegeta's
// constant pacer meant to send, so a stalled server is charged for the requests queued behind it.
import assert from 'node:assert/strict';
import { summarize } from '../../bench/open-loop.ts';
import type { Sample } from '../../bench/open-loop.ts';

const MS = 1e6;

/** `n` requests at `rate`/s from t0, each answered in `latencyMs`; `lag(seq)` delays its send. */
function samples(n: number, rate: number, latencyMs: number, lag = (_: number) => 0): Sample[] {
  const interval = Math.floor(1e9 / rate);
  return Array.from({ length: n }, (_, seq) => ({
    seq,
    sentNs: 1e12 + seq * interval + lag(seq) * MS,
    latencyNs: latencyMs * MS,
    ok: seq % 50 !== 0,
  }));
}

describe('bench: open-loop latency summary', () => {
  it('on schedule: latency from the intended send equals latency from the actual send', () => {
    const r = summarize(samples(1000, 1000, 2), 1000);
    assert.equal(r.requests, 1000);
    assert.equal(r.failed, 20);
    assert.equal(r.p99Ms, 2);
    assert.equal(r.sentP99Ms, 2);
    assert.equal(r.maxSendLagMs, 0);
  });

  it('a send held back 5 ms (a stall) is charged to the intended-send latency only', () => {
    const r = summarize(
      samples(1000, 1000, 1, (seq) => (seq >= 989 ? 5 : 0)),
      1000,
    );
    assert.equal(r.sentP99Ms, 1);
    assert.equal(r.p99Ms, 6);
    assert.equal(r.maxMs, 6);
    assert.equal(r.maxSendLagMs, 5);
    assert.equal(r.p50Ms, 1);
  });
});
