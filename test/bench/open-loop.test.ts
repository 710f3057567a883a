// The runtime bench's open-loop arithmetic (bench/open-loop.ts): latency counted from when vegeta's
// constant pacer meant to send, so a stalled server is charged for the requests queued behind it.
import assert from 'node:assert/strict';
import { parseCsv, parseCsvRecords, summarize } from '../../bench/open-loop.ts';
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

// Rows as `vegeta encode -to=csv` (v12.13.0) wrote them for an attack on a closed port whose URL
// holds a comma: the error text is quoted, with its own quotes doubled.
const REFUSED =
  '1796365375762289319,0,521835,0,0,"Post ""http://127.0.0.1:1/a,b"": dial tcp 0.0.0.0:0->127.0.0.1:1: connect: connection refused",,,0,POST,"http://127.0.0.1:1/a,b",\n' +
  '1796365375962131955,0,361187,0,0,"Post ""http://127.0.0.1:1/a,b"": dial tcp 0.0.0.0:0->127.0.0.1:1: connect: connection refused",,,1,POST,"http://127.0.0.1:1/a,b",\n';

describe('bench: vegeta CSV results', () => {
  it('a quoted error holding commas and quotes stays one field, so seq and latency are read right', () => {
    const rows = parseCsvRecords(REFUSED);
    assert.equal(rows.length, 2);
    assert.equal(rows[0]?.length, 12);
    assert.equal(
      rows[0]?.[5],
      'Post "http://127.0.0.1:1/a,b": dial tcp 0.0.0.0:0->127.0.0.1:1: connect: connection refused',
    );
    assert.equal(rows[1]?.[10], 'http://127.0.0.1:1/a,b');
    const samples = parseCsv(REFUSED);
    assert.deepEqual(
      samples.map((s) => [s.seq, s.latencyNs, s.ok]),
      [
        [0, 521835, false],
        [1, 361187, false],
      ],
    );
  });

  it('send times keep nanosecond precision (relative to the first row), which a double of ns since the epoch loses', () => {
    const [a, b] = parseCsv(REFUSED);
    assert.equal(a?.sentNs, 0);
    assert.equal(b?.sentNs, 199_842_636);
    assert.notEqual(Number('1796365375962131955') - Number('1796365375762289319'), 199_842_636);
  });

  it('a line break inside quotes, CRLF endings and a 2xx row', () => {
    const rows = parseCsvRecords('1,200,5,0,0,"a\nb",,,7\r\n2,500,6,0,0,,,,8\r\n');
    assert.deepEqual(
      rows.map((r) => r[5]),
      ['a\nb', ''],
    );
    assert.deepEqual(
      parseCsv('10,200,5,0,0,"x, ""y""",,,7\n').map((s) => [s.seq, s.ok]),
      [[7, true]],
    );
    assert.throws(() => parseCsvRecords('1,"open'), /unterminated/);
  });
});
