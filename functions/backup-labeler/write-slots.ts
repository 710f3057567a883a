// One write budget shared by namespaces reconciled at the same time (the tick, a Backup): each
// namespace runs its phases (Secrets and objects, then the group commits, then the check) with
// its own bounded pool, and every write also takes a slot here, so the API server sees at most
// `limit` of the labeler's writes in flight however many namespaces overlap, and one namespace's
// phase boundary (a pool draining to its last write) is filled by another's writes.

export interface WriteSlots {
  run<T>(work: () => Promise<T>): Promise<T>;
}

export function writeSlots(limit: number): WriteSlots {
  let free = Math.max(1, Math.floor(limit) || 1);
  const waiting: Array<() => void> = [];
  return {
    async run(work) {
      if (free > 0) free--;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        return await work();
      } finally {
        // The slot passes straight to the next waiter, or back to the budget.
        const next = waiting.shift();
        if (next) next();
        else free++;
      }
    },
  };
}
