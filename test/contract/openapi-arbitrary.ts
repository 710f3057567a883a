// fast-check arbitraries from a Kubernetes structural OpenAPI v3 schema (a CRD's
// openAPIV3Schema, or a core type from kube-apiserver's /openapi/v3 with its $refs resolved).
// What the API server checks from the schema is honoured, so generated objects are stored:
// types and formats, enum, pattern, min/max (length, items, value), required, `nullable`
// (null is generated), x-kubernetes-int-or-string, list types `set` and `map` (unique elements,
// unique map keys), maps (additionalProperties) and preserve-unknown-fields. Every optional
// property is independently omitted or present. Depth is bounded: below `maxDepth` optional
// properties are omitted, so objects stay small enough to store thousands.

import fc from 'fast-check';

export interface OpenApi {
  type?: string;
  properties?: Record<string, OpenApi>;
  required?: string[];
  items?: OpenApi;
  additionalProperties?: OpenApi | boolean;
  nullable?: boolean;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  anyOf?: OpenApi[];
  allOf?: OpenApi[];
  oneOf?: OpenApi[];
  $ref?: string;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  [key: string]: unknown;
}

export interface ArbitraryOptions {
  /** Depth (in object/array levels) below which optional properties are left out. */
  maxDepth: number;
  /** Longest array generated where the schema allows more. */
  maxItems: number;
  /** Per-path replacements (dotted, `[]` for array items, `{}` for map values). */
  overrides?: Record<string, fc.Arbitrary<unknown>>;
  /** More required properties per object path (what the server validates in code, not schema). */
  requiredAt?: Record<string, string[]>;
  /** Resolves `$ref` (core types from /openapi/v3). */
  resolve?: (ref: string) => OpenApi;
}

const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };
/** JSON numbers beyond 2^53 lose precision in JavaScript; the API server stores int64 exactly. */
const SAFE = { min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER };
const KEY = fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/);
const SHORT_STRING = fc.string({ maxLength: 12 });

/** The schema with `$ref` and single-entry `allOf` wrappers (core OpenAPI's style) folded in. */
function flatten(schema: OpenApi, options: ArbitraryOptions): OpenApi {
  let s = schema;
  if (s.$ref) {
    if (!options.resolve) throw new Error(`unresolved $ref ${s.$ref}`);
    const { $ref, ...rest } = s;
    s = { ...flatten(options.resolve($ref), options), ...rest };
  }
  if (s.allOf && s.allOf.every((a) => a.$ref !== undefined || a.enum !== undefined)) {
    const { allOf, ...rest } = s;
    // allOf of enums (VM Operator's cdrom controllerType): the intersection.
    const enums = allOf.filter((a) => a.enum).map((a) => a.enum!);
    const refs = allOf.filter((a) => a.$ref).map((a) => flatten(a, options));
    s = Object.assign({}, ...refs, rest) as OpenApi;
    if (enums.length > 0)
      s.enum = enums.reduce((acc, e) => acc.filter((v) => e.some((x) => Object.is(x, v))));
  }
  return s;
}

function stringArbitrary(s: OpenApi): fc.Arbitrary<string> {
  if (s.pattern) {
    const max = s.maxLength ?? 64;
    const min = s.minLength ?? 0;
    return fc
      .stringMatching(new RegExp(s.pattern), { size: 'xsmall' })
      .filter((v) => v.length >= min && v.length <= max);
  }
  switch (s.format) {
    case 'date-time':
      return fc
        .date({
          min: new Date('1990-01-01T00:00:00Z'),
          max: new Date('2099-12-31T23:59:59Z'),
          noInvalidDate: true,
        })
        .map((d) => `${d.toISOString().slice(0, 19)}Z`);
    case 'uuid':
      return fc.uuid();
    case 'byte':
      return fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b).toString('base64'));
    case 'int-or-string':
      return fc.string({ maxLength: 8 });
  }
  const min = s.minLength ?? 0;
  const max = Math.min(s.maxLength ?? 16, Math.max(min, 16));
  return fc.string({ minLength: min, maxLength: max });
}

function integerArbitrary(s: OpenApi): fc.Arbitrary<number> {
  const range = s.format === 'int32' ? INT32 : SAFE;
  const min = Math.max(s.minimum ?? range.min, range.min);
  const max = Math.min(s.maximum ?? range.max, range.max);
  // Mostly small values (what real objects hold), sometimes the bounds.
  return fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: Math.max(min, -100), max: Math.min(max, 1000) }) },
    { weight: 1, arbitrary: fc.integer({ min, max }) },
  );
}

