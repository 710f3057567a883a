// Test support: the restore fixer on the test control plane, as a service account bound to exactly
// FIXER_RULES, with Velero's namespace of its own.
import { testCluster, type TestCluster } from '../../../test/harness/index.ts';
import { kubeAs } from '../../../test/harness/identity.ts';
import { createKube } from '../../runtime/kube/kube.ts';
import type { Kube } from '../../runtime/kube/kube-api.ts';
import { createLogger } from '../../runtime/process/logger.ts';
import { downloadRequestDeps } from '../../velero/download-request.ts';
import type { FixerDeps } from '../handler.ts';
import { FIXER_RULES } from '../rbac.ts';

export interface FixerPlane {
  cluster: TestCluster;
  /** The cluster admin, acting as Velero and its controllers. */
  admin: Kube;
  veleroNs: string;
  deps: FixerDeps;
}

/** `env`: the fixer's environment (its DownloadRequest timeouts). */
export async function fixerOnPlane(
  env: Record<string, string> = {},
  overrides: Partial<FixerDeps> = {},
): Promise<FixerPlane> {
  const cluster = await testCluster();
  const admin = createKube(cluster.kubeconfigPath);
  const veleroNs = await cluster.newNamespace('velero');
  const deps: FixerDeps = {
    kube: await kubeAs(cluster, 'restore-fixer', FIXER_RULES),
    logger: createLogger('silent'),
    veleroNamespace: veleroNs,
    ...downloadRequestDeps(env),
    ...overrides,
  };
  return { cluster, admin, veleroNs, deps };
}
