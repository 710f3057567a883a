import assert from 'node:assert/strict';
import { Coalescer, SingleFlight } from '../coalesce.ts';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('backup-labeler: coalescing reconciles of one namespace', () => {
  it('runs once for a burst: the first now, everyone arriving meanwhile in one run after it', async () => {
    const c = new Coalescer<number>();
    const gates = [deferred(), deferred()];
    let runs = 0;
    const starts: number[] = [];
    const fn = async () => {
      const n = runs++;
      starts.push(n);
      await gates[n]!.promise;
      return n;
    };
    const first = c.run('ns', fn);
    const later = Array.from({ length: 5 }, () => c.run('ns', fn));
    assert.equal(runs, 1, 'the follow-up must not start while the first runs');
    gates[0]!.resolve();
    assert.equal(await first, 0);
    await new Promise((r) => setImmediate(r));
    assert.equal(runs, 2);
    gates[1]!.resolve();
    assert.deepEqual(await Promise.all(later), [1, 1, 1, 1, 1]);
    assert.equal(runs, 2);
  });

  it('keeps namespaces independent and runs again after a failure', async () => {
    const c = new Coalescer<string>();
    const both = await Promise.all([c.run('a', async () => 'a'), c.run('b', async () => 'b')]);
    assert.deepEqual(both, ['a', 'b']);
    const failing = c.run('a', async () => {
      throw new Error('api down');
    });
    const after = c.run('a', async () => 'again');
    await assert.rejects(failing, /api down/);
    assert.equal(await after, 'again');
    assert.equal(await c.run('a', async () => 'fresh'), 'fresh');
  });
});

describe('backup-labeler: one resync at a time (SingleFlight)', () => {
  it('callers during a run join it; a call after it ends (or fails) starts a new one', async () => {
    const f = new SingleFlight<number>();
    const gate = deferred();
    let runs = 0;
    const fn = async () => {
      const n = ++runs;
      await gate.promise;
      return n;
    };
    const calls = [f.run(fn), f.run(fn), f.run(fn)];
    assert.equal(runs, 1);
    assert.equal(f.running, true);
    gate.resolve();
    assert.deepEqual(await Promise.all(calls), [1, 1, 1]);
    assert.equal(f.running, false);
    assert.equal(await f.run(fn), 2);
    await assert.rejects(
      f.run(async () => {
        throw new Error('api down');
      }),
      /api down/,
    );
    assert.equal(await f.run(fn), 3);
  });
});
