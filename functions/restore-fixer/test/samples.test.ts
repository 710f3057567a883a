// Every sample is a real event shape this function binds to (ApiServerSource, PingSource or its
// own continuation), and its data satisfies the binding's schema (the runtime's validators).
import assert from 'node:assert/strict';
import { itMatchesBindings, readSamples } from '../../../test/support/samples.ts';
import def from '../index.ts';

const samples = readSamples(new URL('../samples/', import.meta.url));

describe('restore-fixer samples', () => {
  it('has samples', () => assert.ok(samples.length >= 3));
  itMatchesBindings(def, samples);
});
