// The TypeScript types are generated from schemas/; this fails when someone changed a schema
// without running `npm run gen:types` (or edited a generated file by hand).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import ts from 'typescript';
import { defaultSchemasDir } from '../../functions/runtime/schema/schema-files.ts';
import { generateTypes, readGenerated } from '../../scripts/gen-types.ts';

describe('schemas/generated', function () {
  this.timeout(120_000);
  it('is exactly what `npm run gen:types` writes from schemas/', async () => {
    const fresh = await generateTypes();
    const onDisk = readGenerated();
    const missing = [...fresh.keys()].filter((k) => !onDisk.has(k));
    const orphaned = [...onDisk.keys()].filter((k) => !fresh.has(k));
    const stale = [...fresh.keys()].filter((k) => onDisk.has(k) && onDisk.get(k) !== fresh.get(k));
    assert.deepEqual(
      { missing, orphaned, stale },
      { missing: [], orphaned: [], stale: [] },
      'run `npm run gen:types`',
    );
  });

  // Modules import the types of the schemas they $ref; `tsc -p .` only sees the modules product
  // code imports, so check every one (imports resolve, imported names exist, no name clashes).
  it('type-checks, every module', () => {
    const dir = defaultSchemasDir();
    const configPath = join(dir, '..', 'tsconfig.json');
    const { config } = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
    const { options } = ts.parseJsonConfigFileContent(config, ts.sys, join(dir, '..'));
    const files = [...readGenerated(dir).keys()].map((rel) => join(dir, rel));
    const program = ts.createProgram(files, { ...options, types: [], noUnusedLocals: true });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .map((d) => ts.formatDiagnostic(d, ts.createCompilerHost(options)));
    assert.equal(files.length > 0, true);
    assert.deepEqual(problems, []);
  });
});
