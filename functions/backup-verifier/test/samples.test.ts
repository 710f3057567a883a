// Every sample is a real ApiServerSource shape this function binds to, and its data satisfies the
// binding's schema (the same validators the runtime uses).
import assert from 'node:assert/strict';
import { itMatchesBindings, readSamples } from '../../../test/support/samples.ts';
import def from '../index.ts';

const samples = readSamples(new URL('../samples/', import.meta.url));

describe('backup-verifier samples', () => {
  it('has samples', () => assert.ok(samples.length >= 3));
  itMatchesBindings(def, samples);
});
