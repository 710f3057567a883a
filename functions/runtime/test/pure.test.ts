// The runtime's pure pieces: binding match, dedupe cache, CloudEvent HTTP parsing, size parsing.

import assert from 'node:assert/strict';
import type { Binding } from '../function.ts';
import { matchBinding } from '../events/match.ts';
import { RecentEvents } from '../events/dedupe.ts';
import { parseEvent } from '../http/http-event.ts';
import { HttpProblem } from '../http/problem.ts';
import { parsePort, parseSize } from '../process/main.ts';
import { replyId } from '../events/reply.ts';
import { eventName, newEvent, repeatPatch } from '../kube/kube-events.ts';
import {
  apiServerEvent,
  guessPlural,
  pingEvent,
  selfLink,
  toBinaryHttp,
  toStructuredHttp,
} from '../../../test/support/cloudevents.ts';
import { veleroBackup } from '../../../test/support/objects.ts';

describe('matchBinding', () => {
  const bindings: Binding[] = [
    {
      type: 'dev.knative.apiserver.resource.add',
      kind: 'VirtualMachine',
      apiVersionPrefix: 'vmoperator.vmware.com/',
      dataSchema: 'vm',
    },
    { type: 'dev.knative.apiserver.resource.add', kind: 'Backup', dataSchema: 'backup' },
    { type: 'dev.knative.sources.ping', dataSchema: 'ping' },
  ];
  const table: Array<[string, string, Record<string, string>, string]> = [
    [
      'first binding',
      'dev.knative.apiserver.resource.add',
      { kind: 'VirtualMachine', apiversion: 'vmoperator.vmware.com/v1alpha5' },
      'vm',
    ],
    [
      'second binding by kind',
      'dev.knative.apiserver.resource.add',
      { kind: 'Backup', apiversion: 'velero.io/v1' },
      'backup',
    ],
    ['binding without kind', 'dev.knative.sources.ping', {}, 'ping'],
    [
      'wrong API group',
      'dev.knative.apiserver.resource.add',
      { kind: 'VirtualMachine', apiversion: 'example.com/v1' },
      'skip: apiversion example.com/v1 does not start with vmoperator.vmware.com/',
    ],
    [
      'unknown kind',
      'dev.knative.apiserver.resource.add',
      { kind: 'Pod', apiversion: 'v1' },
      'skip: kind Pod is not VirtualMachine',
    ],
    [
      'unknown type',
      'dev.knative.apiserver.resource.delete',
      { kind: 'Backup' },
      'skip: no binding for type dev.knative.apiserver.resource.delete',
    ],
  ];
  for (const [name, type, ext, want] of table) {
    it(name, () => {
      const m = matchBinding(bindings, type, ext);
      assert.equal('binding' in m ? m.binding.dataSchema : `skip: ${m.skip}`, want);
    });
  }
});

describe('RecentEvents', () => {
  it('remembers (source, id) pairs, not ids alone', () => {
    const r = new RecentEvents(10);
    r.add('a', '1');
    assert.equal(r.has('a', '1'), true);
    assert.equal(r.has('b', '1'), false);
  });
  it('is bounded and evicts the least recently handled', () => {
    const r = new RecentEvents(3);
    for (const id of ['1', '2', '3']) r.add('s', id);
    r.add('s', '1'); // refresh 1
    r.add('s', '4');
    assert.equal(r.size, 3);
    assert.deepEqual(
      ['1', '2', '3', '4'].map((id) => r.has('s', id)),
      [true, false, true, true],
    );
  });
  it('capacity 0 disables it', () => {
    const r = new RecentEvents(0);
    r.add('s', '1');
    assert.equal(r.has('s', '1'), false);
  });
});

