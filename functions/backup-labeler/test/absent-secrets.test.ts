import assert from 'node:assert/strict';
import { AbsentSecrets } from '../absent-secrets.ts';

describe('AbsentSecrets: what a replica remembers of 404 Secret patches', () => {
  const clock = () => {
    const c = { t: 1_000_000, now: () => c.t };
    return c;
  };

  it('a first 404 is not remembered: a Secret applied just after its VM is probed on the next event', () => {
    const c = clock();
    const a = new AbsentSecrets(60_000, 10, c.now);
    a.markAbsent('ns', 'boot');
    assert.equal(a.isKnownAbsent('ns', 'boot'), false);
  });

  it('a name absent for t is not probed for t: intervals double while it stays absent', () => {
    const c = clock();
    const a = new AbsentSecrets(60_000, 10, c.now);
    a.markAbsent('ns', 'boot');
    const probes = [c.t];
    // Probe whenever asked and not remembered, for 10 minutes of passes every 100 ms.
    for (let i = 0; i < 6_000; i++) {
      c.t += 100;
      if (a.isKnownAbsent('ns', 'boot')) continue;
      a.markAbsent('ns', 'boot');
      probes.push(c.t);
    }
    const gaps = probes.slice(1).map((t, i) => t - probes[i]!);
    // 100 ms passes: probed on the first passes, then at doubling gaps, capped at maxMs.
    assert.deepEqual(gaps.slice(0, 3), [100, 100, 200]);
    for (let i = 1; i < gaps.length; i++) assert.ok(gaps[i]! >= gaps[i - 1]!, `gap ${i} shrank`);
    assert.ok(gaps.every((g) => g <= 60_100));
    assert.ok(probes.length < 30, `${probes.length} probes in 10 min instead of 6,000`);
    assert.equal(a.isKnownAbsent('ns2', 'boot'), false, 'another namespace');
  });

  it('a successful patch forgets at once, and a later 404 starts over', () => {
    const c = clock();
    const a = new AbsentSecrets(60_000, 10, c.now);
    a.markAbsent('ns', 's');
    c.t += 30_000;
    a.markAbsent('ns', 's');
    assert.equal(a.isKnownAbsent('ns', 's'), true);
    a.markPresent('ns', 's');
    assert.equal(a.isKnownAbsent('ns', 's'), false);
    a.markAbsent('ns', 's');
    assert.equal(a.isKnownAbsent('ns', 's'), false, 'deleted again (rotation): probed again soon');
  });

  it('a run of 404s ends when the name was not asked about for longer than maxMs', () => {
    const c = clock();
    const a = new AbsentSecrets(60_000, 10, c.now);
    a.markAbsent('ns', 's');
    c.t += 60_000;
    a.markAbsent('ns', 's');
    c.t += 10 * 60_000;
    a.markAbsent('ns', 's');
    assert.equal(a.isKnownAbsent('ns', 's'), false);
  });

  it('is bounded: past capacity the least recently probed goes first', () => {
    const c = clock();
    const a = new AbsentSecrets(60_000, 2, c.now);
    for (const n of ['a', 'b']) a.markAbsent('ns', n);
    c.t += 5_000;
    a.markAbsent('ns', 'a');
    a.markAbsent('ns', 'c');
    assert.equal(a.size, 2);
    assert.equal(a.isKnownAbsent('ns', 'a'), true);
    c.t += 1;
    a.markAbsent('ns', 'b');
    assert.equal(a.isKnownAbsent('ns', 'b'), false, 'b was evicted: its run starts over');
  });

  it('a maxMs of 0 turns the memory off', () => {
    const c = clock();
    const a = new AbsentSecrets(0, 10, c.now);
    a.markAbsent('ns', 's');
    c.t += 60_000;
    a.markAbsent('ns', 's');
    assert.equal(a.isKnownAbsent('ns', 's'), false);
    assert.equal(a.size, 0);
  });
});
