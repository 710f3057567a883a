// What the server and its express app share about the process: draining and in-flight events.

export interface State {
  draining: boolean;
  inFlight: number;
  /** Resolved when the last in-flight event finishes. */
  idle: Array<() => void>;
}

/** Validators and the Kubernetes client exist before the server listens, so only draining makes it unready. */
export function readiness(state: State): string {
  return state.draining ? 'draining' : 'ready';
}
