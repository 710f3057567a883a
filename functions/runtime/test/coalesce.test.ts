import assert from 'node:assert/strict';
import { Batcher, Coalescer, SingleFlight } from '../events/coalesce.ts';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('runtime: coalescing runs of one namespace (Coalescer)', () => {
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

describe('runtime: one run at a time (SingleFlight)', () => {
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

describe('runtime: batching inputs of one namespace (Batcher)', () => {
  it('the follow-up run gets every input that arrived meanwhile; each caller learns its place', async () => {
    const b = new Batcher<string, string[]>();
    const gates = new Map(['a', 'b', 'z'].map((x) => [x, deferred()]));
    const runs: string[][] = [];
    const fn = async (inputs: string[]) => {
      runs.push([...inputs]);
      await gates.get(inputs[0]!)!.promise;
      return [...inputs];
    };
    const first = b.run('ns', 'a', fn);
    const later = ['b', 'c', 'd'].map((x) => b.run('ns', x, fn));
    const other = b.run('other', 'z', fn);
    assert.deepEqual(runs, [['a'], ['z']], 'a run per key at once, nothing queued started');
    gates.get('a')!.resolve();
    assert.deepEqual(await first, { value: ['a'], index: 0 });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(runs, [['a'], ['z'], ['b', 'c', 'd']]);
    gates.get('b')!.resolve();
    gates.get('z')!.resolve();
    const joined = await Promise.all(later);
    assert.deepEqual(
      joined.map((j) => j.value),
      [
        ['b', 'c', 'd'],
        ['b', 'c', 'd'],
        ['b', 'c', 'd'],
      ],
    );
    assert.deepEqual(
      joined.map((j) => j.index),
      [0, 1, 2],
    );
    assert.equal((await other).index, 0);
  });

  it('a failed run rejects its callers only; the queued run still runs with its inputs', async () => {
    const b = new Batcher<number, number>();
    const gate = deferred();
    const failing = b.run('ns', 1, async () => {
      await gate.promise;
      throw new Error('api down');
    });
    const queued = b.run('ns', 2, async (xs) => xs.reduce((s, x) => s + x, 0));
    const joining = b.run('ns', 3, async () => -1);
    gate.resolve();
    await assert.rejects(failing, /api down/);
    assert.deepEqual(await queued, { value: 5, index: 0 });
    assert.deepEqual(await joining, { value: 5, index: 1 });
  });
});
