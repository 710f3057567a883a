// Property-based: whatever arrives on the wire, the runtime answers 4xx (or 2xx for what it may
// ignore), never 5xx, and keeps serving. Real HTTP against the real server.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { FunctionDefinition } from '../function.ts';
import { schemaId } from '../schema/schema-files.ts';
import type { TestServer } from '../../../test/support/runtime.ts';
import { startTestServer } from '../../../test/support/runtime.ts';
import {
  apiServerEvent,
  postRaw,
  toBinaryHttp,
  toStructuredHttp,
} from '../../../test/support/cloudevents.ts';
import { veleroBackup } from '../../../test/support/objects.ts';

const strictFunction: FunctionDefinition<null> = {
  name: 'property-test',
  bindings: [
    {
      type: 'dev.knative.apiserver.resource.add',
      kind: 'Backup',
      dataSchema: schemaId('objects/backup'),
    },
    { type: 'dev.knative.apiserver.resource.update', dataSchema: schemaId('objects/backup') },
  ],
  deps: () => null,
  handle: async () => undefined,
};

const RUNS = Number(process.env.PROPERTY_RUNS ?? 150);

// Any JSON value, including deep and odd ones.
const json = fc.jsonValue({ maxDepth: 4 });
const headerValue = fc.oneof(
  fc.string({ maxLength: 40 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
  fc.constantFrom('', '%', '%zz', '%E0%A4%A', '1.0', '0.3', 'application/json', 'text/plain'),
);
const ceHeaderName = fc.constantFrom(
  'ce-specversion',
  'ce-id',
  'ce-source',
  'ce-type',
  'ce-subject',
  'ce-time',
  'ce-kind',
  'ce-apiversion',
  'ce-name',
  'ce-namespace',
  'ce-dataschema',
  'ce-Bad_Name',
  'content-type',
);

function validBinary() {
  return toBinaryHttp(apiServerEvent('add', veleroBackup()));
}

describe('runtime under malformed input (fast-check)', function () {
  this.timeout(120_000);
  let server: TestServer;
  before(async () => {
    server = await startTestServer(strictFunction, {
      logLevel: 'silent',
      maxBodyBytes: 256 * 1024,
    });
  });
  after(() => server.close());

  const expectNo5xx = async (message: { headers: Record<string, string>; body: string }) => {
    const res = await postRaw(server.url, message);
    assert.ok(
      res.status < 500,
      `status ${res.status} for ${JSON.stringify(message).slice(0, 300)}: ${JSON.stringify(res.body)}`,
    );
    assert.ok(res.status >= 200, String(res.status));
    if (res.status >= 400) assert.equal(res.headers['content-type'], 'application/problem+json');
    return res.status;
  };

  it('binary mode: valid event with headers removed, replaced or added → 4xx or 2xx, never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(ceHeaderName, fc.option(headerValue, { nil: undefined })), {
          maxLength: 6,
        }),
        async (edits) => {
          const { headers, body } = validBinary();
          for (const [name, value] of edits) {
            if (value === undefined) delete headers[name];
            else headers[name] = value;
          }
          await expectNo5xx({ headers, body });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('binary mode: valid envelope with arbitrary JSON or bytes as data → 400/415 unless it is a valid Backup', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          json.map((v) => JSON.stringify(v)),
          fc.string({ maxLength: 200 }),
        ),
        async (body) => {
          const { headers } = validBinary();
          const status = await expectNo5xx({ headers, body });
          assert.ok([400, 415, 204].includes(status), String(status));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('binary mode: a real Backup with fields replaced by arbitrary JSON → 204 or 400', async () => {
    const paths = [
      ['metadata'],
      ['metadata', 'name'],
      ['metadata', 'labels'],
      ['spec'],
      ['spec', 'includedNamespaces'],
      ['spec', 'labelSelector'],
      ['spec', 'orLabelSelectors'],
      ['status', 'phase'],
      ['status', 'progress'],
      ['apiVersion'],
      ['kind'],
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), json, async (path, value) => {
        const backup = veleroBackup() as Record<string, unknown>;
        let target = backup;
        for (const key of path.slice(0, -1)) target = target[key] as Record<string, unknown>;
        target[path.at(-1) as string] = value;
        const { headers } = toBinaryHttp(apiServerEvent('add', veleroBackup()));
        const status = await expectNo5xx({ headers, body: JSON.stringify(backup) });
        assert.ok([204, 400].includes(status), String(status));
      }),
      { numRuns: RUNS },
    );
  });

  it('structured mode: arbitrary JSON objects and attribute values → never 5xx', async () => {
    const attribute = fc.constantFrom(
      'specversion',
      'id',
      'source',
      'type',
      'subject',
      'time',
      'kind',
      'data',
      'data_base64',
      'datacontenttype',
      'X-Y',
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(attribute, json), { maxLength: 5 }), async (edits) => {
        const structured = JSON.parse(
          toStructuredHttp(apiServerEvent('update', veleroBackup())).body,
        ) as Record<string, unknown>;
        for (const [key, value] of edits) structured[key] = value;
        await expectNo5xx({
          headers: { 'content-type': 'application/cloudevents+json' },
          body: JSON.stringify(structured),
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('arbitrary content types and bodies → never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(headerValue, fc.string({ maxLength: 300 }), async (type, body) => {
        await expectNo5xx({
          headers: { 'content-type': type || 'application/octet-stream' },
          body,
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('is still serving valid events afterwards', async () => {
    const res = await postRaw(server.url, validBinary());
    assert.equal(res.status, 204);
  });
});
