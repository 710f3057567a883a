// Every registered function is wired the way the runtime expects: it loads lazily under its own
// name, and every binding names a schema that exists.

import assert from 'node:assert/strict';
import { functionNames, loadFunction } from '../functions/registry.ts';
import { sharedValidators } from './support/runtime.ts';

describe('functions/registry.ts', () => {
  it('loadFunction refuses an unknown name and lists the known ones', async () => {
    await assert.rejects(loadFunction('nope'), /unknown function "nope"; known: /);
    await assert.rejects(loadFunction('__proto__'), /unknown function/);
  });

  for (const name of functionNames()) {
    it(`${name}: loads, is named ${name}, binds only to schemas that exist`, async () => {
      const def = await loadFunction(name);
      assert.equal(def.name, name);
      assert.ok(def.bindings.length > 0, 'a function without bindings ignores every event');
      const validators = await sharedValidators();
      for (const b of def.bindings) {
        assert.ok(validators.has(b.dataSchema), `${b.type}: no schema with $id ${b.dataSchema}`);
        assert.match(b.type, /^[a-z0-9.-]+$/, 'CloudEvent types are lower-case dotted names');
      }
    });
  }
});
