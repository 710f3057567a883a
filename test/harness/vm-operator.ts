// The VM Operator plane: the test control plane plus the real VM Operator v1.10.0 manager
// (controllers, admission webhooks, CRD conversion) talking to govmomi's vCenter simulator.
// Only vCenter is stood in for (by govmomi's own simulator, launched by test/go/vm-operator's
// vmop-vcsim); VM Operator runs as built from its module, out of cluster, on loopback.
//
//   const plane = await startVmOperatorPlane();
//   await plane.prepareNamespace(ns);       // vSphere folder + pool, zone, class, storage
//   await plane.powerEvents();              // vCenter's VmPoweredOn/OffEvent history
//   await plane.stop();
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureBinaries } from '../../scripts/binaries/ensure.ts';
import { findGo, moduleDir } from '../../scripts/binaries/go-toolchain.ts';
import { loadVersions } from '../../scripts/binaries/versions.ts';
import { getJson, installCrds, loadKubeConfig, rawRequest } from './cluster-api.ts';
import { startControlPlane } from './control-plane.ts';
import type { ControlPlane, ControlPlaneOptions } from './control-plane.ts';
import { localObjects, parseYamlObjects } from './crd-sources.ts';
import type { KubeObject } from './crd-sources.ts';
import { freePort, logTail, spawnLogged } from './processes.ts';
import type { Managed } from './processes.ts';

/** What vmop-vcsim reports once it serves (see its main.go). */
export interface Simulator {
  url: string;
  host: string;
  port: string;
  username: string;
  password: string;
  caFile: string;
  datacenter: string;
  cluster: string;
  clusterPool: string;
  datastore: string;
  network: string;
  networkName: string;
  vmFolder: string;
  /** The content library and its one OVF item (VM Operator deploys VMs only from such items). */
  libraryId: string;
  imageItemId: string;
  adminUrl: string;
  storagePolicyId: string;
}

export interface PowerEvent {
  vm: string;
  moid: string;
  event: 'PoweredOn' | 'PoweredOff';
  time: string;
}

export interface SimulatorVm {
  name: string;
  moid: string;
  powerState: string;
  folder: string;
}

export interface VmOperatorPlane extends ControlPlane {
  simulator: Simulator;
  /** https://127.0.0.1:PORT of VM Operator's webhook server. */
  webhookUrl: string;
  /**
   * What the Supervisor sets up for a namespace before VMs can live in it: the vSphere folder
   * and resource pool, the zone's entry for them, a VirtualMachineClass, the StorageClass in
   * its ResourceQuota. Idempotent; `again` redoes it for a namespace deleted and created anew.
   */
  prepareNamespace(namespace: string, options?: { again?: boolean }): Promise<void>;
  powerEvents(): Promise<PowerEvent[]>;
  simulatorVms(): Promise<SimulatorVm[]>;
  /** Last lines of VM Operator's log, for failure messages. */
  vmOperatorLog(lines?: number): string;
}

// VM Operator's default (pkg/config): its provider config is looked up here whatever the flags say.
const POD_NAMESPACE = 'vmoperator-system';
const ZONE = 'zone-a';
export const VM_CLASS = 'best-effort-small';
export const STORAGE_CLASS = 'vsan-default';
/** The image name the product's test builders give VMs (functions/vmgroup/test/builders.ts). */
export const IMAGE_NAME = 'vmi-0123456789abcdef0';

/** VM Operator's feature switches for this plane (pkg/config/env). */
const FEATURE_ENV: Record<string, string> = {
  FSS_WCP_INSTANCE_STORAGE: 'false',
  FSS_WCP_VMSERVICE_BYOK: 'false',
  FSS_WCP_WORKLOAD_DOMAIN_ISOLATION: 'false',
  // Capabilities then come from the Capabilities resource (the only source of VM groups).
  FSS_WCP_SUPERVISOR_ASYNC_UPGRADE: 'true',
  FSS_WCP_VMSERVICE_INCREMENTAL_RESTORE: 'true',
  FSS_WCP_VMSERVICE_RESIZE: 'false',
  FSS_WCP_VMSERVICE_RESIZE_CPU_MEMORY: 'false',
  // Nobody but the admin identity is privileged: Velero's service account must pass as is.
  PRIVILEGED_USERS: '',
  NETWORK_PROVIDER: 'NAMED',
  POD_NAMESPACE,
  // Also sizes concurrent creates: int(reconciles * 80%), so the default 1 allows none.
  MAX_CONCURRENT_RECONCILES: '4',
};

