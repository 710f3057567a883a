// Every row of the "HTTP contract" table in docs/reference.md, through the real server over real HTTP.

import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { FunctionDefinition, InboundEvent, OutboundEvent } from '../function.ts';
import type { Kube } from '../kube/kube-api.ts';
import { ConflictError, UnprocessableError } from '../errors.ts';
import { schemaId } from '../schema/schema-files.ts';
import type { TestServer } from '../../../test/support/runtime.ts';
import { startTestServer } from '../../../test/support/runtime.ts';
import {
  apiServerEvent,
  pingEvent,
  postEvent,
  postRaw,
  toBinaryHttp,
  toStructuredHttp,
} from '../../../test/support/cloudevents.ts';
import { veleroBackup } from '../../../test/support/objects.ts';

const REPLY_SCHEMA = schemaId('cloudevents/apiserver-ref');

interface Deps {
  kube: Kube;
  calls: string[];
}

/** What the handler does is chosen by the Backup's name, so each test picks its row. */
async function contractHandler(event: InboundEvent, deps: Deps): Promise<OutboundEvent[] | void> {
  const name = (event.data as { metadata?: { name?: string } } | null)?.metadata?.name ?? '';
  deps.calls.push(name);
  const reply = (data: unknown): OutboundEvent[] => [
    {
      type: 'dev.vmgroup-backup.contract.replied',
      subject: event.subject,
      dataschema: REPLY_SCHEMA,
      data,
    },
  ];
  switch (name) {
    case 'reply':
      return reply({ kind: 'Backup', name, apiVersion: 'velero.io/v1', namespace: 'velero' });
    case 'bad-reply':
      return reply({ kind: 'Backup' });
    case 'kube':
      await deps.kube.get({
        apiVersion: 'velero.io/v1',
        kind: 'Backup',
        namespace: 'velero',
        name,
      });
      return;
    case 'unprocessable':
      throw new UnprocessableError('the backup selects no namespace');
    case 'conflict':
      throw new ConflictError('the object changed');
    case 'crash':
      throw new Error('boom at /srv/handler.ts:12 password=hunter2');
    case 'slow':
      await new Promise((resolve) => setTimeout(resolve, 400));
      return;
    default:
      return;
  }
}

const contractFunction: FunctionDefinition<Deps> = {
  name: 'contract-test',
  bindings: [
    {
      type: 'dev.knative.apiserver.resource.add',
      kind: 'Backup',
      apiVersionPrefix: 'velero.io/',
      dataSchema: schemaId('objects/backup'),
      handle: contractHandler,
    },
    { type: 'dev.knative.apiserver.ref.update', dataSchema: REPLY_SCHEMA, handle: contractHandler },
    {
      type: 'dev.knative.sources.ping',
      dataSchema: schemaId('objects/pingsource-event'),
      handle: contractHandler,
    },
  ],
  deps: (ctx) => ({ kube: ctx.kube, calls: [] }),
};

const backupAdd = (name: string) => apiServerEvent('add', veleroBackup(name));

