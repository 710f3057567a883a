// Every schema file follows schemas/README.md and compiles under ajv strict mode; $refs resolve.

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  defaultSchemasDir,
  readSchemaFiles,
  schemaId,
} from '../../functions/runtime/schema/schema-files.ts';
import { compileValidators } from '../../functions/runtime/schema/schema-compiler.ts';

describe('schemas/ conventions', () => {
  it('every *.schema.json has the $id, $schema and title the conventions require', () => {
    const files = readSchemaFiles();
    assert.ok(files.length > 0);
    const all = readdirSync(defaultSchemasDir(), { recursive: true, encoding: 'utf8' }).filter(
      (f) => f.endsWith('.schema.json') && !f.startsWith('generated'),
    );
    assert.equal(files.length, all.length);
  });

  it('titles are unique (they are the generated type names)', () => {
    const titles = readSchemaFiles().map((f) => String(f.schema.title));
    const dupes = titles.filter((t, i) => titles.indexOf(t) !== i);
    assert.deepEqual(dupes, []);
  });

  it('all schemas compile together in strict mode, so every $ref resolves', () => {
    const validators = compileValidators(readSchemaFiles());
    assert.ok(validators.get(schemaId('objects/backup')));
  });

  it('a schema breaking the conventions is refused with its file named', () => {
    const bad = join(
      defaultSchemasDir(),
      '..',
      'functions',
      'runtime',
      'test',
      'fixtures',
      'bad-schemas',
    );
    assert.throws(() => readSchemaFiles(bad), /objects\/wrong-id\.schema\.json: \$id must be/);
  });
});