async function waitUntil(
  what: string,
  m: Managed,
  timeoutMs: number,
  ready: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready().catch(() => false))) {
    if (m.hasExited()) throw new Error(`${what} exited during start-up:\n${logTail(m, 40)}`);
    if (Date.now() > deadline)
      throw new Error(`${what} not ready after ${timeoutMs} ms:\n${logTail(m, 40)}`);
    await sleep(250);
  }
}

async function startSimulator(
  plane: ControlPlane,
  exe: string,
): Promise<{ sim: Simulator; webhookCerts: string }> {
  const dir = join(plane.dir, 'vcsim');
  const webhookCerts = join(plane.dir, 'vmop-webhook-certs');
  mkdirSync(dir, { recursive: true });
  mkdirSync(webhookCerts, { recursive: true });
  const m = spawnLogged(
    'vmop-vcsim',
    exe,
    ['--dir', dir, '--webhook-cert-dir', webhookCerts],
    join(plane.dir, 'vcsim.log'),
  );
  plane.adopt(m);
  const readyFile = join(dir, 'ready.json');
  await waitUntil('vmop-vcsim', m, 60_000, async () => existsSync(readyFile));
  return { sim: JSON.parse(readFileSync(readyFile, 'utf8')) as Simulator, webhookCerts };
}

/** ConfigMaps and the Secret VM Operator reads at start-up (names from its pkg/... constants). */
function startupObjects(sim: Simulator): string {
  const objects: KubeObject[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: POD_NAMESPACE } },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'wcp-vmop-sa-vc-auth', namespace: POD_NAMESPACE },
      stringData: { username: sim.username, password: sim.password },
    } as KubeObject,
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'vsphere.provider.config.vmoperator.vmware.com', namespace: POD_NAMESPACE },
      data: {
        VcPNID: sim.host,
        VcPort: sim.port,
        Datacenter: sim.datacenter,
        Datastore: '',
        // The network VM Operator's mutation webhook gives a VM without interfaces.
        Network: sim.networkName,
        StorageClassRequired: 'true',
        UseInventoryAsContentSource: 'false',
        InsecureSkipTLSVerify: 'false',
        CAFilePath: sim.caFile,
      },
    } as KubeObject,
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'vmoperator-network-config', namespace: POD_NAMESPACE },
      data: { nameservers: '127.0.0.53' },
    } as KubeObject,
  ];
  return objects.map((o) => JSON.stringify(o)).join('\n---\n');
}

/** What the Supervisor declares it supports; VM Operator reads it once at start-up. */
export const CAPABILITIES = [
  'supports_VM_service_VM_groups',
  // Classes as immutable instances (VM Operator main's default): spec.class is then validated.
  'supports_VM_service_immutable_VM_classes',
];

async function activateCapabilities(plane: ControlPlane): Promise<void> {
  const path = '/apis/iaas.vmware.com/v1alpha1/capabilities';
  const kc = plane.kubeConfig();
  const name = 'supervisor-capabilities'; // pkg/config/capabilities CapabilitiesName
  const declared = CAPABILITIES.map((c) => ({ name: c, type: 'Supervisor', enabled: true }));
  const body = {
    apiVersion: 'iaas.vmware.com/v1alpha1',
    kind: 'Capabilities',
    metadata: { name },
    spec: { supervisor: declared },
  };
  const created = await rawRequest(kc, 'POST', path, {
    body: JSON.stringify(body),
    contentType: 'application/json',
  });
  if (created.status !== 201) throw new Error(`Capabilities: ${created.status} ${created.text}`);
  const supervisor = Object.fromEntries(CAPABILITIES.map((c) => [c, { activated: true }]));
  const status = await rawRequest(kc, 'PATCH', `${path}/${name}/status`, {
    body: JSON.stringify({ status: { supervisor } }),
    contentType: 'application/merge-patch+json',
  });
  if (status.status !== 200)
    throw new Error(`Capabilities status: ${status.status} ${status.text}`);
}

