// CloudEvents on the wire for the Broker stand-in (scripts/broker-standin/wire.ts): read as sources
// and replies send them, written as a Broker delivers them, and read back by the functions' own
// parser (functions/runtime/http/http-event.ts) exactly as the runtime's event shape went in.
import assert from 'node:assert/strict';
import type { InboundEvent } from '../../functions/runtime/function.ts';
import { parseEvent } from '../../functions/runtime/http/http-event.ts';
import {
  binaryHeaders,
  encodeHeaderValue,
  filterView,
  fromInboundEvent,
  parseHttpEvent,
} from '../../scripts/broker-standin/wire.ts';

describe('Broker stand-in: CloudEvents on the wire (pure)', () => {
  it('parses binary and structured CloudEvents', () => {
    const bin = parseHttpEvent(
      {
        'ce-type': 't',
        'ce-id': '1',
        'ce-kind': 'VirtualMachine',
        'content-type': 'application/json',
        'x-other': 'ignored',
      },
      Buffer.from('{}'),
      'x',
      7,
    );
    assert.deepEqual(bin, {
      attributes: { type: 't', id: '1', kind: 'VirtualMachine' },
      contentType: 'application/json',
      body: Buffer.from('{}'),
      receivedAt: 7,
      from: 'x',
    });
    const structured = parseHttpEvent(
      { 'content-type': 'application/cloudevents+json; charset=utf-8' },
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
    assert.equal(structured?.contentType, 'application/json');
    assert.equal(structured?.body.toString(), '{"a":1}');
    const base64 = parseHttpEvent(
      { 'content-type': 'application/cloudevents+json' },
      Buffer.from(
        JSON.stringify({ type: 't3', data_base64: Buffer.from('hi').toString('base64') }),
      ),
      'x',
    );
    assert.equal(base64?.body.toString(), 'hi');
  });

  it('is not a CloudEvent without a type, or with a malformed escape', () => {
    assert.equal(parseHttpEvent({}, Buffer.alloc(0), 'x'), undefined);
    assert.equal(parseHttpEvent({ 'ce-id': '1' }, Buffer.alloc(0), 'x'), undefined);
    assert.equal(
      parseHttpEvent({ 'ce-type': 't', 'ce-subject': '%E0%A4%A' }, Buffer.alloc(0), 'x'),
      undefined,
    );
  });

  it('percent-encodes header values as the HTTP binding says, and decodes them on the way in', () => {
    assert.equal(encodeHeaderValue('/apis/v1/namespaces/a/b'), '/apis/v1/namespaces/a/b');
    assert.equal(encodeHeaderValue('a b"c%d€'), 'a%20b%22c%25d%E2%82%AC');
    const e = parseHttpEvent(
      { 'ce-type': 't', 'ce-subject': 'a%20b%E2%82%AC' },
      Buffer.alloc(0),
      'x',
    );
    assert.equal(e?.attributes['subject'], 'a b€');
    assert.equal(binaryHeaders(e!)['ce-subject'], 'a%20b%E2%82%AC');
  });

  it('writes binary mode; a filter sees datacontenttype too', () => {
    const e = parseHttpEvent(
      { 'ce-type': 't', 'ce-id': '1', 'content-type': 'application/json' },
      Buffer.from('{}'),
      'x',
    )!;
    assert.deepEqual(binaryHeaders(e), {
      'ce-type': 't',
      'ce-id': '1',
      'content-type': 'application/json',
    });
    assert.deepEqual(filterView(e), { type: 't', id: '1', datacontenttype: 'application/json' });
  });

  it('turns the runtime event shape into what the functions parse back unchanged', () => {
    const inbound: InboundEvent = {
      id: 'id-1',
      source: 'https://10.96.0.1:443',
      type: 'dev.knative.apiserver.resource.add',
      subject: '/apis/vmoperator.vmware.com/v1alpha5/namespaces/shop/virtualmachines/db 1',
      time: '2026-01-01T00:00:00Z',
      extensions: { kind: 'VirtualMachine', name: 'db 1', namespace: 'shop' },
      data: { metadata: { name: 'db 1' } },
    };
    const e = fromInboundEvent(inbound, 'ApiServerSource/vmop', 5);
    assert.equal(e.from, 'ApiServerSource/vmop');
    assert.equal(e.attributes['name'], 'db 1');
    const parsed = parseEvent(binaryHeaders(e), e.body);
    assert.equal(parsed.mode, 'binary');
    assert.deepEqual(parsed.attributes, {
      specversion: '1.0',
      id: 'id-1',
      source: 'https://10.96.0.1:443',
      type: 'dev.knative.apiserver.resource.add',
      subject: inbound.subject,
      time: inbound.time,
      kind: 'VirtualMachine',
      name: 'db 1',
      namespace: 'shop',
      datacontenttype: 'application/json',
    });
    assert.deepEqual(parsed.data(), inbound.data);
    const ping = fromInboundEvent({ ...inbound, subject: undefined, data: null }, 'p');
    assert.equal(ping.contentType, undefined);
    assert.equal(ping.body.length, 0);
    assert.equal(ping.attributes['subject'], undefined);
  });
});
