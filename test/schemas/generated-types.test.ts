// The TypeScript types are generated from schemas/; this fails when someone changed a schema
// without running `npm run gen:types` (or edited a generated file by hand).

import assert from 'node:assert/strict';
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
});
