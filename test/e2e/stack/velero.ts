// The real Velero server run out of cluster, as Velero's "run locally" documentation describes
// (`velero server --kubeconfig ...`), with the real AWS object-store plugin in its plugin dir and a
// BackupStorageLocation on the loopback S3 store. Its identity is a ServiceAccount bound to
// cluster-admin, as `velero install` binds it. Metadata only: no snapshot locations, no node agent.
import { execFile } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, startProcess, waitReady } from './proc.ts';
import type { Managed, StartOptions } from './proc.ts';
import type { ControlPlane } from '../../harness/index.ts';
import type { KubeObject } from '../../../functions/runtime/kube/kube-api.ts';
import { createKube } from '../../../functions/runtime/kube/kube.ts';
import { pinnedModule } from '../../../scripts/binaries/versions.ts';

const run = promisify(execFile);

export const VELERO_NAMESPACE = 'velero';
export const STORAGE_LOCATION = 'default';

export interface Velero {
  process: Managed;
  /** Runs the velero CLI (same binary) as the admin user; resolves stdout. */
  cli(args: string[]): Promise<string>;
}

export interface VeleroBinaries {
  velero: string;
  awsPlugin: string;
}

function setupObjects(s3Url: string, bucket: string): string {
  const VERSION = pinnedModule('velero').version;
  return `
apiVersion: v1
kind: ServiceAccount
metadata: { name: velero, namespace: ${VELERO_NAMESPACE} }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: velero }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin }
subjects: [{ kind: ServiceAccount, name: velero, namespace: ${VELERO_NAMESPACE} }]
---
# Velero's "run locally" guide keeps the installed Deployment and scales it to 0; the server reads
# it during every restore (pkg/restore/actions/pod_volume_restore_action.go takes the restore
# helper's image from it) and the restore fails without it. No controller runs it here.
apiVersion: apps/v1
kind: Deployment
metadata: { name: velero, namespace: ${VELERO_NAMESPACE}, labels: { component: velero } }
spec:
  replicas: 0
  selector: { matchLabels: { deploy: velero } }
  template:
    metadata: { labels: { deploy: velero, component: velero } }
    spec:
      serviceAccountName: velero
      containers:
        - name: velero
          image: velero/velero:${VERSION}
          command: [/velero]
          args: [server]
---
apiVersion: velero.io/v1
kind: BackupStorageLocation
metadata: { name: ${STORAGE_LOCATION}, namespace: ${VELERO_NAMESPACE} }
spec:
  provider: aws
  default: true
  objectStorage: { bucket: ${bucket} }
  config:
    region: us-east-1
    s3ForcePathStyle: "true"
    s3Url: ${s3Url}
    # Velero's documented setting for S3-compatible stores without CRC32 checksum support.
    checksumAlgorithm: ""
`;
}

export async function startVelero(
  plane: ControlPlane,
  bins: VeleroBinaries,
  store: { url: string; bucket: string },
  dir: string,
  options: StartOptions,
): Promise<Velero> {
  await plane.applyYaml(setupObjects(store.url, store.bucket));
  const kubeconfig = await plane.kubeconfigForServiceAccount(VELERO_NAMESPACE, 'velero');
  const pluginDir = join(dir, 'velero-plugins');
  mkdirSync(pluginDir, { recursive: true });
  symlinkSync(bins.awsPlugin, join(pluginDir, 'velero-plugin-for-aws'));
  // The store does not check signatures; the plugin still needs a credential to sign with.
  const credentials = join(dir, 'velero-credentials');
  writeFileSync(credentials, '[default]\naws_access_key_id=e2e\naws_secret_access_key=e2e\n', {
    mode: 0o600,
  });
  const metrics = await freePort();
  const velero = startProcess(
    'velero',
    bins.velero,
    [
      'server',
      `--kubeconfig=${kubeconfig}`,
      `--namespace=${VELERO_NAMESPACE}`,
      `--plugin-dir=${pluginDir}`,
      `--metrics-address=127.0.0.1:${metrics}`,
      '--profiler-address=',
      '--uploader-type=kopia',
      '--store-validation-frequency=10s',
      '--log-level=info',
    ],
    join(dir, 'velero.log'),
    // Velero passes its environment to plugin processes (the AWS SDK reads this file).
    { ...options, env: { ...options.env, AWS_SHARED_CREDENTIALS_FILE: credentials } },
  );
  const cli = async (args: string[]) =>
    (
      await run(
        bins.velero,
        [...args, `--kubeconfig=${plane.kubeconfigPath}`, '-n', VELERO_NAMESPACE],
        {
          env: { ...process.env, HOME: dir },
          maxBuffer: 16 * 1024 * 1024,
        },
      )
    ).stdout;
  const admin = createKube(plane.kubeconfigPath);
  await waitReady(
    velero,
    180_000,
    async () => {
      const bsl = await admin.get<KubeObject & { status?: { phase?: string } }>({
        apiVersion: 'velero.io/v1',
        kind: 'BackupStorageLocation',
        namespace: VELERO_NAMESPACE,
        name: STORAGE_LOCATION,
      });
      return bsl?.status?.phase === 'Available';
    },
    'velero (BackupStorageLocation Available)',
  );
  return { process: velero, cli };
}
