// The shared control plane of one mocha run: the first caller starts it, the root hook in
// mocha-hooks.ts stops it. Tests that need Kubernetes call testCluster() (never a fake API server).
import { startControlPlane } from './control-plane.ts';
import type { ControlPlane, ControlPlaneOptions } from './control-plane.ts';

export { startControlPlane } from './control-plane.ts';
export type { ControlPlane, ControlPlaneOptions } from './control-plane.ts';

/** What an integration test gets: the admin identity and helpers (see ControlPlane). */
export type TestCluster = ControlPlane;

let shared: Promise<ControlPlane> | undefined;

/** The run's control plane, started on first use. Start-up can take minutes on a cold cache. */
export function testCluster(options?: ControlPlaneOptions): Promise<TestCluster> {
  shared ??= startControlPlane(options).catch((err: unknown) => {
    // Every later caller gets the same clear failure instead of a second start attempt.
    throw err instanceof Error ? err : new Error(String(err));
  });
  return shared;
}

/** True once some test asked for the plane in this process. */
export function testClusterRequested(): boolean {
  return shared !== undefined;
}

/** Stops the shared plane if one was started; safe to call more than once. */
export async function stopTestCluster(): Promise<void> {
  const current = shared;
  if (!current) return;
  const plane = await current.catch(() => undefined);
  await plane?.stop();
}
