// The whole end-to-end stack on loopback: the test control plane plus kube-controller-manager,
// an S3 store, the real Velero server with the AWS plugin, the functions as shipped, a Broker
// and the real ApiServerSource adapters, wired from the rendered production overlay. The Broker is
// the stand-in (scripts/broker-standin) unless VVF_E2E_BROKER=knative selects Knative Eventing's
// real multi-tenant channel-based Broker (knative-broker.ts).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { ensureBinaries } from '../../../scripts/binaries/ensure.ts';
import { testCluster } from '../../harness/index.ts';
import type { ControlPlane } from '../../harness/index.ts';
import { startReaper } from '../../harness/reaper.ts';
import { render } from '../../config/render.ts';
import { createKube } from '../../../functions/runtime/kube/kube.ts';
import type { Kube, KubeObject } from '../../../functions/runtime/kube/kube-api.ts';
import { startAdapters } from './adapters.ts';
import type { Adapter } from './adapters.ts';
import { startBroker } from '../../../scripts/broker-standin/broker.ts';
import type { Broker } from '../../../scripts/broker-standin/broker.ts';
import { startControllerManager } from './controller-manager.ts';
import { productServices, startFunctions } from './functions.ts';
import type { RunningFunction } from './functions.ts';
import { routesOf } from '../../../scripts/broker-standin/routes.ts';
import { startObjectStore } from './object-store.ts';
import type { ObjectStore } from './object-store.ts';
import { eventually, logTail, stopAll } from './proc.ts';
import type { Managed, StartOptions } from './proc.ts';
import { startVelero } from './velero.ts';
import { KNATIVE_BINARIES, startKnativeBroker, withKnativeDefaults } from './knative-broker.ts';
import type { Velero } from './velero.ts';

export const OVERLAY = 'overlays/production';

export type BrokerKind = 'standin' | 'knative';

/** Which Broker carries the events: VVF_E2E_BROKER, the stand-in by default. */
export function brokerKind(env: NodeJS.ProcessEnv = process.env): BrokerKind {
  const kind = env['VVF_E2E_BROKER'] ?? 'standin';
  if (kind !== 'standin' && kind !== 'knative')
    throw new Error(`VVF_E2E_BROKER=${kind}: use standin (default) or knative`);
  return kind;
}

export interface Stack {
  plane: ControlPlane;
  admin: Kube;
  dir: string;
  config: KubeObject[];
  /** The stand-in or, with VVF_E2E_BROKER=knative, Knative's real Broker seen through its hops. */
  broker: Broker;
  brokerKind: BrokerKind;
  velero: Velero;
  store: ObjectStore;
  functions: RunningFunction[];
  adapters: Adapter[];
  /** Wall time of each start-up step, ms. */
  timings: Record<string, number>;
  /** Last lines of every process log, for a failing test's message. */
  logs(lines?: number): string;
  stop(): Promise<void>;
}

const BINARIES = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'gofakes3',
  'velero',
  'velero-plugin-for-aws',
  'apiserver_receive_adapter',
] as const;

async function ensureBundle(log: (l: string) => void): Promise<void> {
  const bundle = fileURLToPath(new URL('../../../dist/cli.js', import.meta.url));
  if (existsSync(bundle)) return;
  log('e2e: dist/ missing, building the bundle (npm run build)…');
  const { build } = await import('../../../scripts/build.ts');
  await build();
}

export interface StackOptions {
  /**
   * The control plane to run on (say the VM Operator plane, test/harness/vm-operator.ts); the
   * run's shared test cluster by default. The stack never stops it.
   */
  plane?: ControlPlane;
}

