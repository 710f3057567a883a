// Errors that carry how the runtime must answer. Handlers throw these (or let the Kube adapter
// throw them); anything else is an unexpected 500.

/** The API server or network failed in a way a retry can fix: answered 503 so the Broker retries. */
export class TransientError extends Error {
  override name = 'TransientError';
  constructor(
    message: string,
    readonly cause?: unknown,
  ) {
    super(message);
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
