// Secrets a label patch found absent (404), remembered by one replica so that every pass over the
// namespace does not probe them again. A VM's bootstrap reference may name a ConfigMap (VM
// Operator's fallback) or a Secret not created yet, and the labeler cannot list Secrets to know:
// without this, each reconcile re-sent one 404 patch per such name (34,819 of them in the
// convergence suite, a third of all its requests).
//
// How long: a name absent for t is not probed again for t (at most `maxMs`). A Secret applied a
// moment after the VM that names it is therefore probed again on the next event, while a name
// that stays absent is probed at doubling intervals. Forgetting is safe because nothing depends
// on it for correctness: a Backup and the periodic tick probe every Secret regardless
// (ReconcileOptions.reprobe). Per replica and lost on restart, like the recent-event cache.

interface Absence {
  /** When a patch first found it absent (this run of 404s). */
  since: number;
  /** Not probed again before this. */
  until: number;
}

export class AbsentSecrets {
  private readonly absences = new Map<string, Absence>();
  private readonly maxMs: number;
  private readonly capacity: number;
  private readonly now: () => number;

  constructor(maxMs = 5 * 60_000, capacity = 50_000, now: () => number = Date.now) {
    this.maxMs = maxMs;
    this.capacity = capacity;
    this.now = now;
  }

  isKnownAbsent(namespace: string, name: string): boolean {
    const a = this.absences.get(key(namespace, name));
    return a !== undefined && a.until > this.now();
  }

  markAbsent(namespace: string, name: string): void {
    if (this.maxMs <= 0 || this.capacity <= 0) return;
    const k = key(namespace, name);
    const now = this.now();
    const before = this.absences.get(k);
    // A run of 404s ends when nobody asked for a long while (the name was no longer referenced).
    const since = before && now - before.until <= this.maxMs ? before.since : now;
    // Re-inserting keeps insertion order = least recently probed first, for eviction.
    this.absences.delete(k);
    this.absences.set(k, { since, until: now + Math.min(now - since, this.maxMs) });
    if (this.absences.size > this.capacity) {
      const oldest = this.absences.keys().next().value;
      if (oldest !== undefined) this.absences.delete(oldest);
    }
  }

  markPresent(namespace: string, name: string): void {
    this.absences.delete(key(namespace, name));
  }

  get size(): number {
    return this.absences.size;
  }
}

function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