describe('parseEvent', () => {
  const asHeaders = (h: Record<string, string>) =>
    Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));

  it('binary mode: attributes from ce-* headers, data parsed lazily', () => {
    const event = apiServerEvent('add', veleroBackup());
    const { headers, body } = toBinaryHttp(event);
    const parsed = parseEvent(asHeaders(headers), Buffer.from(body));
    assert.equal(parsed.mode, 'binary');
    assert.equal(parsed.attributes.id, event.id);
    assert.equal(parsed.attributes.kind, 'Backup');
    assert.equal(parsed.attributes.datacontenttype, 'application/json');
    assert.deepEqual(parsed.data(), event.data);
  });

  it('binary mode: percent-encoded header values are decoded', () => {
    const { headers, body } = toBinaryHttp(pingEvent());
    const parsed = parseEvent(
      asHeaders({ ...headers, 'ce-subject': 'caf%C3%A9%20menu' }),
      Buffer.from(body),
    );
    assert.equal(parsed.attributes.subject, 'café menu');
  });

  it('binary mode: no body means null data (a PingSource without data)', () => {
    const { headers } = toBinaryHttp(pingEvent(null));
    assert.equal(parseEvent(asHeaders(headers), Buffer.alloc(0)).data(), null);
  });

  it('structured mode: attributes from the JSON body, data and data_base64', () => {
    const event = apiServerEvent('update', veleroBackup());
    const { headers, body } = toStructuredHttp(event);
    const parsed = parseEvent(asHeaders(headers), Buffer.from(body));
    assert.equal(parsed.mode, 'structured');
    assert.equal(parsed.attributes.namespace, 'velero');
    assert.equal('data' in parsed.attributes, false);
    assert.deepEqual(parsed.data(), event.data);
    const b64 = JSON.parse(body) as Record<string, unknown>;
    b64.data_base64 = Buffer.from(JSON.stringify({ a: 1 })).toString('base64');
    delete b64.data;
    assert.deepEqual(parseEvent(asHeaders(headers), Buffer.from(JSON.stringify(b64))).data(), {
      a: 1,
    });
  });

  const failures: Array<[string, Record<string, string>, string, number]> = [
    ['plain JSON', { 'content-type': 'application/json' }, '{}', 415],
    ['no content type, no ce headers', {}, '', 415],
    ['batch', { 'content-type': 'application/cloudevents-batch+json' }, '[]', 415],
    ['structured array', { 'content-type': 'application/cloudevents+json' }, '[]', 400],
    ['structured invalid JSON', { 'content-type': 'application/cloudevents+json' }, '{', 400],
    ['bad percent-encoding', { 'ce-specversion': '1.0', 'ce-id': '%E0%A4%A' }, '', 400],
  ];
  for (const [name, headers, body, status] of failures) {
    it(`refuses ${name} with ${status}`, () => {
      assert.throws(
        () => parseEvent(headers, Buffer.from(body)),
        (err: unknown) => err instanceof HttpProblem && err.status === status,
      );
    });
  }

  it('binary data: invalid JSON → 400, non-JSON media type → 415, only when data is read', () => {
    const base = { 'ce-specversion': '1.0' };
    const bad = parseEvent({ ...base, 'content-type': 'application/json' }, Buffer.from('{'));
    assert.throws(
      () => bad.data(),
      (e: unknown) => e instanceof HttpProblem && e.status === 400,
    );
    const text = parseEvent({ ...base, 'content-type': 'text/plain' }, Buffer.from('hi'));
    assert.throws(
      () => text.data(),
      (e: unknown) => e instanceof HttpProblem && e.status === 415,
    );
    const vendor = parseEvent(
      { ...base, 'content-type': 'application/vnd.example+json; charset=utf-8' },
      Buffer.from('{"a":1}'),
    );
    assert.deepEqual(vendor.data(), { a: 1 });
  });
});

describe('ApiServerSource event builders match the adapter', () => {
  it('plurals like meta.UnsafeGuessKindToResource', () => {
    assert.deepEqual(
      [
        'VirtualMachine',
        'VirtualMachineGroup',
        'Ingress',
        'NetworkPolicy',
        'Endpoints',
        'Backup',
      ].map(guessPlural),
      [
        'virtualmachines',
        'virtualmachinegroups',
        'ingresses',
        'networkpolicies',
        'endpoints',
        'backups',
      ],
    );
  });
  it('subjects like createSelfLink, quirks included', () => {
    assert.equal(
      selfLink('velero.io/v1', 'Backup', 'velero', 'b'),
      '/apis/velero.io/v1/namespaces/velero/backups/b',
    );
    assert.equal(
      selfLink('v1', 'PersistentVolumeClaim', 'ns', 'data'),
      '/apis/v1/namespaces/ns/persistentvolumeclaims/data',
    );
  });
  it('Reference mode carries an ObjectReference, never the object', () => {
    const event = apiServerEvent('update', veleroBackup(), 'ref');
    assert.equal(event.type, 'dev.knative.apiserver.ref.update');
    assert.deepEqual(event.data, {
      kind: 'Backup',
      namespace: 'velero',
      name: 'nightly-payments',
      apiVersion: 'velero.io/v1',
    });
    assert.deepEqual(Object.keys(event.extensions).sort(), [
      'apiversion',
      'kind',
      'name',
      'namespace',
    ]);
  });
});