async function startManager(
  plane: ControlPlane,
  exe: string,
  webhookCerts: string,
  env: NodeJS.ProcessEnv,
): Promise<{ m: Managed; webhookPort: number }> {
  const spawnManager = async () => {
    const [webhookPort, metrics, health, profiler] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const args = [
      `--kubeconfig=${plane.kubeconfigPath}`,
      '--enable-leader-election=false',
      `--pod-namespace=${POD_NAMESPACE}`,
      `--webhook-secret-namespace=${POD_NAMESPACE}`,
      `--webhook-service-namespace=${POD_NAMESPACE}`,
      `--webhook-secret-volume-mount-path=${webhookCerts}`,
      `--webhook-service-container-port=${webhookPort}`,
      `--metrics-addr=127.0.0.1:${metrics}`,
      `--health-addr=127.0.0.1:${health}`,
      `--profiler-address=127.0.0.1:${profiler}`,
      '--max-concurrent-reconciles=4',
      // VMOP_LOG_LEVEL=5 shows the vSphere watcher's and power-state decisions (default 2).
      ...(env['VMOP_LOG_LEVEL'] ? [`--v=${env['VMOP_LOG_LEVEL']}`] : []),
    ];
    const m = spawnLogged('vm-operator', exe, args, join(plane.dir, 'vm-operator.log'), {
      env: { ...env, ...FEATURE_ENV },
    });
    plane.adopt(m);
    return { m, webhookPort, health };
  };
  // On its first start VM Operator installs its CRDs and then, before discovery lists them,
  // fails to map VirtualMachine and exits; in a cluster the Deployment restarts it. So here.
  // A port picked free may be taken by another process before the manager binds it (other
  // suites start servers on the same machine): then it starts again on new ports.
  const restartable = /no matches for kind|address already in use/;
  for (let attempt = 1; ; attempt++) {
    const { m, webhookPort, health } = await spawnManager();
    const ready = async () => (await fetch(`http://127.0.0.1:${health}/readyz`)).ok;
    try {
      await waitUntil('vm-operator', m, 180_000, ready);
      return { m, webhookPort };
    } catch (err) {
      if (attempt >= 4 || !m.hasExited() || !restartable.test(logTail(m, 5))) throw err;
    }
  }
}

/** VM Operator's own webhook manifests, pointed at the loopback server with its CA bundle. */
export function webhookConfigurations(
  manifests: string,
  webhookUrl: string,
  caBundle: string,
): KubeObject[] {
  return parseYamlObjects(manifests, 'config/webhook/manifests.yaml').map((config) => {
    const c = config as KubeObject & {
      webhooks: {
        clientConfig: { service?: { path?: string }; url?: string; caBundle?: string };
      }[];
    };
    return {
      ...c,
      metadata: { name: `vmop-${c.metadata?.name ?? 'webhooks'}` },
      webhooks: c.webhooks.map((w) => ({
        ...w,
        clientConfig: { url: `${webhookUrl}${w.clientConfig.service?.path ?? ''}`, caBundle },
      })),
    } as KubeObject;
  });
}

/** The CRDs VM Operator's kustomize patches (config/crd/patches/webhook_in_*.yaml) convert. */
function convertedCrds(moduleRoot: string): Set<string> {
  const dir = join(moduleRoot, 'config/crd/patches');
  return new Set(
    readdirSync(dir)
      .filter((f) => f.startsWith('webhook_in_'))
      .flatMap((f) => parseYamlObjects(readFileSync(join(dir, f), 'utf8'), f))
      .map((o) => o.metadata?.name ?? ''),
  );
}

