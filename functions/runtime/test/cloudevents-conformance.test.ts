// The CloudEvents HTTP binding as the cloudevents/conformance project states it
// (features/http-protocol-binding.feature, yaml/v1.0/v1_minimum.yaml), plus the two MUSTs its
// cases leave implicit: quoted header values (http-protocol-binding §3.1.3.2) and JSON null
// attributes in structured mode (json-format, "Type System Mapping"). Rows are written here from
// reading those files; nothing is copied from them.

import assert from 'node:assert/strict';
import type { FunctionDefinition, InboundEvent } from '../function.ts';
import { HttpProblem } from '../http/problem.ts';
import { parseEvent } from '../http/http-event.ts';
import { schemaId } from '../schema/schema-files.ts';
import type { TestServer } from '../../../test/support/runtime.ts';
import { startTestServer } from '../../../test/support/runtime.ts';
import { postRaw } from '../../../test/support/cloudevents.ts';

const FEATURE_ATTRS = {
  id: '1234-1234-1234',
  specversion: '1.0',
  type: 'com.example.someevent',
  source: '/mycontext/subcontext',
  time: '2018-04-05T03:56:24Z',
};
const featureHeaders = (contentType: string): Record<string, string> => ({
  'ce-specversion': '1.0',
  'ce-type': FEATURE_ATTRS.type,
  'ce-time': FEATURE_ATTRS.time,
  'ce-id': FEATURE_ATTRS.id,
  'ce-source': FEATURE_ATTRS.source,
  'content-type': contentType,
});
const featureStructured = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    ...FEATURE_ATTRS,
    datacontenttype: 'application/json',
    data: { message: 'Hello World!' },
    ...extra,
  });
const MINIMUM_SOURCE = '//github.com/cloudevents/cloudeventsconformance/yaml/v1.yaml';
const minimumHeaders = (id: string, contentType: string): Record<string, string> => ({
  'ce-specversion': '1.0',
  'ce-type': 'io.cloudevents.minimum',
  'ce-id': id,
  'ce-source': MINIMUM_SOURCE,
  'content-type': contentType,
});

interface Row {
  name: string;
  headers: Record<string, string>;
  body: string;
  attributes: Record<string, unknown>;
  /** The parsed data, or the HTTP status reading it raises (the product reads JSON data only). */
  data: unknown;
  absent?: string[];
}

const rows: Row[] = [
  ...['application/json', 'application/json; charset=utf-8'].map((ct) => ({
    name: `feature: binary content mode (${ct})`,
    headers: featureHeaders(ct),
    body: '{\n    "message": "Hello World!"\n}',
    attributes: { ...FEATURE_ATTRS, datacontenttype: ct },
    data: { message: 'Hello World!' },
  })),
  ...['application/cloudevents+json', 'application/cloudevents+json; charset=utf-8'].map((ct) => ({
    name: `feature: structured content mode (${ct})`,
    headers: { 'content-type': ct },
    body: featureStructured(),
    attributes: { ...FEATURE_ATTRS, datacontenttype: 'application/json' },
    data: { message: 'Hello World!' },
  })),
  {
    name: 'v1_minimum 0003: JSON string data',
    headers: minimumHeaders('conformance-0003', 'application/json; charset=utf-8'),
    body: '"Hello, 🌎!"',
    attributes: { id: 'conformance-0003', source: MINIMUM_SOURCE, type: 'io.cloudevents.minimum' },
    data: 'Hello, 🌎!',
  },
  {
    name: 'v1_minimum 0004: JSON object data',
    headers: minimumHeaders('conformance-0004', 'application/json; charset=utf-8'),
    body: '{"msg":"Hello, 🌎!"}',
    attributes: { id: 'conformance-0004' },
    data: { msg: 'Hello, 🌎!' },
  },
  {
    name: 'v1_minimum 0005: JSON array data',
    headers: minimumHeaders('conformance-0005', 'application/json; charset=utf-8'),
    body: '["Hello","🌎!"]',
    attributes: { id: 'conformance-0005' },
    data: ['Hello', '🌎!'],
  },
  ...(
    [
      ['0001', 'text/plain; charset=us-ascii', 'Hello, World!\n'],
      ['0002', 'text/plain; charset=utf-8', 'Hello, 🌎!\n'],
      ['0006', 'application/xml; charset=utf-8', '<msg>Hello, 🌎!</msg>\n'],
    ] as Array<[string, string, string]>
  ).map(([n, ct, body]) => ({
    name: `v1_minimum ${n}: ${ct} is a valid event; its data is not JSON (415 when read)`,
    headers: minimumHeaders(`conformance-${n}`, ct),
    body,
    attributes: { id: `conformance-${n}`, datacontenttype: ct },
    data: 415,
  })),
  {
    name: '§3.1.3.2: double-quoted header values are unquoted before percent-decoding',
    headers: {
      ...featureHeaders('application/json'),
      'ce-specversion': '"1.0"',
      'ce-subject': '"caf%C3%A9 \\"menu\\""',
      'ce-kind': '"Backup"',
    },
    body: '{}',
    attributes: { specversion: '1.0', subject: 'café "menu"', kind: 'Backup' },
    data: {},
  },
  {
    name: 'json-format: a null attribute in structured mode is unset',
    headers: { 'content-type': 'application/cloudevents+json' },
    body: featureStructured({ subject: null, dataschema: null, kind: null }),
    attributes: { ...FEATURE_ATTRS },
    data: { message: 'Hello World!' },
    absent: ['subject', 'dataschema', 'kind'],
  },
];

