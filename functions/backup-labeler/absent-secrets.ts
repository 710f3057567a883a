// Secrets a label patch found absent (404), remembered by one replica for a while so that every
// pass over the namespace does not probe them again. A VM's bootstrap reference may name a
// ConfigMap (VM Operator's fallback) or nothing yet, and the labeler cannot list Secrets to know:
// without this, each reconcile re-sent one 404 patch per such name (34,819 of them in the
// convergence suite, a third of all its requests).
//
// Forgetting is safe because nothing depends on it for correctness: a Backup and the periodic
// tick probe every Secret regardless (ReconcileOptions.reprobe), and a memory expires after `ttlMs`.
// Per replica and lost on restart, like the recent-event cache.

export class AbsentSecrets {
  /** `namespace/name` → when the memory expires (ms, from `now`). */
  private readonly until = new Map<string, number>();

  private readonly ttlMs: number;
  private readonly capacity: number;
  private readonly now: () => number;

  constructor(ttlMs = 5 * 60_000, capacity = 50_000, now: () => number = Date.now) {
    this.ttlMs = ttlMs;
    this.capacity = capacity;
    this.now = now;
  }

  isKnownAbsent(namespace: string, name: string): boolean {
    const k = key(namespace, name);
    const until = this.until.get(k);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.until.delete(k);
    return false;
  }

  markAbsent(namespace: string, name: string): void {
    if (this.ttlMs <= 0 || this.capacity <= 0) return;
    const k = key(namespace, name);
    // Re-inserting keeps insertion order = expiry order, so eviction drops the oldest.
    this.until.delete(k);
    this.until.set(k, this.now() + this.ttlMs);
    if (this.until.size > this.capacity) {
      const oldest = this.until.keys().next().value;
      if (oldest !== undefined) this.until.delete(oldest);
    }
  }

  markPresent(namespace: string, name: string): void {
    this.until.delete(key(namespace, name));
  }

  get size(): number {
    return this.until.size;
  }
}

function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
