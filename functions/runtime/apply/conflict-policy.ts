// The one conflict policy. A 409 on a resourceVersion-guarded write means the object changed
// after it was read: sending the same write again cannot succeed, so the whole step (read, plan,
// write) runs again on fresh state, a bounded number of times. Past the bound the ConflictError
// stands; the runtime answers it 503 and the Broker redelivers later.

import { ConflictError } from '../errors.ts';

/** Runs in all, the first included, of the runtime's re-run of a handler that hit a conflict. */
export const DEFAULT_CONFLICT_ATTEMPTS = 3;

/** Whether run number `attempt` (1-based) that failed with `err` is followed by another. */
export const replansAfter = (err: unknown, attempt: number, attempts: number): boolean =>
  err instanceof ConflictError && attempt < attempts;

/**
 * `step(attempt)` must re-read what it decides from (attempt 1 may use what it already holds, such
 * as the event's copy of the object); any other error, or the last conflict, is thrown.
 */
export async function replanOnConflict<T>(
  attempts: number,
  step: (attempt: number) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step(attempt);
    } catch (err) {
      if (!replansAfter(err, attempt, attempts)) throw err;
    }
  }
}
