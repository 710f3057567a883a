// Coalescing runs of one key (a namespace) inside a replica. Every event only says "look at this
// namespace", so while a run for it is under way, later events need not start their own: they
// share ONE follow-up run that starts after the current one ends — it reads after they arrived, so
// it sees at least what they announce, and each is answered only when that run is done. Without
// this, a burst of events for a namespace ran as many concurrent runs that invalidated each other's
// resourceVersions (409s, extra passes) and repeated each other's reads and writes (the labeler's
// reliability suite, issue 9; the sequencer at 1,000 restored VMs, issue 18).

/** A caller's share of a batched run: the run's answer and where the caller's input is in it. */
export interface Joined<T> {
  value: T;
  /** The caller's input is `inputs[index]` of the run (0: the caller who opened it). */
  index: number;
}

/**
 * Runs `fn` for a key with the inputs of every caller that joined: the first caller's run starts
 * at once with its input alone; callers arriving while it runs add theirs to the one run queued
 * behind it. A run's `fn` is that of the caller who opened it.
 */
export class Batcher<I, T> {
  private readonly running = new Map<string, Promise<T>>();
  private readonly queued = new Map<string, { inputs: I[]; result: Promise<T> }>();

  run(key: string, input: I, fn: (inputs: I[]) => Promise<T>): Promise<Joined<T>> {
    const current = this.running.get(key);
    if (!current) return this.start(key, [input], fn).then((value) => ({ value, index: 0 }));
    const waiting = this.queued.get(key);
    if (waiting) {
      const index = waiting.inputs.push(input) - 1;
      return waiting.result.then((value) => ({ value, index }));
    }
    const inputs = [input];
    const result = current
      .catch(() => undefined)
      .then(() => {
        this.queued.delete(key);
        return this.start(key, inputs, fn);
      });
    this.queued.set(key, { inputs, result });
    return result.then((value) => ({ value, index: 0 }));
  }

  private start(key: string, inputs: I[], fn: (inputs: I[]) => Promise<T>): Promise<T> {
    const p = fn(inputs).finally(() => {
      if (this.running.get(key) === p) this.running.delete(key);
    });
    this.running.set(key, p);
    return p;
  }
}

/** A Batcher whose callers bring no input: everyone arriving during a run shares the next one. */
export class Coalescer<T> {
  private readonly batcher = new Batcher<undefined, T>();

  /** Runs `fn` for `key` now, or joins the single run queued behind the current one. */
  run(key: string, fn: () => Promise<T>): Promise<T> {
    return this.batcher.run(key, undefined, () => fn()).then((j) => j.value);
  }
}

/**
 * One run at a time, joined by whoever asks while it runs (the tick: a PingSource tick redelivered
 * by the Broker after its timeout, or the next one arriving while a long resync still runs, joins
 * the resync under way instead of starting another over the same objects). A call after the run
 * ended starts a fresh one, so each answer still comes from lists taken after the run began.
 */
export class SingleFlight<T> {
  private current: Promise<T> | undefined;

  /** Whether a run is under way (a caller now would join it). */
  get running(): boolean {
    return this.current !== undefined;
  }

  run(fn: () => Promise<T>): Promise<T> {
    if (this.current) return this.current;
    const p = fn().finally(() => {
      if (this.current === p) this.current = undefined;
    });
    this.current = p;
    return p;
  }
}
