// One check for every function's samples/: each file is a real event shape the function binds
// to, and its data satisfies that binding's schema (the same validators the runtime uses).
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import type { FunctionDefinition, InboundEvent } from '../../functions/runtime/function.ts';
import { matchBinding } from '../../functions/runtime/events/match.ts';
import { loadValidators } from '../../functions/runtime/schema/schema-source.ts';
import { violation } from '../../functions/runtime/schema/validation.ts';

export interface Sample {
  file: string;
  event: InboundEvent;
}

/** The JSON samples in `dir` (a URL of a function's samples/ folder), sorted by file name. */
export function readSamples(dir: URL): Sample[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({
      file,
      event: JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as InboundEvent,
    }));
}

/** Registers one mocha test per sample: it matches a binding of `def` and that binding's schema. */
export function itMatchesBindings(def: FunctionDefinition<unknown>, samples: Sample[]): void {
  for (const { file, event } of samples) {
    it(`${file} matches a binding and its schema`, async () => {
      const match = matchBinding(def.bindings, event.type, event.extensions);
      assert.ok('binding' in match, JSON.stringify(match));
      assert.equal(
        violation(await loadValidators(), match.binding.dataSchema, event.data),
        undefined,
      );
    });
  }
}
