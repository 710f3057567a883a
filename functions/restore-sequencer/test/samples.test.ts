// Every sample is a real event shape this function binds to (ApiServerSource, PingSource or its
// own continuation), and its data satisfies the binding's schema (the runtime's validators).
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import type { InboundEvent } from '../../runtime/function.ts';
import { matchBinding } from '../../runtime/match.ts';
import { loadValidators } from '../../runtime/schema-source.ts';
import { violation } from '../../runtime/validation.ts';
import def from '../index.ts';

const dir = new URL('../samples/', import.meta.url);
const samples = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({
    file: f,
    event: JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as InboundEvent,
  }));

describe('restore-sequencer samples', () => {
  it('has samples', () => assert.ok(samples.length >= 3));
  for (const { file, event } of samples) {
    it(`${file} matches a binding and its schema`, async () => {
      const match = matchBinding(def.bindings, event.type, event.extensions);
      assert.ok('binding' in match, JSON.stringify(match));
      const validators = await loadValidators();
      assert.equal(violation(validators, match.binding.dataSchema, event.data), undefined);
    });
  }
});