function arrayArbitrary(
  s: OpenApi,
  path: string,
  depth: number,
  options: ArbitraryOptions,
): fc.Arbitrary<unknown[]> {
  const minLength = s.minItems ?? 0;
  const maxLength = Math.max(minLength, Math.min(s.maxItems ?? options.maxItems, options.maxItems));
  // List-map keys must be present on every element (the API server refuses an element without).
  const keys = s['x-kubernetes-list-map-keys'] ?? [];
  const itemSchema = flatten(s.items ?? {}, options);
  const item = arbitraryAt(
    { ...itemSchema, required: [...new Set([...(itemSchema.required ?? []), ...keys])] },
    `${path}[]`,
    depth + 1,
    options,
  );
  const listType = s['x-kubernetes-list-type'];
  if (listType === 'set')
    return fc.uniqueArray(item, { minLength, maxLength, selector: (v) => JSON.stringify(v) });
  if (listType === 'map') {
    return fc.uniqueArray(item, {
      minLength,
      maxLength,
      selector: (v) => JSON.stringify(keys.map((k) => (v as Record<string, unknown>)[k])),
    });
  }
  return fc.array(item, { minLength, maxLength });
}

function objectArbitrary(
  s: OpenApi,
  path: string,
  depth: number,
  options: ArbitraryOptions,
): fc.Arbitrary<unknown> {
  const properties = s.properties ?? {};
  const required = new Set([...(s.required ?? []), ...(options.requiredAt?.[path] ?? [])]);
  if (Object.keys(properties).length > 0) {
    const keys = Object.keys(properties).filter((k) => required.has(k) || depth < options.maxDepth);
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    for (const key of keys)
      model[key] = arbitraryAt(properties[key]!, path ? `${path}.${key}` : key, depth + 1, options);
    return fc.record(model, { requiredKeys: keys.filter((k) => required.has(k)) });
  }
  if (typeof s.additionalProperties === 'object') {
    const value = arbitraryAt(s.additionalProperties, `${path}{}`, depth + 1, options);
    return fc.dictionary(KEY, value, {
      minKeys: s.minProperties ?? 0,
      maxKeys: depth < options.maxDepth ? 3 : 0,
    });
  }
  if (s['x-kubernetes-preserve-unknown-fields'] || s.additionalProperties === true)
    return fc.dictionary(KEY, fc.oneof(SHORT_STRING, fc.integer(), fc.boolean()), { maxKeys: 2 });
  return fc.constant({});
}

function arbitraryAt(
  schema: OpenApi,
  path: string,
  depth: number,
  options: ArbitraryOptions,
): fc.Arbitrary<unknown> {
  const override = options.overrides?.[path];
  const s = flatten(schema, options);
  const value = override ?? valueArbitrary(s, path, depth, options);
  return s.nullable ? fc.oneof(fc.constant(null), value) : value;
}

function valueArbitrary(
  s: OpenApi,
  path: string,
  depth: number,
  options: ArbitraryOptions,
): fc.Arbitrary<unknown> {
  if (s.enum && s.enum.length > 0) return fc.constantFrom(...s.enum);
  if (s['x-kubernetes-int-or-string']) {
    const asString = s.pattern || s.anyOf?.some((a) => a.pattern);
    const pattern = s.pattern ?? s.anyOf?.find((a) => a.pattern)?.pattern;
    return fc.oneof(
      fc.integer({ min: 0, max: 10_000 }),
      asString ? stringArbitrary({ pattern }) : fc.string({ maxLength: 8 }),
    );
  }
  switch (s.type) {
    case 'string':
      return stringArbitrary(s);
    case 'integer':
      return integerArbitrary(s);
    case 'number':
      return fc.double({
        min: s.minimum ?? -1e6,
        max: s.maximum ?? 1e6,
        noNaN: true,
        noDefaultInfinity: true,
      });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return arrayArbitrary(s, path, depth, options);
    case 'object':
      return objectArbitrary(s, path, depth, options);
  }
  if (s.properties || s.additionalProperties) return objectArbitrary(s, path, depth, options);
  // Untyped with preserve-unknown-fields (cloud-init runcmd, write_files content): any JSON.
  return fc.oneof(SHORT_STRING, fc.integer({ min: -100, max: 100 }), fc.boolean());
}

/** An arbitrary for values of `schema` (a whole object's schema: path '' is its root). */
export function arbitraryOf(schema: OpenApi, options: ArbitraryOptions): fc.Arbitrary<unknown> {
  return arbitraryAt(schema, '', 0, options);
}
