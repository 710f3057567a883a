// The one bounded worker pool for a function's writes: at most `limit` calls in flight, so a
// namespace with thousands of objects neither floods the API server (which answers 429 past its
// Priority and Fairness share) nor holds thousands of sockets.

/**
 * Runs `work` over `items` with at most `limit` in flight (at least 1). Every item is attempted;
 * the first error is rethrown after all have settled, so no write is left running unobserved.
 */
export async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  const workers = Math.min(Math.max(1, Math.floor(limit) || 1), items.length);
  await Promise.all(Array.from({ length: workers }, worker));
  if (failure) throw failure.err;
}