describe('CloudEvents HTTP binding conformance (parseEvent)', () => {
  for (const row of rows) {
    it(row.name, () => {
      const parsed = parseEvent(row.headers, Buffer.from(row.body));
      for (const [key, value] of Object.entries(row.attributes))
        assert.equal(parsed.attributes[key], value, key);
      for (const key of row.absent ?? []) assert.equal(key in parsed.attributes, false, key);
      if (typeof row.data === 'number') {
        assert.throws(
          () => parsed.data(),
          (e: unknown) => e instanceof HttpProblem && e.status === row.data,
        );
      } else assert.deepEqual(parsed.data(), row.data);
    });
  }

  it('an unterminated quoted-string is a 400, not a silently different value', () => {
    assert.throws(
      () => parseEvent({ ...featureHeaders('application/json'), 'ce-id': '"abc' }, Buffer.from('')),
      (e: unknown) => e instanceof HttpProblem && e.status === 400,
    );
  });
});

describe('CloudEvents HTTP binding conformance (through the server)', () => {
  let server: TestServer;
  const seen: InboundEvent[] = [];
  const def: FunctionDefinition<null> = {
    name: 'conformance-test',
    bindings: [
      {
        type: 'com.example.someevent',
        kind: 'Backup',
        dataSchema: schemaId('objects/pingsource-event'),
      },
    ],
    deps: () => null,
    handle(event) {
      seen.push(event);
      return Promise.resolve();
    },
  };
  before(async () => {
    server = await startTestServer(def);
  });
  after(() => server.close());

  it('quoted ce-specversion and ce-kind: handled (204), not refused or ignored', async () => {
    seen.length = 0;
    const res = await postRaw(server.url, {
      headers: {
        ...featureHeaders('application/json'),
        'ce-specversion': '"1.0"',
        'ce-kind': '"Backup"',
      },
      body: '{"message":"Hello World!"}',
    });
    assert.equal(res.status, 204);
    assert.equal(seen.length, 1);
  });

  it('structured mode with "subject": null is handled as if subject were absent', async () => {
    seen.length = 0;
    const res = await postRaw(server.url, {
      headers: { 'content-type': 'application/cloudevents+json' },
      body: featureStructured({ id: 'null-subject', subject: null, kind: 'Backup' }),
    });
    assert.equal(res.status, 204);
    assert.equal(seen[0]?.subject, undefined);
  });
});
