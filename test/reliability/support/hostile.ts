// Generated hostile requests (fast-check): what anyone on the cluster network could post to a
// function. Each is a complete HTTP request; `expectSecondAttempt` never applies — the answer to
// bad input must be a 4xx (or a 2xx when the input happens to be a valid, harmless event).
import fc from 'fast-check';

export interface HostileRequest {
  category: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

const VMOP = 'vmoperator.vmware.com/v1alpha5';
const POLLUTION_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  '__defineGetter__',
  'toString',
  'hasOwnProperty',
];

const asciiHeader = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 200,
});
/** Unicode as CloudEvents binary mode carries it (percent-encoded), sometimes broken on purpose. */
const encodedUnicode = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 60 }).map((s) => encodeURIComponent(s)),
  fc.constantFrom('%', '%E0%A4%A', '%ZZ', '%00', '%FF%FE', '%C0%AF'),
);
const headerValue = fc.oneof(asciiHeader, encodedUnicode, fc.constant(''));

const hugeString = fc.integer({ min: 10_000, max: 300_000 }).map((n) => 'x'.repeat(n));
const weirdString = fc.oneof(
  { weight: 120, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 40, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 60,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '..',
      '../../etc/passwd',
      'a'.repeat(254),
      `${'a.'.repeat(126)}b`,
      '\u0000',
      '\uFEFF',
      'ÅNGSTRÖM',
      '名前',
      'DROP TABLE',
      'default',
      'kube-system',
    ),
  },
  // Huge strings are rare per value but many values are drawn: ~1 request in 10 carries one.
  { weight: 1, arbitrary: hugeString },
);
const scalar = fc.oneof(weirdString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    tie('array'),
    tie('object'),
  ),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.dictionary(
    fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom(...POLLUTION_KEYS)),
    tie('value'),
    { maxKeys: 6 },
  ),
})).value;

/** JSON text with own `__proto__` keys (JSON.stringify of a literal would drop them). */
const pollutionText = fc
  .tuple(fc.constantFrom(...POLLUTION_KEYS), json)
  .map(
    ([key, v]) =>
      `{"apiVersion":"${VMOP}","kind":"VirtualMachine","metadata":{"name":"p","namespace":"p","${key}":{"polluted":true},"labels":{"${key}":"x"}},"${key}":{"polluted":true,"isAdmin":true},"spec":${JSON.stringify(v) ?? 'null'}}`,
  );

const deepText = fc
  .integer({ min: 1_000, max: 100_000 })
  .map((n) => `${'['.repeat(n)}${']'.repeat(n)}`);
const deepObjectText = fc
  .integer({ min: 1_000, max: 50_000 })
  .map((n) => `{"metadata":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`);

const apiKinds = fc.constantFrom(
  ['VirtualMachine', VMOP],
  ['VirtualMachineGroup', VMOP],
  ['Backup', 'velero.io/v1'],
  ['Restore', 'velero.io/v1'],
  ['PersistentVolumeClaim', 'v1'],
  ['Upload', 'datamover.cnsdp.vmware.com/v1alpha1'],
  ['DataUpload', 'velero.io/v2alpha1'],
);
const apiType = fc.constantFrom(
  'dev.knative.apiserver.resource.add',
  'dev.knative.apiserver.resource.update',
  'dev.knative.apiserver.resource.delete',
  'dev.knative.apiserver.ref.add',
  'dev.knative.sources.ping',
  'dev.vmgroup-backup.restore.sequence-due',
  'dev.vmgroup-backup.restore.group-ready',
);

function envelope(
  type: string,
  kind: string,
  apiVersion: string,
  name: string,
  ns: string,
): Record<string, string> {
  return {
    'ce-specversion': '1.0',
    'ce-id': `${Math.random()}`,
    'ce-source': 'https://10.96.0.1:443',
    'ce-type': type,
    'ce-subject': `/apis/${apiVersion}/namespaces/${ns}/x/${name}`,
    'ce-kind': kind,
    'ce-apiversion': apiVersion,
    'ce-name': name,
    'ce-namespace': ns,
  };
}

/** Object-shaped data with hostile values in the places handlers read. */
const objectData = fc
  .record({
    kind: apiKinds,
    name: weirdString,
    namespace: weirdString,
    spec: json,
    status: json,
    labels: fc.dictionary(weirdString, weirdString, { maxKeys: 3 }),
    annotations: fc.dictionary(
      fc.oneof(
        weirdString,
        fc.constantFrom(
          'vmgroup-backup.dev/labelled-secrets',
          'vmgroup-backup.dev/restore-progress',
          'vmgroup-backup.dev/captured-network',
        ),
      ),
      weirdString,
      { maxKeys: 3 },
    ),
  })
  .map((r) => ({
    apiVersion: r.kind[1],
    kind: r.kind[0],
    metadata: {
      name: r.name || 'n',
      namespace: r.namespace,
      labels: r.labels,
      annotations: r.annotations,
    },
    spec: r.spec,
    status: r.status,
  }));

