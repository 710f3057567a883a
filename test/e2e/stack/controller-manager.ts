// kube-controller-manager with only the controllers deleting a namespace needs: the namespace
// controller (deletes everything in it, CRs included), PVC protection (removes the
// kubernetes.io/pvc-protection finalizer the API server's admission adds to every PVC) and the
// garbage collector (ownerReferences). No serving port, no leader election: one instance, loopback.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProcess, waitReady } from './proc.ts';
import type { Managed, StartOptions } from './proc.ts';

export const CONTROLLERS = [
  'namespace-controller',
  'persistentvolumeclaim-protection-controller',
  'garbage-collector-controller',
];

export async function startControllerManager(
  exe: string,
  kubeconfig: string,
  dir: string,
  options: StartOptions,
): Promise<Managed> {
  const logFile = join(dir, 'kube-controller-manager.log');
  const m = startProcess(
    'kube-controller-manager',
    exe,
    [
      `--kubeconfig=${kubeconfig}`,
      `--controllers=${CONTROLLERS.join(',')}`,
      '--leader-elect=false',
      '--secure-port=0',
      // The namespace controller re-checks discovery; a short resync keeps deletion prompt.
      '--namespace-sync-period=30s',
      '--concurrent-namespace-syncs=2',
      '--v=1',
    ],
    logFile,
    options,
  );
  // Started controllers log "Started controller" or similar; the exit check catches bad flags.
  await waitReady(m, 120_000, async () =>
    /Starting namespace controller|Started controller|"Starting controller"/.test(
      readFileSync(logFile, 'utf8'),
    ),
  );
  return m;
}
