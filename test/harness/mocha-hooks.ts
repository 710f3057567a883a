// Mocha root hooks (loaded through .mocharc.json `require`). When the run includes integration
// tests (*.int.test.ts) the control plane starts once before any test, outside per-test
// timeouts, and it is stopped after the last test whatever the results.
import type { Context, Suite } from 'mocha';
import { stopTestCluster, testCluster, testClusterRequested } from './index.ts';

const INTEGRATION_FILE = /\.int\.test\.ts$/;

function hasIntegrationTests(suite: Suite): boolean {
  if (suite.file && INTEGRATION_FILE.test(suite.file)) return true;
  if (suite.tests.some((t) => t.file && INTEGRATION_FILE.test(t.file))) return true;
  return suite.suites.some(hasIntegrationTests);
}

export const mochaHooks = {
  async beforeAll(this: Context): Promise<void> {
    const root = this.test?.parent;
    if (!root || !hasIntegrationTests(root)) return;
    this.timeout(0); // a cold cache builds kube-apiserver first
    try {
      await testCluster();
    } catch (err) {
      // Unit tests still run; every integration test then fails with this same error.
      process.stderr.write(
        `control plane did not start: ${err instanceof Error ? err.message : String(err)}\n`,
      );
    }
  },
  async afterAll(this: Context): Promise<void> {
    if (!testClusterRequested()) return;
    this.timeout(60_000);
    await stopTestCluster();
  },
};