/** Those CRDs convert through VM Operator's /convert, as its kustomize overlay makes them. */
async function pointConversionAtWebhook(
  plane: ControlPlane,
  webhookUrl: string,
  caBundle: string,
  moduleRoot: string,
): Promise<string[]> {
  const converted = convertedCrds(moduleRoot);
  const kc = plane.kubeConfig();
  const list = (await getJson(kc, '/apis/apiextensions.k8s.io/v1/customresourcedefinitions'))
    .body as {
    items: { metadata: { name: string }; spec: { group: string; versions: unknown[] } }[];
  };
  const patched: string[] = [];
  for (const crd of list.items) {
    if (!converted.has(crd.metadata.name)) continue;
    const patch = {
      spec: {
        conversion: {
          strategy: 'Webhook',
          webhook: {
            conversionReviewVersions: ['v1', 'v1beta1'],
            clientConfig: { url: `${webhookUrl}/convert`, caBundle },
          },
        },
      },
    };
    const res = await rawRequest(
      kc,
      'PATCH',
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`,
      { body: JSON.stringify(patch), contentType: 'application/merge-patch+json' },
    );
    if (res.status !== 200)
      throw new Error(`conversion of ${crd.metadata.name}: ${res.status} ${res.text}`);
    patched.push(crd.metadata.name);
  }
  return patched;
}

async function admin<T>(sim: Simulator, method: string, path: string): Promise<T> {
  const res = await fetch(`${sim.adminUrl}${path}`, { method });
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(`vmop-vcsim ${method} ${path}: ${res.status} ${body.error ?? ''}`);
  return body;
}

function namespaceObjects(namespace: string): string {
  const objects = [
    {
      apiVersion: 'vmoperator.vmware.com/v1alpha5',
      kind: 'VirtualMachineClass',
      metadata: { name: VM_CLASS, namespace },
      // With immutable classes VM Operator hashes the vSphere ConfigSpec into a class instance.
      spec: {
        hardware: { cpus: 1, memory: '512Mi' },
        configSpec: { _typeName: 'VirtualMachineConfigSpec', numCPUs: 1, memoryMB: 512 },
      },
    },
    {
      apiVersion: 'vmoperator.vmware.com/v1alpha5',
      kind: 'VirtualMachineImage',
      metadata: { name: IMAGE_NAME, namespace },
      // The image registry operator's ContentLibraryItem stands behind an image in a Supervisor;
      // VM Operator reads only this reference kind and the status below when it deploys.
      spec: {
        providerRef: {
          apiVersion: 'imageregistry.vmware.com/v1alpha2',
          kind: 'ContentLibraryItem',
          name: 'vmop-image',
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'vm-storage', namespace },
      spec: {
        hard: { [`${STORAGE_CLASS}.storageclass.storage.k8s.io/persistentvolumeclaims`]: '100' },
      },
    },
  ];
  return objects.map((o) => JSON.stringify(o)).join('\n---\n');
}

/** What the image registry operator and VM Operator's image controller report for the item. */
async function setImageStatus(
  plane: ControlPlane,
  namespace: string,
  sim: Simulator,
): Promise<void> {
  const status = {
    name: 'vmop-image',
    type: 'OVF',
    providerItemID: sim.imageItemId,
    providerContentVersion: '1',
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'True',
        message: '',
        lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      },
    ],
  };
  const res = await rawRequest(
    plane.kubeConfig(),
    'PATCH',
    `/apis/vmoperator.vmware.com/v1alpha5/namespaces/${namespace}/virtualmachineimages/${IMAGE_NAME}/status`,
    { body: JSON.stringify({ status }), contentType: 'application/merge-patch+json' },
  );
  if (res.status !== 200) throw new Error(`image status: ${res.status} ${res.text}`);
}

/**
 * VM Operator's webhooks read images and classes from the manager's informer cache, which lags
 * the API server: a dry-run create of a VM (webhooks run, nothing is stored) answers once the
 * namespace's objects are visible to them.
 */
async function untilWebhooksSee(plane: ControlPlane, namespace: string): Promise<void> {
  const probe = {
    apiVersion: 'vmoperator.vmware.com/v1alpha5',
    kind: 'VirtualMachine',
    metadata: { name: 'vvf-probe', namespace },
    spec: { className: VM_CLASS, imageName: IMAGE_NAME, storageClass: STORAGE_CLASS },
  };
  const path = `/apis/vmoperator.vmware.com/v1alpha5/namespaces/${namespace}/virtualmachines?dryRun=All`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await rawRequest(plane.kubeConfig(), 'POST', path, {
      body: JSON.stringify(probe),
      contentType: 'application/json',
    });
    if (res.status === 201) return;
    if (Date.now() > deadline)
      throw new Error(`VM Operator never admitted a VM in ${namespace}: ${res.status} ${res.text}`);
    await sleep(200);
  }
}

export type VmOperatorPlaneOptions = ControlPlaneOptions;

export async function startVmOperatorPlane(
  options: VmOperatorPlaneOptions = {},
): Promise<VmOperatorPlane> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const bins = await ensureBinaries(['vm-operator', 'vmop-vcsim'], { env, log });
  const go = findGo(env);
  if (!go)
    throw new Error('the VM Operator plane reads webhook manifests from the Go module cache');
  const vmop = loadVersions().crds['vmOperator']!;
  const root = await moduleDir(go, vmop.module, vmop.version, env);
  const plane = await startControlPlane({
    ...options,
    omitCrdSources: [...(options.omitCrdSources ?? []), 'vmOperator'],
  });
  const started = Date.now();
  const secs = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
  try {
    // The CRDs of the Supervisor's other services VM Operator watches (CSI's CnsNodeVmAttachment,
    // topology zones, storage policies...), as VM Operator's own tests install them.
    const external = localObjects(join(root, 'config/crd/external-crds'));
    await installCrds(plane.kubeConfig(), external);
    log(`vm-operator plane: ${external.length} external CRDs of the Supervisor (${secs()})`);
    const { sim, webhookCerts } = await startSimulator(plane, bins['vmop-vcsim']!);
    log(`vm-operator plane: vCenter simulator at ${sim.host}:${sim.port} (${secs()})`);
    await plane.applyYaml(startupObjects(sim));
    await activateCapabilities(plane);
    await plane.applyYaml(
      JSON.stringify({
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: { name: STORAGE_CLASS },
        provisioner: 'csi.vsphere.vmware.com',
        parameters: { storagePolicyID: sim.storagePolicyId },
      }),
    );
    const { m, webhookPort } = await startManager(plane, bins['vm-operator']!, webhookCerts, env);
    const webhookUrl = `https://127.0.0.1:${webhookPort}`;
    log(`vm-operator plane: VM Operator ready, webhooks at ${webhookUrl} (${secs()})`);
    // Ready implies its CRDs are installed: main.go installs them before it makes the manager.
    const caBundle = readFileSync(join(webhookCerts, 'tls.crt')).toString('base64');
    const converted = await pointConversionAtWebhook(plane, webhookUrl, caBundle, root);
    const manifests = readFileSync(join(root, 'config/webhook/manifests.yaml'), 'utf8');
    await plane.applyYaml(
      webhookConfigurations(manifests, webhookUrl, caBundle)
        .map((o) => JSON.stringify(o))
        .join('\n---\n'),
    );
    log(
      `vm-operator plane: webhooks registered, conversion through ${webhookUrl}/convert for ${converted.length} CRDs (${secs()})`,
    );
    await plane.applyYaml(
      JSON.stringify({
        apiVersion: 'topology.tanzu.vmware.com/v1alpha1',
        kind: 'AvailabilityZone',
        metadata: { name: ZONE },
        spec: { clusterComputeResourceMoIDs: [sim.cluster], namespaces: {} },
      }),
    );
    const prepared = new Set<string>();
    return {
      ...plane,
      simulator: sim,
      webhookUrl,
      async prepareNamespace(namespace, { again = false } = {}) {
        if (prepared.has(namespace) && !again) return;
        const info = await admin<{ folder: string; pool: string }>(
          sim,
          'PUT',
          `/namespaces/${encodeURIComponent(namespace)}`,
        );
        const patch = {
          spec: {
            namespaces: { [namespace]: { folderMoId: info.folder, poolMoIDs: [info.pool] } },
          },
        };
        const res = await rawRequest(
          loadKubeConfig(plane.kubeconfigPath),
          'PATCH',
          `/apis/topology.tanzu.vmware.com/v1alpha1/availabilityzones/${ZONE}`,
          { body: JSON.stringify(patch), contentType: 'application/merge-patch+json' },
        );
        if (res.status !== 200) throw new Error(`zone ${ZONE}: ${res.status} ${res.text}`);
        // With workload domain isolation VM Operator reads the namespaced Zone instead.
        await plane.applyYaml(
          JSON.stringify({
            apiVersion: 'topology.tanzu.vmware.com/v1alpha1',
            kind: 'Zone',
            metadata: { name: ZONE, namespace },
            spec: {
              availabilityZoneReference: {
                apiVersion: 'topology.tanzu.vmware.com/v1alpha1',
                name: ZONE,
              },
              managedVMs: { folderMoID: info.folder, poolMoIDs: [info.pool] },
              namespace: { folderMoID: info.folder, poolMoIDs: [info.pool] },
            },
          }),
        );
        await plane.applyYaml(namespaceObjects(namespace));
        await setImageStatus(plane, namespace, sim);
        await untilWebhooksSee(plane, namespace);
        prepared.add(namespace);
      },
      powerEvents: () => admin<PowerEvent[]>(sim, 'GET', '/power-events'),
      simulatorVms: () => admin<SimulatorVm[]>(sim, 'GET', '/vms'),
      vmOperatorLog: (lines = 60) => logTail(m, lines),
    };
  } catch (err) {
    await plane.stop();
    throw err;
  }
}
