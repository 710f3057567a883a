// The real Knative ApiServerSource receive adapter, one process per ApiServerSource in the rendered
// config, configured as Knative's reconciler would configure its Deployment (knative-model.ts) and
// authenticated as the source's own ServiceAccount from the config (least privilege, as deployed).
import { join } from 'node:path';
import { freePort, startProcess } from './proc.ts';
import type { Managed, StartOptions } from './proc.ts';
import { adapterConfig } from './knative-model.ts';
import type { ControlPlane } from '../../harness/index.ts';
import type { Kube, KubeObject } from '../../../functions/runtime/kube/kube-api.ts';

export interface Adapter {
  source: string;
  process: Managed;
}

export async function startAdapters(
  exe: string,
  plane: ControlPlane,
  admin: Kube,
  sources: KubeObject[],
  sink: string,
  dir: string,
  options: StartOptions,
): Promise<Adapter[]> {
  const namespaces = (await admin.list('v1', 'Namespace', undefined)).items.map((n) => ({
    name: n.metadata.name,
    labels: n.metadata.labels ?? {},
  }));
  const out: Adapter[] = [];
  for (const source of sources) {
    const ns = source.metadata.namespace!;
    const name = source.metadata.name;
    const sa = (source['spec'] as { serviceAccountName: string }).serviceAccountName;
    const kubeconfig = await plane.kubeconfigForServiceAccount(ns, sa);
    const env: Record<string, string> = {
      K_SINK: sink,
      K_SOURCE_CONFIG: JSON.stringify(adapterConfig(source, namespaces)),
      SYSTEM_NAMESPACE: 'knative-eventing',
      NAMESPACE: ns,
      NAME: name,
      METRICS_DOMAIN: 'knative.dev/eventing',
      KUBECONFIG: kubeconfig,
      // Each adapter's profiling server on its own port (the probe port, 8080, is fixed upstream;
      // a second adapter only logs that it cannot serve probes).
      PROFILING_PORT: String(await freePort()),
    };
    const m = startProcess(`adapter-${name}`, exe, [], join(dir, `adapter-${name}.log`), {
      ...options,
      cleanEnv: true,
      env: { ...options.env, ...env },
    });
    out.push({ source: name, process: m });
  }
  return out;
}
