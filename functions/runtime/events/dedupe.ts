// Remembers recently handled (source, id) pairs so an at-least-once redelivery can be
// acknowledged without running the handler again. An optimisation only: handlers are idempotent,
// the cache is per replica, bounded, and lost on restart.

export class RecentEvents {
  private readonly seen = new Map<string, true>();
  private readonly capacity: number;
  constructor(capacity = 10_000) {
    this.capacity = capacity;
  }

  has(source: string, id: string): boolean {
    return this.seen.has(key(source, id));
  }

  add(source: string, id: string): void {
    if (this.capacity <= 0) return;
    const k = key(source, id);
    // Re-inserting moves the key to the end, so eviction drops the least recently handled.
    this.seen.delete(k);
    this.seen.set(k, true);
    if (this.seen.size > this.capacity) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }

  get size(): number {
    return this.seen.size;
  }
}

function key(source: string, id: string): string {
  return `${source}\u0000${id}`;
}
