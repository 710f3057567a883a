// Open-loop, constant-rate load for latency figures: vegeta (scripts/binaries, built on first use)
// sends `rate` requests per second on a fixed schedule (one every 1/rate s, no bursts) and opens
// more connections rather than wait when the server stalls, so a stall is charged to every request
// scheduled during it. Latency is taken from each request's INTENDED send time (vegeta's constant
// pacer schedule, see summarize), so the generator falling behind is charged too; vegeta's own
// figure (from the actual send) is kept beside it. autocannon is not used here: its overallRate is
// a per-second budget per connection, spent back to back and then idle for the rest of the second.

import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, rmSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { ensureBinary } from '../scripts/binaries/ensure.ts';

export interface OpenLoopOptions {
  url: string;
  rate: number;
  seconds: number;
  /** Headers of every request; `ce-id` is replaced by a fresh UUID per request. */
  headers: Record<string, string>;
  bodyFile: string;
  /** Folder for the targets and results files. */
  work: string;
  /** Command prefix that pins the generator (e.g. `taskset -c 0`). */
  pin: string[];
}

export interface OpenLoopResult {
  requests: number;
  /** Requests answered 2xx / failed (non-2xx or transport error). */
  ok: number;
  failed: number;
  /** Percentiles in ms, latency from the intended send time. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Percentiles in ms from the actual send (what `vegeta report` prints). */
  sentP50Ms: number;
  sentP99Ms: number;
  /** Largest delay of an actual send behind its schedule, ms (the generator's own lag). */
  maxSendLagMs: number;
}

export async function openLoop(opts: OpenLoopOptions): Promise<OpenLoopResult> {
  const vegeta = await ensureBinary('vegeta');
  const targets = join(opts.work, 'targets.http');
  const results = join(opts.work, 'results.bin');
  await writeTargets(targets, opts);
  try {
    await run(
      [
        ...opts.pin,
        vegeta,
        'attack',
        `-rate=${opts.rate}/s`,
        `-duration=${opts.seconds}s`,
        '-format=http',
        `-targets=${targets}`,
        // One shared body for every target: read once, so per-request targets stay small.
        `-body=${opts.bodyFile}`,
        // Targets parsed as they are sent: holding all of them (tens of MB) made each of vegeta's
        // GC cycles mark for 30–50 ms on its one core, delaying the goroutines that read answers
        // and adding up to ~100 ms to measured latencies the server never caused.
        '-lazy',
        '-max-body=0',
        '-timeout=10s',
        `-output=${results}`,
      ],
      GENERATOR_ENV,
    );
    const csv = await run([vegeta, 'encode', '-to=csv', results]);
    return summarize(parseCsv(csv), opts.rate);
  } finally {
    rmSync(targets, { force: true });
    rmSync(results, { force: true });
  }
}

/** One target per request (vegeta cycles through them in order), each with its own ce-id. */
async function writeTargets(path: string, opts: OpenLoopOptions): Promise<void> {
  const shared = Object.entries(opts.headers)
    .filter(([name]) => name.toLowerCase() !== 'ce-id')
    .map(([name, value]) => `${name}: ${value}\n`)
    .join('');
  const out = createWriteStream(path);
  // A few percent spare: the pacer may issue a request or two more than rate × seconds.
  const count = Math.ceil(opts.rate * opts.seconds * 1.05) + 10;
  for (let i = 0; i < count; i++) {
    if (!out.write(`POST ${opts.url}\nce-id: ${randomUUID()}\n${shared}\n`))
      await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

export interface Sample {
  /** Actual send, ns since the epoch. */
  sentNs: number;
  latencyNs: number;
  seq: number;
  ok: boolean;
}

/**
 * Pure. vegeta's `encode -to=csv` rows (Go's encoding/csv: a field holding a comma, a quote or a
 * line break is quoted, its quotes doubled): timestamp (ns since the epoch), code, latency (ns),
 * bytes out, bytes in, error, body (base64), attack, seq, method, url, headers. An error text
 * holds quotes and may hold commas (`Post "http://host/a,b": dial tcp …`). sentNs is counted from
 * the first row's timestamp, in BigInt, since ns since the epoch do not fit a double exactly.
 */
export function parseCsv(text: string): Sample[] {
  const rows = parseCsvRecords(text);
  const first = rows[0]?.[0];
  const origin = first === undefined ? 0n : BigInt(first);
  return rows.map((f) => {
    const code = Number(f[1]);
    return {
      sentNs: Number(BigInt(f[0] ?? '0') - origin),
      latencyNs: Number(f[2]),
      seq: Number(f[8]),
      ok: code >= 200 && code < 300,
    };
  });
}

/** Pure. RFC 4180 records: fields split on commas outside quotes, `""` a quote inside one; CRLF or LF ends a record; blank lines are skipped. */
export function parseCsvRecords(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const endRecord = () => {
    record.push(field);
    if (record.length > 1 || record[0] !== '') records.push(record);
    record = [];
    field = '';
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n') endRecord();
    else if (c === '\r' && text[i + 1] === '\n') {
      endRecord();
      i++;
    } else field += c;
    i++;
  }
  if (quoted) throw new Error('CSV: unterminated quoted field');
  if (field !== '' || record.length > 0) endRecord();
  return records;
}

/**
 * Pure. vegeta's constant pacer schedules request n at origin + n × floor(1e9 / rate) ns and never
 * sends early, so the origin is the earliest `sent - n × interval` over all requests; latency is
 * counted from that schedule.
 */
export function summarize(samples: Sample[], rate: number): OpenLoopResult {
  const interval = Math.floor(1e9 / rate);
  const origin = samples.reduce((m, s) => Math.min(m, s.sentNs - s.seq * interval), Infinity);
  const fromIntended: number[] = [];
  const fromSent: number[] = [];
  let maxLag = 0;
  for (const s of samples) {
    const lag = s.sentNs - (origin + s.seq * interval);
    maxLag = Math.max(maxLag, lag);
    fromIntended.push((lag + s.latencyNs) / 1e6);
    fromSent.push(s.latencyNs / 1e6);
  }
  fromIntended.sort((a, b) => a - b);
  fromSent.sort((a, b) => a - b);
  const ok = samples.filter((s) => s.ok).length;
  return {
    requests: samples.length,
    ok,
    failed: samples.length - ok,
    p50Ms: quantile(fromIntended, 0.5),
    p99Ms: quantile(fromIntended, 0.99),
    maxMs: fromIntended[fromIntended.length - 1] ?? NaN,
    sentP50Ms: quantile(fromSent, 0.5),
    sentP99Ms: quantile(fromSent, 0.99),
    maxSendLagMs: maxLag / 1e6,
  };
}

/** Nearest-rank quantile of sorted values. */
function quantile(sorted: number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? NaN;
}

/**
 * No garbage collection in the generator during a run: vegeta allocates ~75 MB/s at 2900
 * requests/s, so a 10 s run stays well below the memory limit, which is only a safety net that
 * turns collection back on.
 */
const GENERATOR_ENV = { GOGC: 'off', GOMEMLIMIT: '3GiB' };

function run(argv: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString());
      else reject(new Error(`${argv.join(' ').slice(0, 200)} failed (exit ${code}): ${err}`));
    });
  });
}
