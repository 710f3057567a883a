// Errors that carry how the runtime must answer. Handlers throw these (or let the Kube adapter
// throw them); anything else is an unexpected 500.

/** The API server or network failed in a way a retry can fix: answered 503 so the Broker retries. */
export class TransientError extends Error {
  override name = 'TransientError';
  // `cause` is Error's own (ES2022) property; parameter properties are not erasable syntax.
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

/** Optimistic-concurrency conflict (HTTP 409) from the API server. */
export class ConflictError extends TransientError {
  override name = 'ConflictError';
}

/** The event is well-formed but cannot be acted on as sent: answered 422, never retried. */
export class UnprocessableError extends Error {
  override name = 'UnprocessableError';
}
