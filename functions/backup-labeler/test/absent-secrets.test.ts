import assert from 'node:assert/strict';
import { AbsentSecrets } from '../absent-secrets.ts';

describe('AbsentSecrets: what a replica remembers of 404 Secret patches', () => {
  it('remembers per namespace until the TTL passes, then forgets', () => {
    let now = 1_000;
    const a = new AbsentSecrets(60_000, 10, () => now);
    a.markAbsent('ns1', 'boot');
    assert.equal(a.isKnownAbsent('ns1', 'boot'), true);
    assert.equal(a.isKnownAbsent('ns2', 'boot'), false, 'another namespace');
    now += 59_999;
    assert.equal(a.isKnownAbsent('ns1', 'boot'), true);
    now += 1;
    assert.equal(a.isKnownAbsent('ns1', 'boot'), false);
    assert.equal(a.size, 0, 'an expired memory is dropped when looked up');
  });

  it('a successful patch forgets at once', () => {
    const a = new AbsentSecrets(60_000, 10, () => 0);
    a.markAbsent('ns', 's');
    a.markPresent('ns', 's');
    assert.equal(a.isKnownAbsent('ns', 's'), false);
  });

  it('is bounded: past capacity the oldest memory goes first; re-marking renews', () => {
    let now = 0;
    const a = new AbsentSecrets(60_000, 2, () => now);
    a.markAbsent('ns', 'a');
    now++;
    a.markAbsent('ns', 'b');
    now++;
    a.markAbsent('ns', 'a');
    now++;
    a.markAbsent('ns', 'c');
    assert.equal(a.size, 2);
    assert.equal(a.isKnownAbsent('ns', 'b'), false, 'b was the oldest after a was renewed');
    assert.equal(a.isKnownAbsent('ns', 'a'), true);
    assert.equal(a.isKnownAbsent('ns', 'c'), true);
  });

  it('a TTL of 0 turns the memory off', () => {
    const a = new AbsentSecrets(0);
    a.markAbsent('ns', 's');
    assert.equal(a.isKnownAbsent('ns', 's'), false);
    assert.equal(a.size, 0);
  });
});
