// functions/runtime/schema/schema-types.ts maps each object and event schema key to the type
// generated from that schema; bindings rely on it to type their handlers' data. Every such
// schema has its entry, and each entry imports the type its schema's title names, from that
// schema's own generated module.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readSchemaFiles } from '../../functions/runtime/schema/schema-files.ts';

const source = readFileSync(
  new URL('../../functions/runtime/schema/schema-types.ts', import.meta.url),
  'utf8',
);
const imported = new Map(
  [
    ...source.matchAll(
      /^import type \{ (\w+) \} from '\.\.\/\.\.\/\.\.\/schemas\/generated\/([\w/-]+)\.ts';$/gm,
    ),
  ].map((m) => [m[1] as string, m[2] as string]),
);
const entries = new Map(
  [...source.matchAll(/^ {2}'([\w/-]+)': (\w+);$/gm)].map((m) => [m[1] as string, m[2] as string]),
);

describe('schema-types.ts (schema key → generated type)', () => {
  const schemas = readSchemaFiles().filter((f) => /^(objects|events)\//.test(f.key));

  it('has an entry for exactly the object and event schemas', () => {
    assert.deepEqual([...entries.keys()].sort(), schemas.map((f) => f.key).sort());
  });

  for (const f of schemas) {
    it(`${f.key}: the type its title names, from its own generated module`, () => {
      const type = entries.get(f.key);
      assert.equal(type, f.schema.title);
      assert.equal(imported.get(type as string), f.key);
    });
  }
});
