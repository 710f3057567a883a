// The Broker stand-in itself: routes by Trigger filters, retries retryable statuses with the
// Trigger's backoff, feeds replies back in, and keeps what exhausts its retries.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startBroker, parseHttpEvent } from './broker.ts';
import type { Route } from './knative-model.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function subscriber(handler: Handler) {
  const got: Array<Record<string, string>> = [];
  const server = createServer((req, res) => {
    const h: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') h[k] = v;
    got.push(h);
    req.resume();
    req.on('end', () => handler(req, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/`, got, close: () => server.close() };
}

const route = (trigger: string, subscriber: string, attributes: Record<string, string>): Route => ({
  trigger,
  subscriber,
  attributes,
  retry: 2,
  backoffPolicy: 'exponential',
  backoffDelayMs: 5,
});

describe('e2e Broker stand-in', () => {
  it('parses binary and structured CloudEvents', () => {
    const bin = parseHttpEvent(
      {
        'ce-type': 't',
        'ce-id': '1',
        'ce-kind': 'VirtualMachine',
        'content-type': 'application/json',
      },
      Buffer.from('{}'),
      'x',
    );
    assert.deepEqual(bin?.attributes, { type: 't', id: '1', kind: 'VirtualMachine' });
    const structured = parseHttpEvent(
      { 'content-type': 'application/cloudevents+json' },
      Buffer.from(
        JSON.stringify({
          type: 't2',
          id: '2',
          datacontenttype: 'application/json',
          data: { a: 1 },
        }),
      ),
      'x',
    );
    assert.deepEqual(structured?.attributes, { type: 't2', id: '2' });
    assert.equal(structured?.body.toString(), '{"a":1}');
    assert.equal(parseHttpEvent({}, Buffer.alloc(0), 'x'), undefined);
  });

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
    const broker = await startBroker({
      routes: [
        route('start', 'fn', { type: 'start' }),
        route('next', 'fn', { type: 'next' }),
        route('bad', 'fn', { type: 'bad' }),
        route('unrouted-kind', 'fn', { type: 'start', kind: 'Other' }),
      ],
      subscribers: new Map([['fn', fn.url]]),
    });
    try {
      for (const type of ['start', 'bad']) {
        const res = await fetch(broker.url, {
          method: 'POST',
          headers: { 'ce-type': type, 'ce-id': type, 'ce-source': '/t', 'ce-specversion': '1.0' },
          body: '{}',
        });
        assert.equal(res.status, 202);
      }
      for (let i = 0; i < 100 && broker.deliveries.length < 3; i++)
        await new Promise((r) => setTimeout(r, 20));
      await broker.idle();
      const summary = broker.deliveries
        .map((d) => `${d.trigger}:${d.status}x${d.attempts}${d.reply ? `→${d.reply}` : ''}`)
        .sort();
      assert.deepEqual(summary, ['bad:422x1', 'next:204x1', 'start:200x2→next']);
      assert.deepEqual(
        broker.deadLetters.map((d) => d.trigger),
        ['bad'],
      );
      assert.equal(fn.got.filter((h) => h['ce-type'] === 'start').length, 2);
    } finally {
      await broker.close();
      fn.close();
    }
  });
});