export const hostileRequest: fc.Arbitrary<HostileRequest> = fc.oneof(
  // Valid envelope, hostile data.
  {
    weight: 30,
    arbitrary: fc
      .tuple(apiType, apiKinds, fc.oneof(json, objectData))
      .map(([type, [kind, av], data]) => ({
        category: 'data',
        method: 'POST',
        path: '/',
        headers: { ...envelope(type, kind, av, 'n', 'ns'), 'content-type': 'application/json' },
        body: JSON.stringify(data) ?? 'null',
      })),
  },
  // Schema-shaped objects whose names, namespaces, labels and annotations are hostile.
  {
    weight: 25,
    arbitrary: fc.tuple(apiType, objectData).map(([type, data]) => ({
      category: 'object',
      method: 'POST',
      path: '/',
      headers: {
        ...envelope(
          type,
          data.kind,
          data.apiVersion,
          encodeURIComponent(data.metadata.name),
          encodeURIComponent(data.metadata.namespace),
        ),
        'content-type': 'application/json',
      },
      body: JSON.stringify(data),
    })),
  },
  {
    weight: 5,
    arbitrary: fc.tuple(apiType, pollutionText).map(([type, body]) => ({
      category: 'pollution',
      method: 'POST',
      path: '/',
      headers: {
        ...envelope(type, 'VirtualMachine', VMOP, 'p', 'p'),
        'content-type': 'application/json',
      },
      body,
    })),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(apiType, fc.oneof(deepText, deepObjectText)).map(([type, body]) => ({
      category: 'deep',
      method: 'POST',
      path: '/',
      headers: {
        ...envelope(type, 'VirtualMachine', VMOP, 'd', 'd'),
        'content-type': 'application/json',
      },
      body,
    })),
  },
  // Hostile headers: random ce-* attributes, some missing, unicode percent-encoded (or broken).
  {
    weight: 15,
    arbitrary: fc
      .tuple(
        fc.dictionary(
          fc.constantFrom(
            'ce-specversion',
            'ce-id',
            'ce-source',
            'ce-type',
            'ce-subject',
            'ce-kind',
            'ce-apiversion',
            'ce-name',
            'ce-namespace',
            'ce-time',
            'ce-dataschema',
            'ce-__proto__',
            'ce-constructor',
          ),
          headerValue,
          { maxKeys: 9 },
        ),
        fc.oneof(
          fc.constantFrom(
            'application/json',
            'text/plain',
            'application/xml',
            'application/json; charset=utf-16',
            'application/cloudevents-batch+json',
            'multipart/form-data; boundary=x',
            '',
          ),
          asciiHeader,
        ),
        json,
      )
      .map(([h, ct, data]) => ({
        category: 'headers',
        method: 'POST',
        path: '/',
        headers: { ...h, ...(ct ? { 'content-type': ct } : {}) },
        body: JSON.stringify(data) ?? '',
      })),
  },
  // Structured mode with hostile JSON (or not JSON at all).
  {
    weight: 10,
    arbitrary: fc
      .oneof(
        json.map((j) => JSON.stringify(j) ?? ''),
        fc
          .record({
            specversion: fc.oneof(fc.constant('1.0'), weirdString),
            id: weirdString,
            source: weirdString,
            type: fc.oneof(apiType, weirdString),
            data: json,
            data_base64: fc.oneof(weirdString, fc.constant(undefined)),
            datacontenttype: fc.oneof(fc.constant('application/json'), weirdString),
          })
          .map((o) => JSON.stringify(o)),
        fc.string({ maxLength: 200 }),
      )
      .map((body) => ({
        category: 'structured',
        method: 'POST',
        path: '/',
        headers: { 'content-type': 'application/cloudevents+json' },
        body,
      })),
  },
  // Binary junk under any content type.
  {
    weight: 10,
    arbitrary: fc
      .tuple(
        fc.uint8Array({ maxLength: 4096 }),
        fc.constantFrom(
          'application/octet-stream',
          'application/json',
          'application/cloudevents+json',
          'text/plain',
          'image/png',
        ),
        fc.boolean(),
      )
      .map(([bytes, ct, ce]) => ({
        category: 'binary',
        method: 'POST',
        path: '/',
        headers: {
          'content-type': ct,
          ...(ce
            ? envelope('dev.knative.apiserver.resource.add', 'VirtualMachine', VMOP, 'b', 'b')
            : {}),
        },
        body: bytes,
      })),
  },
  // Wrong methods and paths.
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'POST'),
        fc.constantFrom(
          '/',
          '/x',
          '/metrics/../',
          '/health/../../etc/passwd',
          '/%2e%2e/',
          `/${'a'.repeat(4000)}`,
        ),
      )
      .filter(([m, p]) => !(m === 'POST' && p === '/'))
      .map(([method, path]) => ({
        category: 'route',
        method,
        path,
        headers: {},
        ...(method === 'GET' || method === 'OPTIONS' ? {} : { body: '{}' }),
      })),
  },
);

/** Bodies over the 8 MiB default limit (sent a few times; each is 9 MiB on the wire). */
export function oversized(): HostileRequest {
  return {
    category: 'oversized',
    method: 'POST',
    path: '/',
    headers: {
      ...envelope('dev.knative.apiserver.resource.add', 'VirtualMachine', VMOP, 'o', 'o'),
      'content-type': 'application/json',
    },
    body: `{"a":"${'x'.repeat(9 * 1024 * 1024)}"}`,
  };
}

/** Object names as users may write them (DNS-1123 subdomains up to 253, dots included). */
export const dnsSubdomain = fc
  .array(fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/), { minLength: 1, maxLength: 8 })
  .map((parts) => parts.join('.'))
  .filter((s) => s.length <= 253);

/** Long dotted names (66-215 characters): the membership key must truncate and hash them. */
export const longDnsSubdomain = fc
  .array(fc.stringMatching(/^[a-z0-9][a-z0-9-]{20,40}[a-z0-9]$/), { minLength: 3, maxLength: 5 })
  .map((parts) => parts.join('.'));