describe('configuration parsing', () => {
  it('sizes', () => {
    assert.deepEqual(
      ['8Mi', '8MiB', '1048576', '512k', '1Gi'].map(parseSize),
      [8388608, 8388608, 1048576, 512000, 1073741824],
    );
    for (const bad of ['', '0', '-1', '8 potatoes', '1.5Mi']) assert.throws(() => parseSize(bad));
  });
  it('ports', () => {
    assert.equal(parsePort('0'), 0);
    assert.equal(parsePort('8080'), 8080);
    for (const bad of ['', '65536', 'http', '-1']) assert.throws(() => parsePort(bad));
  });
});

describe('replyId', () => {
  it('is stable for a redelivered cause and differs per position and type', () => {
    const cause = pingEvent();
    assert.equal(replyId(cause, 0, 't'), replyId({ ...cause }, 0, 't'));
    assert.notEqual(replyId(cause, 0, 't'), replyId(cause, 1, 't'));
    assert.notEqual(replyId(cause, 0, 't'), replyId(cause, 0, 'u'));
    assert.match(
      replyId(cause, 0, 't'),
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
  });
});

describe('Event records', () => {
  const vmg = {
    apiVersion: 'vmoperator.vmware.com/v1alpha5',
    kind: 'VirtualMachineGroup',
    metadata: { name: 'payments', namespace: 'shop', uid: 'u-1', resourceVersion: '7' },
  };
  const record = {
    type: 'Warning' as const,
    reason: 'MissingMember',
    message: 'vm-3 is missing',
    dedupeKey: 'missing:vm-3',
  };
  const source = {
    component: 'vmgroup-backup/backup-labeler',
    instance: 'pod-a',
    now: new Date('2026-11-21T10:00:00Z'),
    labels: { 'velero.io/exclude-from-backup': 'true' },
  };

  it('a dedupeKey gives a stable name per (object uid, key); none gives a fresh one', () => {
    assert.equal(eventName(vmg, 'k'), eventName(vmg, 'k'));
    assert.notEqual(eventName(vmg, 'k'), eventName(vmg, 'other'));
    assert.notEqual(
      eventName(vmg, 'k'),
      eventName({ ...vmg, metadata: { ...vmg.metadata, uid: 'u-2' } }, 'k'),
    );
    assert.notEqual(eventName(vmg, undefined), eventName(vmg, undefined));
    assert.match(eventName(vmg, 'k'), /^payments\.[0-9a-f]{16}$/);
    assert.ok(eventName({ ...vmg, metadata: { name: 'x'.repeat(253) } }, 'k').length <= 253);
  });

  it('a new Event sits in the object namespace, is excluded from backups and counts 1', () => {
    const e = newEvent(vmg, record, source) as Record<string, unknown> & {
      metadata: Record<string, unknown>;
    };
    assert.equal(e.metadata.namespace, 'shop');
    assert.deepEqual(e.metadata.labels, { 'velero.io/exclude-from-backup': 'true' });
    assert.deepEqual(e.involvedObject, {
      apiVersion: vmg.apiVersion,
      kind: vmg.kind,
      name: 'payments',
      namespace: 'shop',
      uid: 'u-1',
      resourceVersion: '7',
    });
    assert.deepEqual(
      [e.type, e.reason, e.message, e.count, e.firstTimestamp],
      ['Warning', 'MissingMember', 'vm-3 is missing', 1, '2026-11-21T10:00:00.000Z'],
    );
    const cluster = newEvent(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
      record,
      source,
    );
    assert.equal(cluster.metadata.namespace, 'default');
  });

  it('a repeat bumps count and lastTimestamp under the seen resourceVersion', () => {
    const existing = { ...newEvent(vmg, record, source), count: 4 };
    existing.metadata.resourceVersion = '99';
    assert.deepEqual(
      repeatPatch(
        existing,
        { ...record, message: 'still missing' },
        new Date('2026-11-21T11:00:00Z'),
      ),
      {
        metadata: { resourceVersion: '99' },
        count: 5,
        lastTimestamp: '2026-11-21T11:00:00.000Z',
        message: 'still missing',
        type: 'Warning',
      },
    );
  });
});