export async function startStack(
  log: (line: string) => void,
  options: StackOptions = {},
): Promise<Stack> {
  const timings: Record<string, number> = {};
  let t = Date.now();
  const step = (name: string) => {
    timings[name] = Date.now() - t;
    log(`e2e: ${name} (${(timings[name] / 1000).toFixed(1)}s)`);
    t = Date.now();
  };
  const kind = brokerKind();
  log(
    `e2e: Broker: ${kind === 'knative' ? "Knative Eventing's MT channel-based Broker" : 'the stand-in'}`,
  );
  const bins = await ensureBinaries(
    [...BINARIES, ...(kind === 'knative' ? KNATIVE_BINARIES : [])],
    { log },
  );
  await ensureBundle(log);
  step('binaries and bundle ready');
  const plane = options.plane ?? (await testCluster());
  step('control plane');
  const dir = mkdtempSync(join(tmpdir(), 'vvf-e2e-'));
  const reaper = startReaper();
  const keep = process.env['VVF_E2E_KEEP'] === '1';
  // The reaper removes the folder if this process dies without stop(); kept on request for debugging.
  if (!keep) reaper.watchDir(dir);
  const startOptions = { reaper };
  const processes: Managed[] = [];
  let broker: Broker | undefined;
  const logs = (lines = 25) =>
    processes.map((p) => `--- ${p.name} (${p.logFile})\n${logTail(p, lines)}`).join('\n');
  const stop = async () => {
    await broker?.close();
    await stopAll(processes);
    if (!keep) rmSync(dir, { recursive: true, force: true });
    else log(`e2e: logs kept in ${dir}`);
    reaper.release();
  };
  try {
    const admin = createKube(plane.kubeconfigPath);
    processes.push(
      await startControllerManager(
        bins['kube-controller-manager']!,
        plane.kubeconfigPath,
        dir,
        startOptions,
      ),
    );
    step('kube-controller-manager');

    // kubectl apply -k config/overlays/production: Velero's namespace first (the config puts Roles
    // and the resource-modifier ConfigMap there), then everything the API server can hold.
    const rendered = await render(OVERLAY);
    const config = kind === 'knative' ? await withKnativeDefaults(rendered) : rendered;
    await plane.applyYaml('apiVersion: v1\nkind: Namespace\nmetadata: { name: velero }\n');
    const namespaces = config.filter((o) => o.kind === 'Namespace');
    const rest = config.filter((o) => o.kind !== 'Namespace');
    await plane.applyYaml(namespaces.map((o) => stringify(o)).join('---\n'));
    await plane.applyYaml(rest.map((o) => stringify(o)).join('---\n'));
    step('config applied');

    const store = await startObjectStore(bins['gofakes3']!, dir, startOptions);
    processes.push(store.process);
    step('object store');
    // Velero first: its controller manager binds :8080 for metrics, the port every receive
    // adapter also tries (and, unlike Velero, tolerates losing) for its probes.
    const velero = await startVelero(
      plane,
      { velero: bins['velero']!, awsPlugin: bins['velero-plugin-for-aws']! },
      store,
      dir,
      startOptions,
    );
    processes.push(velero.process);
    step('velero server (BackupStorageLocation Available)');

    const functions = await startFunctions(plane, productServices(config), dir, startOptions);
    processes.push(...functions.map((f) => f.process));
    step('functions');

    let adapterOptions: StartOptions = startOptions;
    if (kind === 'knative') {
      const real = await startKnativeBroker({
        plane,
        admin,
        bins,
        config,
        functions,
        dir,
        options: startOptions,
        log,
      });
      broker = real;
      processes.push(...real.processes);
      // The adapters post to the Broker's cluster address, through the same loopback proxy.
      adapterOptions = { ...startOptions, env: { HTTP_PROXY: real.proxyUrl } };
      step('Knative Broker and Triggers Ready');
    } else
      broker = await startBroker({
        routes: routesOf(config),
        subscribers: new Map(functions.map((f) => [f.service, f.url])),
        log,
      });
    const sources = config.filter((o) => o.kind === 'ApiServerSource');
    const adapters = await startAdapters(
      bins['apiserver_receive_adapter']!,
      plane,
      admin,
      sources,
      broker.url,
      dir,
      adapterOptions,
    );
    processes.push(...adapters.map((a) => a.process));
    await canary(plane, admin, broker);
    step('receive adapters watching');
    return {
      plane,
      admin,
      dir,
      config,
      broker,
      brokerKind: kind,
      velero,
      store,
      functions,
      adapters,
      timings,
      logs,
      stop,
    };
  } catch (err) {
    const message = `${(err as Error).message}\n${logs()}`;
    await stop();
    throw new Error(message);
  }
}

/**
 * The adapters send nothing for objects that exist when they start, so the scenario may only begin
 * once their watches are open: a throwaway group is touched until a change to it reaches the
 * Broker through the VM Operator source (one create alone may land before the adapter's list).
 */
async function canary(plane: ControlPlane, admin: Kube, broker: Broker): Promise<void> {
  const ns = await plane.newNamespace('e2e-canary');
  const ref = {
    apiVersion: 'vmoperator.vmware.com/v1alpha5',
    kind: 'VirtualMachineGroup',
    namespace: ns,
    name: 'canary',
  };
  await admin.create({ ...ref, metadata: { name: ref.name, namespace: ns }, spec: {} });
  let touch = 0;
  await eventually(
    'a change to the canary group at the Broker',
    120_000,
    async () => {
      if (broker.events.some((e) => e.attributes['namespace'] === ns)) return true;
      await admin.patch(ref, {
        type: 'merge',
        body: { metadata: { annotations: { 'e2e.vmgroup-backup.dev/touch': String(++touch) } } },
      });
      return undefined;
    },
    1_000,
  );
}