describe('runtime HTTP contract (docs/reference.md table)', () => {
  let server: TestServer;
  let calls: string[];
  before(async () => {
    const recorded: string[] = [];
    calls = recorded;
    server = await startTestServer(
      { ...contractFunction, deps: (ctx) => ({ kube: ctx.kube, calls: recorded }) },
      { maxBodyBytes: 64 * 1024 },
    );
  });
  after(() => server.close());
  beforeEach(() => {
    calls.length = 0;
  });

  const handlerCalls = () => server.logs.filter((l) => l.msg === 'event');

  it('204: a handled event whose handler returns nothing (binary mode)', async () => {
    const event = backupAdd('plain');
    const res = await postEvent(server.url, event);
    assert.equal(res.status, 204);
    const line = handlerCalls().find((l) => l.id === event.id);
    assert.deepEqual(
      { type: line?.type, subject: line?.subject, outcome: line?.outcome, level: line?.level },
      { type: event.type, subject: event.subject, outcome: 'handled', level: 'info' },
    );
  });

  it('204: the same event in structured mode', async () => {
    const res = await postEvent(server.url, backupAdd('plain'), 'structured');
    assert.equal(res.status, 204);
  });

  it('204: a PingSource tick with and without data', async () => {
    assert.equal((await postEvent(server.url, pingEvent())).status, 204);
    assert.equal((await postEvent(server.url, pingEvent(null))).status, 204);
  });

  it('200: a handler reply goes back as one binary-mode CloudEvent validated against its dataschema', async () => {
    const event = backupAdd('reply');
    const res = await postEvent(server.url, event);
    assert.equal(res.status, 200);
    assert.equal(res.headers['ce-specversion'], '1.0');
    assert.equal(res.headers['ce-type'], 'dev.vmgroup-backup.contract.replied');
    assert.equal(res.headers['ce-source'], '/velero-vmgroup-functions');
    assert.equal(res.headers['ce-subject'], event.subject);
    assert.equal(res.headers['ce-dataschema'], REPLY_SCHEMA);
    assert.match(res.headers['content-type'] ?? '', /^application\/json/);
    assert.deepEqual(res.body, {
      kind: 'Backup',
      name: 'reply',
      apiVersion: 'velero.io/v1',
      namespace: 'velero',
    });
    // A redelivered cause would produce the same reply id.
    const again = await postEvent(server.url, { ...event, id: event.id, source: 'elsewhere' });
    assert.notEqual(again.headers['ce-id'], res.headers['ce-id']);
  });

  it('202: an event type the function does not handle is acknowledged, ignored and logged at debug', async () => {
    const other = apiServerEvent('add', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x', namespace: 'y' },
    });
    const res = await postEvent(server.url, other);
    assert.equal(res.status, 202);
    assert.equal(calls.length, 0);
    const line = handlerCalls().find((l) => l.id === other.id);
    assert.equal(line?.outcome, 'ignored');
    assert.equal(line?.level, 'debug');
    assert.equal(
      (await postEvent(server.url, { ...backupAdd('x'), type: 'com.example.other' })).status,
      202,
    );
  });

  it('202: a redelivery of an already handled (source, id) does not run the handler again', async () => {
    const event = backupAdd('plain');
    assert.equal((await postEvent(server.url, event)).status, 204);
    const before = handlerCalls().filter(
      (l) => l.id === event.id && l.outcome === 'handled',
    ).length;
    const res = await postEvent(server.url, event);
    assert.equal(res.status, 202);
    assert.equal(
      handlerCalls().filter((l) => l.id === event.id && l.outcome === 'handled').length,
      before,
    );
    assert.equal(
      handlerCalls()
        .filter((l) => l.id === event.id)
        .at(-1)?.outcome,
      'duplicate',
    );
  });

  it('415: a request that is not a CloudEvent', async () => {
    const res = await postRaw(server.url, {
      headers: { 'content-type': 'application/json' },
      body: '{"hello":"world"}',
    });
    assert.equal(res.status, 415);
    assert.equal(res.headers['content-type'], 'application/problem+json');
    assert.equal(
      (res.body as { type: string }).type,
      'https://vmgroup-backup.dev/problems/not-a-cloudevent',
    );
  });

  it('415: batched content mode', async () => {
    const res = await postRaw(server.url, {
      headers: { 'content-type': 'application/cloudevents-batch+json' },
      body: `[${toStructuredHttp(backupAdd('plain')).body}]`,
    });
    assert.equal(res.status, 415);
  });

  it('415: data that is not JSON for a handled type', async () => {
    const { headers } = toBinaryHttp(backupAdd('plain'));
    const res = await postRaw(server.url, {
      headers: { ...headers, 'content-type': 'text/plain' },
      body: 'hello',
    });
    assert.equal(res.status, 415);
    assert.equal(
      (res.body as { type: string }).type,
      'https://vmgroup-backup.dev/problems/unsupported-data',
    );
  });

  it('400: envelope missing a required attribute, naming the schema path', async () => {
    const { headers, body } = toBinaryHttp(backupAdd('plain'));
    delete headers['ce-id'];
    const res = await postRaw(server.url, { headers, body });
    assert.equal(res.status, 400);
    const problem = res.body as Record<string, string>;
    assert.equal(problem.type, 'https://vmgroup-backup.dev/problems/invalid-event');
    assert.equal(problem.part, 'envelope');
    // ApiServerSource envelopes extend the generic CloudEvent schema, which requires `id`.
    assert.equal(problem.schema, schemaId('cloudevents/apiserver-envelope'));
    assert.equal(problem.schemaPath, `${schemaId('cloudevents/cloudevent')}#/required`);
    assert.match(problem.detail ?? '', /id/);
  });

  it('400: unsupported specversion', async () => {
    const { headers, body } = toBinaryHttp(backupAdd('plain'));
    const res = await postRaw(server.url, {
      headers: { ...headers, 'ce-specversion': '0.3' },
      body,
    });
    assert.equal(res.status, 400);
    assert.match((res.body as { schemaPath: string }).schemaPath, /specversion\/const$/);
  });

  it('400: an ApiServerSource event without its kind extension', async () => {
    const { headers, body } = toBinaryHttp(backupAdd('plain'));
    delete headers['ce-kind'];
    const res = await postRaw(server.url, { headers, body });
    assert.equal(res.status, 400);
    assert.equal(
      (res.body as { schema: string }).schema,
      schemaId('cloudevents/apiserver-envelope'),
    );
  });

  it('400: data that is not valid JSON', async () => {
    const { headers } = toBinaryHttp(backupAdd('plain'));
    const res = await postRaw(server.url, { headers, body: '{"apiVersion": "velero.io/v1", ' });
    assert.equal(res.status, 400);
    assert.match((res.body as { detail: string }).detail, /not valid JSON/);
  });

  it('400: data that violates the binding schema, naming schema and paths', async () => {
    const broken = veleroBackup('plain', { status: { phase: 'Exploded' } });
    const res = await postEvent(server.url, apiServerEvent('add', broken));
    assert.equal(res.status, 400);
    const problem = res.body as Record<string, string>;
    assert.equal(problem.part, 'data');
    assert.equal(problem.schema, schemaId('objects/backup'));
    assert.equal(problem.schemaPath, '#/properties/status/properties/phase/enum');
    assert.equal(problem.instancePath, '/status/phase');
    assert.equal(calls.length, 0);
  });

  it('400: a structured-mode body that is not JSON', async () => {
    const res = await postRaw(server.url, {
      headers: { 'content-type': 'application/cloudevents+json' },
      body: '{nope',
    });
    assert.equal(res.status, 400);
  });

  it('413: a body over the configured limit, before it is all read', async () => {
    const event = backupAdd('plain');
    const { headers } = toBinaryHttp(event);
    const res = await postRaw(server.url, {
      headers,
      body: JSON.stringify({ pad: 'x'.repeat(80 * 1024) }),
    });
    assert.equal(res.status, 413);
    assert.equal(
      (res.body as { type: string }).type,
      'https://vmgroup-backup.dev/problems/payload-too-large',
    );
    // The server keeps serving.
    assert.equal((await postEvent(server.url, backupAdd('plain'))).status, 204);
  });

  it('413: a chunked body over the limit (no Content-Length)', async () => {
    const { headers } = toBinaryHttp(backupAdd('plain'));
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(server.url, { method: 'POST', headers }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write('x'.repeat(10 * 1024));
      req.end();
    });
    assert.equal(status, 413);
  });

  it('422: the handler says the event cannot be acted on', async () => {
    const res = await postEvent(server.url, backupAdd('unprocessable'));
    assert.equal(res.status, 422);
    assert.equal((res.body as { detail: string }).detail, 'the backup selects no namespace');
  });

  it('503: a transient Kubernetes API failure (network), with Retry-After', async () => {
    const event = backupAdd('kube');
    const res = await postEvent(server.url, event);
    assert.equal(res.status, 503);
    assert.equal(res.headers['retry-after'], '1');
    // Not remembered as handled: the Broker's retry runs the handler again.
    assert.equal((await postEvent(server.url, event)).status, 503);
  });

  it('503: a conflict that persists after the runtime re-ran the handler', async () => {
    const res = await postEvent(server.url, backupAdd('conflict'));
    assert.equal(res.status, 503);
    assert.deepEqual(calls, ['conflict', 'conflict', 'conflict']);
    assert.equal(handlerCalls().at(-1)?.outcome, 'conflict');
  });

  it('500: an unexpected handler error, without stack or message in the body', async () => {
    const res = await postEvent(server.url, backupAdd('crash'));
    assert.equal(res.status, 500);
    const text = JSON.stringify(res.body);
    assert.doesNotMatch(text, /boom|hunter2|handler\.ts|at /);
    assert.equal(
      (res.body as { type: string }).type,
      'https://vmgroup-backup.dev/problems/internal',
    );
    assert.equal((await postEvent(server.url, backupAdd('plain'))).status, 204, 'still serving');
  });

  it('500: a reply that violates its own dataschema is never sent', async () => {
    const res = await postEvent(server.url, backupAdd('bad-reply'));
    assert.equal(res.status, 500);
    assert.equal(res.headers['ce-type'], undefined);
  });

  it('405 for other methods on /, 404 elsewhere', async () => {
    const get = await fetch(server.url);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    assert.equal((await fetch(`${server.url}/nope`, { method: 'POST' })).status, 404);
  });

  it('health probes and Prometheus metrics', async () => {
    assert.equal((await fetch(`${server.url}/health/liveness`)).status, 200);
    assert.equal((await fetch(`${server.url}/health/readiness`)).status, 200);
    const metrics = await fetch(`${server.url}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await metrics.text();
    assert.match(
      text,
      /vmgroup_events_total\{type="dev\.knative\.apiserver\.resource\.add",outcome="handled",function="contract-test"\} \d+/,
    );
    assert.match(
      text,
      /vmgroup_events_total\{type="unmatched",outcome="ignored",function="contract-test"\} \d+/,
    );
    assert.match(
      text,
      /vmgroup_event_duration_seconds_bucket\{le="0\.005",[^}]*type="dev\.knative\.apiserver\.resource\.add"/,
    );
    assert.match(text, /vmgroup_kube_api_calls_total|process_resident_memory_bytes/);
  });

  it('logs never contain event data', async () => {
    const secretish = veleroBackup('plain', {
      spec: { includedNamespaces: ['payments'], data: { password: 'c2VjcmV0' } },
    });
    await postEvent(server.url, apiServerEvent('add', secretish));
    assert.doesNotMatch(JSON.stringify(server.logs), /c2VjcmV0/);
  });
});

describe('runtime draining', () => {
  it('finishes in-flight events, answers readiness 503 while draining, then refuses connections', async () => {
    const started: string[] = [];
    const server = await startTestServer({
      ...contractFunction,
      deps: (ctx) => ({ kube: ctx.kube, calls: started }),
    });
    const inFlight = postEvent(server.url, backupAdd('slow'));
    while (!started.includes('slow')) await new Promise((resolve) => setTimeout(resolve, 5));
    const closing = server.close();
    const readiness = await fetch(`${server.url}/health/readiness`).then(
      (r) => r.status,
      () => 'refused',
    );
    assert.ok(
      readiness === 503 || readiness === 'refused',
      `readiness while draining: ${readiness}`,
    );
    assert.equal((await inFlight).status, 204);
    await closing;
    await assert.rejects(fetch(`${server.url}/health/liveness`));
  });
});
