// The Broker stand-in's thin HTTP part (scripts/broker-standin/broker.ts) against real local HTTP
// servers: routes by Trigger filters, retries retryable statuses with the Trigger's backoff, feeds
// replies back in, keeps what ends in dead letter, and goes quiet on close.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startBroker } from '../../scripts/broker-standin/broker.ts';
import type { Broker, Delivery } from '../../scripts/broker-standin/broker.ts';
import type { Route } from '../../scripts/broker-standin/routes.ts';
import { fromInboundEvent } from '../../scripts/broker-standin/wire.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function subscriber(handler: Handler) {
  const got: Array<{ headers: Record<string, string>; at: number }> = [];
  const server = createServer((req, res) => {
    const h: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') h[k] = v;
    got.push({ headers: h, at: Date.now() });
    req.resume();
    req.on('end', () => handler(req, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    got,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const route = (
  trigger: string,
  sub: string,
  attributes: Record<string, string>,
  over: Partial<Route> = {},
): Route => ({
  trigger,
  subscriber: sub,
  filter: { filter: { attributes } },
  retry: 2,
  backoffPolicy: 'exponential',
  backoffDelayMs: 5,
  ...over,
});

const post = (broker: Broker, type: string) =>
  fetch(broker.url, {
    method: 'POST',
    headers: { 'ce-type': type, 'ce-id': type, 'ce-source': '/t', 'ce-specversion': '1.0' },
    body: '{}',
  });

const summary = (ds: Delivery[]) =>
  ds.map((d) => `${d.trigger}:${d.status}x${d.attempts}${d.reply ? `→${d.reply}` : ''}`).sort();

describe('Broker stand-in: HTTP ingress and forwarding', () => {
  it('routes, retries, feeds replies back and keeps dead letters', async () => {
    let flaky = 0;
    const fn = await subscriber((req, res) => {
      const type = req.headers['ce-type'];
      if (type === 'start') {
        // First attempt fails retryably; the second replies with a continuation.
        if (flaky++ === 0) return void res.writeHead(503).end();
        res.writeHead(200, {
          'ce-type': 'next',
          'ce-id': 'r1',
          'ce-source': '/fn',
          'ce-specversion': '1.0',
        });
        return void res.end('{}');
      }
      if (type === 'next') return void res.writeHead(204).end();
      res.writeHead(422).end(); // never retried
    });
    const ended: Delivery[] = [];
    const broker = await startBroker({
      routes: [
        route('start', 'fn', { type: 'start' }),
        route('next', 'fn', { type: 'next' }),
        route('bad', 'fn', { type: 'bad' }),
        route('unrouted-kind', 'fn', { type: 'start', kind: 'Other' }),
      ],
      subscribers: new Map([['fn', fn.url]]),
      onDelivery: (d) => ended.push(d),
    });
    try {
      for (const type of ['start', 'bad']) assert.equal((await post(broker, type)).status, 202);
      assert.equal((await fetch(broker.url, { method: 'POST', body: '{}' })).status, 400);
      for (let i = 0; i < 100 && broker.deliveries.length < 3; i++)
        await new Promise((r) => setTimeout(r, 20));
      await broker.idle();
      assert.deepEqual(summary(broker.deliveries), ['bad:422x1', 'next:204x1', 'start:200x2→next']);
      assert.deepEqual(summary(ended), summary(broker.deliveries));
      assert.deepEqual(
        broker.deadLetters.map((d) => `${d.trigger} ${d.outcome}`),
        ['bad dead-letter'],
      );
      assert.deepEqual(broker.events.map((e) => `${e.attributes['type']} from ${e.from}`).sort(), [
        'bad from adapter',
        'next from fn',
        'start from adapter',
      ]);
      const starts = fn.got.filter((g) => g.headers['ce-type'] === 'start');
      assert.equal(starts.length, 2);
      assert.ok(starts[1]!.at - starts[0]!.at >= 5, 'waited the first backoff');
      // The ingress stamps arrival time, as Knative's does, and delivers in binary mode.
      assert.match(starts[0]!.headers['ce-knativearrivaltime'] ?? '', /^\d{4}-\d\d-\d\dT/);
      assert.equal(starts[0]!.headers['ce-source'], '/t');
    } finally {
      await broker.close();
      await fn.close();
    }
  });

  it('publishes in process, dead-letters a subscriber that never answers, and settles', async () => {
    const gone = await subscriber((_req, res) => res.writeHead(204).end());
    await gone.close(); // connection refused from now on
    const lines: string[] = [];
    const broker = await startBroker({
      routes: [
        route('down', 'down', { type: 'ping' }, { retry: 1 }),
        route('missing', 'nobody', { type: 'ping' }, { retry: 0 }),
      ],
      subscribers: new Map([['down', gone.url]]),
      log: (l) => lines.push(l),
    });
    try {
      broker.publish(
        fromInboundEvent(
          { id: 'p1', source: '/ping', type: 'ping', extensions: {}, data: null },
          'PingSource/resync',
        ),
      );
      await broker.settled(50, 10_000);
      assert.deepEqual(summary(broker.deliveries), ['down:-1x2', 'missing:-1x1']);
      assert.equal(broker.deadLetters.length, 2);
      assert.ok(lines.some((l) => /no process for Service nobody/.test(l)));
      assert.ok(lines.some((l) => /dead letter \(retries exhausted\) after 2 attempt/.test(l)));
    } finally {
      await broker.close();
    }
  });

  it('close() cuts a pending backoff short and records nothing for it', async () => {
    const busy = await subscriber((_req, res) => res.writeHead(503).end());
    const broker = await startBroker({
      routes: [route('busy', 'busy', { type: 'x' }, { retry: 5, backoffDelayMs: 60_000 })],
      subscribers: new Map([['busy', busy.url]]),
    });
    try {
      assert.equal((await post(broker, 'x')).status, 202);
      for (let i = 0; i < 100 && busy.got.length < 1; i++)
        await new Promise((r) => setTimeout(r, 10));
      const started = Date.now();
      await broker.close();
      await broker.idle();
      assert.ok(Date.now() - started < 5_000, 'did not wait out the backoff');
      assert.equal(busy.got.length, 1);
      assert.deepEqual(broker.deliveries, []);
    } finally {
      await busy.close();
    }
  });
});
