// Coalescing reconciles of one namespace inside a replica. Every event only says "look at this
// namespace", so while a reconcile of it runs, later events need not start their own: they share
// ONE follow-up run that starts after the current one ends — it lists after they arrived, so it
// sees at least what they announce, and each is answered only when that run is done. Without this,
// a burst of events for a namespace ran as many concurrent reconciles that invalidated each other's
// resourceVersions (409s, extra passes) and re-patched the same Secrets (reliability suite, issue 9).

export class Coalescer<T> {
  private readonly running = new Map<string, Promise<T>>();
  private readonly queued = new Map<string, Promise<T>>();

  /** Runs `fn` for `key` now, or joins the single run queued behind the current one. */
  run(key: string, fn: () => Promise<T>): Promise<T> {
    const current = this.running.get(key);
    if (!current) return this.start(key, fn);
    const waiting = this.queued.get(key);
    if (waiting) return waiting;
    const next = current
      .catch(() => undefined)
      .then(() => {
        this.queued.delete(key);
        return this.start(key, fn);
      });
    this.queued.set(key, next);
    return next;
  }

  private start(key: string, fn: () => Promise<T>): Promise<T> {
    const p = fn().finally(() => {
      if (this.running.get(key) === p) this.running.delete(key);
    });
    this.running.set(key, p);
    return p;
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
