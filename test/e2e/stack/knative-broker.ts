// Knative Eventing's real multi-tenant channel-based Broker, out of cluster, for the end-to-end
// stack (VVF_E2E_BROKER=knative). What runs is Knative's code at the pinned release (built by
// scripts/binaries, entry `knative`): knative-broker-controllers (the Broker, Trigger, Channel,
// Subscription and InMemoryChannel reconcilers), the stock broker ingress and broker filter, and
// the stock in-memory channel dispatcher (in a network namespace of its own: its ports are
// hard-coded and Velero holds :8080). What this module stands in for is what a cluster gives
// pods and nothing else:
//  - cluster DNS and kube-proxy: cluster-proxy.ts, reached through HTTP_PROXY, maps each
//    `*.svc.cluster.local` name to the loopback port of the process behind it;
//  - kubelet and Knative Serving: the Services, EndpointSlices and the dispatcher Deployment's
//    status the reconcilers check for readiness are written here, and each Knative Service's
//    status.address is its cluster-local name, which the proxy routes to the function's process;
//  - the dead-letter Service (Knative's event_display in the config): a recorder in this process;
//  - the webhook: Brokers and Triggers are applied as Knative's own defaulting left them
//    (knative-admission), which is what the webhook would store.
// Knative's components authenticate as the admin (their own RBAC is Knative's, not ours).
import { createServer, request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  AppsV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { findGo, moduleDir } from '../../../scripts/binaries/go-toolchain.ts';
import { loadVersions } from '../../../scripts/binaries/versions.ts';
import { Activity } from '../../../scripts/broker-standin/broker.ts';
import type { Broker, Delivery } from '../../../scripts/broker-standin/broker.ts';
import { binaryHeaders, parseHttpEvent } from '../../../scripts/broker-standin/wire.ts';
import type { BrokerEvent } from '../../../scripts/broker-standin/wire.ts';
import type { ControlPlane } from '../../harness/index.ts';
import type { Kube, KubeObject } from '../../../functions/runtime/kube/kube-api.ts';
import { serviceOfHost, startClusterProxy } from './cluster-proxy.ts';
import type { ClusterProxy, Exchange } from './cluster-proxy.ts';
import { startInNetns } from './netns.ts';
import type { RunningFunction } from './functions.ts';
import { eventually, freePort, startProcess, stopAll } from './proc.ts';
import type { Managed, StartOptions } from './proc.ts';

export const SYSTEM_NAMESPACE = 'knative-eventing';
/** The dispatcher's HTTP port, a constant in pkg/reconciler/inmemorychannel/dispatcher. */
const DISPATCHER_PORT = 8080;
/** A documentation address (RFC 5737 TEST-NET-1) as the "pod IP" of each loopback process. */
const STAND_IN_POD_IP = '192.0.2.10';
export const KNATIVE_BINARIES = [
  'knative-admission',
  'knative-broker-controllers',
  'ingress',
  'filter',
  'channel_dispatcher',
] as const;

export interface KnativeBroker extends Broker {
  /** HTTP_PROXY for programs that must reach cluster names (the receive adapters). */
  proxyUrl: string;
  processes: Managed[];
  /**
   * Serves a Knative Service of a test's own from a loopback port: ready at its cluster-local
   * name, routed there by the proxy (what Serving would do for a Service the test creates).
   */
  addService(service: KubeObject, port: number, triggers: readonly string[]): Promise<void>;
}

interface Binaries {
  controllers: string;
  ingress: string;
  filter: string;
  dispatcher: string;
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

const ready = (o: KubeObject | undefined): boolean =>
  ((o?.['status'] as { conditions?: Condition[] } | undefined)?.conditions ?? []).some(
    (c) => c.type === 'Ready' && c.status === 'True',
  );

const notReadyWhy = (o: KubeObject | undefined): string =>
  ((o?.['status'] as { conditions?: Condition[] } | undefined)?.conditions ?? [])
    .filter((c) => c.status !== 'True')
    .map((c) => `${c.type}=${c.status} ${c.reason ?? ''} ${c.message ?? ''}`.trim())
    .join('; ') || 'no status yet';

/** YAML files of a folder of the pinned knative.dev/eventing module. */
async function eventingFiles(relative: string[]): Promise<string> {
  const go = findGo(process.env);
  if (!go) throw new Error('Knative Eventing manifests come from the Go module cache: install Go');
  const m = loadVersions().crds.knativeEventing!;
  const root = await moduleDir(go, m.module, m.version, process.env);
  return relative
    .flatMap((rel) => {
      const path = join(root, rel);
      return rel.endsWith('.yaml')
        ? [path]
        : readdirSync(path)
            .filter((f) => f.endsWith('.yaml'))
            .sort()
            .map((f) => join(path, f));
    })
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n---\n');
}

/**
 * Knative's system namespace as its release installs it, minus the pods: the namespace, the
 * default ConfigMaps (core and the in-memory channel's), and the InMemoryChannel CRD.
 */
async function installEventingSystem(plane: ControlPlane, admin: Kube): Promise<void> {
  await plane.applyYaml(await eventingFiles(['config/core/100-namespace.yaml']));
  await plane.applyYaml(
    await eventingFiles([
      'config/core/configmaps',
      'config/channels/in-memory-channel/configmaps',
      'config/channels/in-memory-channel/resources/in-memory-channel.yaml',
    ]),
  );
  await eventually('the InMemoryChannel CRD to be served', 60_000, async () => {
    await admin.list('messaging.knative.dev/v1', 'InMemoryChannel', undefined);
    return true;
  });
}

/**
 * What kubelet and kube-proxy would make of a Deployment here: the Service, one ready endpoint on
 * loopback (EndpointSlice) and, for the dispatcher, an available Deployment.
 */
async function registerPod(
  plane: ControlPlane,
  name: string,
  port: number,
  withDeployment: boolean,
): Promise<void> {
  const labels = { 'app.kubernetes.io/name': name };
  const objects: KubeObject[] = [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: SYSTEM_NAMESPACE, labels },
      spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: port }] },
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: `${name}-loopback`,
        namespace: SYSTEM_NAMESPACE,
        labels: { 'kubernetes.io/service-name': name },
      },
      addressType: 'IPv4',
      // The API server refuses loopback endpoint addresses; nothing dials this one (the proxy
      // routes by name), the reconcilers only read that a ready endpoint exists.
      endpoints: [{ addresses: [STAND_IN_POD_IP], conditions: { ready: true } }],
      ports: [{ name: 'http', port, protocol: 'TCP' }],
    },
  ];
  if (withDeployment)
    objects.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: SYSTEM_NAMESPACE, labels },
      spec: {
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name, image: `loopback/${name}` }] },
        },
      },
    });
  await plane.applyYaml(objects.map((o) => stringify(o)).join('---\n'));
  if (withDeployment)
    await plane
      .kubeConfig()
      .makeApiClient(AppsV1Api)
      .patchNamespacedDeploymentStatus(
        {
          name,
          namespace: SYSTEM_NAMESPACE,
          body: {
            status: {
              replicas: 1,
              readyReplicas: 1,
              availableReplicas: 1,
              updatedReplicas: 1,
              conditions: [
                { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
              ],
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
}

/** What Knative Serving reports for a ready Service: its cluster-local address. */
async function markServiceReady(plane: ControlPlane, service: KubeObject): Promise<void> {
  const { name, namespace } = service.metadata;
  const url = `http://${name}.${namespace}.svc.cluster.local`;
  await plane
    .kubeConfig()
    .makeApiClient(CustomObjectsApi)
    .patchNamespacedCustomObjectStatus(
      {
        group: 'serving.knative.dev',
        version: 'v1',
        namespace: namespace!,
        plural: 'services',
        name,
        body: {
          status: {
            url,
            address: { url },
            conditions: [
              { type: 'Ready', status: 'True' },
              { type: 'ConfigurationsReady', status: 'True' },
              { type: 'RoutesReady', status: 'True' },
            ],
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
}

/** A Trigger's path on the broker filter: /triggers/NAMESPACE/NAME/UID. */
const TRIGGER_PATH = /^\/triggers\/([^/]+)\/([^/]+)\/[^/]+$/;

/**
 * Turns what crossed the proxy into the stand-in's record (events accepted by the ingress,
 * deliveries per Trigger, dead letters), so the suite asserts the same things on either Broker.
 * In the MT channel-based Broker a Trigger's `delivery` is its Subscription's: the dispatcher
 * posts the event to the filter's Trigger path, the filter makes one attempt at the subscriber and
 * answers with its status, the dispatcher retries the filter with the Trigger's backoff and in
 * the end posts the event to the dead-letter sink (`knativeerrordest` = the Trigger's path).
 * So one filter exchange for a matching event is one attempt; the filter answers 2xx without
 * calling anyone for an event the Trigger's filter drops.
 */
class Recorder {
  readonly events: BrokerEvent[] = [];
  readonly deliveries: Delivery[] = [];
  readonly deadLetters: Delivery[] = [];
  readonly activity = new Activity();
  /** Trigger name → the Knative Service it delivers to. */
  readonly subscriberOf: Map<string, string>;
  private readonly deadLetterService: string;
  private readonly log: (line: string) => void;
  private subscriberCalls: Array<{ id: string; service: string; at: number }> = [];
  /** Attempts so far per event id and Trigger, until delivered or dead-lettered. */
  private pending = new Map<string, { attempts: number; status: number; startedAt: number }>();

  constructor(
    subscriberOf: Map<string, string>,
    deadLetterService: string,
    log: (line: string) => void,
  ) {
    this.subscriberOf = subscriberOf;
    this.deadLetterService = deadLetterService;
    this.log = log;
  }

  start(): void {
    this.activity.begin();
  }

  record(x: Exchange): void {
    this.activity.end();
    const event = parseHttpEvent(x.requestHeaders, x.requestBody, x.host, x.startedAt);
    const id = event?.attributes['id'];
    const svc = serviceOfHost(x.host);
    if (!event || !id || !svc) return;
    if (svc[1] === SYSTEM_NAMESPACE && svc[0] === 'broker-ingress') {
      if (x.status >= 200 && x.status < 300) this.events.push(event);
    } else if (svc[1] === SYSTEM_NAMESPACE && svc[0] === 'broker-filter') {
      this.attempted(x, event, id);
    } else if (svc[0] === this.deadLetterService) {
      this.deadLettered(x, event, id);
    } else this.subscriberCalls.push({ id, service: svc[0], at: x.startedAt });
  }

  private attempted(x: Exchange, event: BrokerEvent, id: string): void {
    const trigger = TRIGGER_PATH.exec(x.path)?.[2];
    const service = trigger ? this.subscriberOf.get(trigger) : undefined;
    if (!trigger || !service) return;
    const called = this.subscriberCalls.some(
      (c) => c.id === id && c.service === service && c.at >= x.startedAt,
    );
    const key = `${id} ${trigger}`;
    const accepted = x.status >= 200 && x.status < 300;
    if (!called && accepted && !this.pending.has(key)) return; // the Trigger's filter dropped it
    const so = this.pending.get(key) ?? { attempts: 0, status: -1, startedAt: x.startedAt };
    so.attempts++;
    so.status = x.status;
    this.pending.set(key, so);
    if (!accepted) return; // the dispatcher retries, or dead-letters it
    this.pending.delete(key);
    this.deliveries.push({
      event,
      trigger,
      subscriber: service,
      attempts: so.attempts,
      status: so.status,
      outcome: 'delivered',
      startedAt: so.startedAt,
      doneAt: x.doneAt,
    });
  }

  private deadLettered(x: Exchange, event: BrokerEvent, id: string): void {
    // knativeerrordest is the subscriber's URL as the filter reported it back to the dispatcher.
    const dest = new URL(event.attributes['knativeerrordest'] ?? '/', 'http://unknown');
    const service = serviceOfHost(dest.hostname)?.[0];
    const trigger =
      [...this.pending.keys()]
        .filter((k) => k.startsWith(`${id} `))
        .map((k) => k.slice(id.length + 1))
        .find((t) => this.subscriberOf.get(t) === service) ?? `(${dest.href})`;
    const key = `${id} ${trigger}`;
    const so = this.pending.get(key) ?? { attempts: 0, status: -1, startedAt: x.startedAt };
    this.pending.delete(key);
    const d: Delivery = {
      event,
      trigger,
      subscriber: this.subscriberOf.get(trigger) ?? dest.host,
      attempts: so.attempts,
      status: Number(event.attributes['knativeerrorcode'] ?? so.status),
      outcome: 'dead-letter',
      startedAt: so.startedAt,
      doneAt: x.doneAt,
    };
    this.deliveries.push(d);
    this.deadLetters.push(d);
    this.log(
      `knative broker: dead letter after ${d.attempts} attempt(s), status ${d.status}: ${event.attributes['type']} → ${trigger}`,
    );
  }
}

export interface KnativeBrokerOptions {
  plane: ControlPlane;
  admin: Kube;
  bins: Record<string, string>;
  /** The applied config (Brokers and Triggers already defaulted by Knative). */
  config: readonly KubeObject[];
  functions: readonly RunningFunction[];
  dir: string;
  options: StartOptions;
  log: (line: string) => void;
}

export async function startKnativeBroker(o: KnativeBrokerOptions): Promise<KnativeBroker> {
  const { plane, admin, config, dir, log } = o;
  const bins: Binaries = {
    controllers: o.bins['knative-broker-controllers']!,
    ingress: o.bins['ingress']!,
    filter: o.bins['filter']!,
    dispatcher: o.bins['channel_dispatcher']!,
  };
  const brokerObj = config.find((x) => x.kind === 'Broker');
  if (!brokerObj) throw new Error('the config has no Broker');
  const triggers = config.filter((x) => x.kind === 'Trigger');
  const subscriberOf = new Map(
    triggers.map((t) => [
      t.metadata.name,
      (t['spec'] as { subscriber: { ref: { name: string } } }).subscriber.ref.name,
    ]),
  );
  const deadLetterService = 'dead-letter';
  const recorder = new Recorder(subscriberOf, deadLetterService, log);
  const processes: Managed[] = [];
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    await stopAll(processes);
  };
  try {
    await installEventingSystem(plane, admin);
    const proxy: ClusterProxy = await startClusterProxy({
      admin,
      onStart: () => recorder.start(),
      onExchange: (x) => recorder.record(x),
      log,
    });
    closers.push(() => proxy.close());

    // Each Knative Service of the config: ready at its cluster-local name, which the proxy routes
    // to the function's process; the dead-letter Service to a recorder that answers 202.
    const sink = createServer((req: IncomingMessage, res) => {
      req.resume();
      req.on('end', () => res.writeHead(202).end());
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => sink.close(() => r())));
    const sinkPort = (sink.address() as { port: number }).port;
    const services = config.filter(
      (x) => x.kind === 'Service' && x.apiVersion.startsWith('serving.knative.dev/'),
    );
    for (const svc of services) {
      const ns = svc.metadata.namespace!;
      const fn = o.functions.find((f) => f.service === svc.metadata.name);
      if (fn) proxy.register(svc.metadata.name, ns, { port: Number(new URL(fn.url).port) });
      else if (svc.metadata.name === deadLetterService)
        proxy.register(svc.metadata.name, ns, { port: sinkPort });
      else throw new Error(`no process stands for Knative Service ${ns}/${svc.metadata.name}`);
      await markServiceReady(plane, svc);
    }

    const [ingressPort, ingressTls, filterPort, filterTls] = await Promise.all(
      [0, 1, 2, 3].map(() => freePort()),
    );
    proxy.register('broker-ingress', SYSTEM_NAMESPACE, { port: ingressPort! });
    proxy.register('broker-filter', SYSTEM_NAMESPACE, { port: filterPort! });
    await registerPod(plane, 'broker-ingress', ingressPort!, false);
    await registerPod(plane, 'broker-filter', filterPort!, false);
    await registerPod(plane, 'imc-dispatcher', DISPATCHER_PORT, true);

    const common = async (component: string): Promise<Record<string, string>> => ({
      KUBECONFIG: plane.kubeconfigPath,
      SYSTEM_NAMESPACE,
      POD_NAME: `${component}-loopback`,
      CONTAINER_NAME: component,
      PROFILING_PORT: String(await freePort()),
      HTTP_PROXY: proxy.url,
    });
    const start = async (name: string, exe: string, env: Record<string, string>) => {
      const m = startProcess(name, exe, [], join(dir, `${name}.log`), {
        ...o.options,
        cleanEnv: true,
        env: { ...(await common(name)), ...env },
      });
      processes.push(m);
      return m;
    };
    await start('knative-broker-controllers', bins.controllers, {
      // Read only for namespace-scoped channels, which the config does not use.
      DISPATCHER_IMAGE: 'ko://knative.dev/eventing/cmd/in_memory/channel_dispatcher',
    });
    await start('broker-ingress', bins.ingress, {
      INGRESS_PORT: String(ingressPort),
      INGRESS_PORT_HTTPS: String(ingressTls),
    });
    await start('broker-filter', bins.filter, {
      NAMESPACE: SYSTEM_NAMESPACE,
      FILTER_PORT: String(filterPort),
      FILTER_PORT_HTTPS: String(filterTls),
    });
    const apiPort = Number(new URL(plane.server).port);
    const { reaper, ...rest } = o.options;
    const dispatcher = await startInNetns(
      'imc-dispatcher',
      bins.dispatcher,
      [],
      dir,
      { outbound: [apiPort, proxy.port], inbound: [DISPATCHER_PORT] },
      {
        ...rest,
        ...(reaper ? { reaper } : {}),
        cleanEnv: true,
        env: {
          ...(await common('imc-dispatcher')),
          MAX_IDLE_CONNS: '1000',
          MAX_IDLE_CONNS_PER_HOST: '1000',
        },
      },
    );
    processes.push(...dispatcher.processes);
    closers.push(() => dispatcher.close());
    proxy.register('imc-dispatcher', SYSTEM_NAMESPACE, {
      socketPath: dispatcher.socketPath(DISPATCHER_PORT),
    });

    // Ready as Knative itself decides it: the Broker (channel, ingress, filter, dead-letter
    // sink resolved), then every Trigger (its Subscription on the channel, subscriber resolved).
    const ref = (x: KubeObject) => ({
      apiVersion: x.apiVersion,
      kind: x.kind,
      namespace: x.metadata.namespace!,
      name: x.metadata.name,
    });
    const watched = [brokerObj, ...triggers];
    let last: KubeObject | undefined;
    const brokerNow = await eventually(
      `the Broker and its ${triggers.length} Triggers to be Ready`,
      180_000,
      async () => {
        for (const x of watched) {
          last = await admin.get(ref(x));
          if (!ready(last)) return undefined;
        }
        return admin.get(ref(brokerObj));
      },
      500,
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${last?.kind} ${last?.metadata.name}: ${notReadyWhy(last)}`);
    });
    const url = (brokerNow!['status'] as { address: { url: string } }).address.url;
    log(`knative broker: Broker Ready at ${url}, ${triggers.length} Triggers Ready`);

    const publish = (e: BrokerEvent): void => {
      recorder.activity.touch();
      const target = new URL(url);
      const req = request({
        host: '127.0.0.1',
        port: proxy.port,
        method: 'POST',
        path: target.href,
        headers: { ...binaryHeaders(e), host: target.host },
      });
      req.on('error', (err) => log(`knative broker: publish: ${err.message}`));
      req.end(e.body);
    };
    return {
      url,
      proxyUrl: proxy.url,
      processes,
      async addService(service, port, triggerNames) {
        proxy.register(service.metadata.name, service.metadata.namespace!, { port });
        for (const t of triggerNames) recorder.subscriberOf.set(t, service.metadata.name);
        await markServiceReady(plane, service);
      },
      events: recorder.events,
      deliveries: recorder.deliveries,
      deadLetters: recorder.deadLetters,
      publish,
      idle: () => recorder.activity.idle(),
      settled: (quietMs = 1500, timeoutMs = 120_000) =>
        recorder.activity.settled(quietMs, timeoutMs),
      touch: () => recorder.activity.touch(),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * The config with its Brokers and Triggers as Knative's webhook would store them (the broker
 * class annotation, the channel config and delivery defaults, the subscriber's namespace): no
 * webhook runs here, and the reconcilers only pick up a Broker of their class.
 */
export async function withKnativeDefaults(config: readonly KubeObject[]): Promise<KubeObject[]> {
  const { admit } = await import('../../knative/knative-admission.ts');
  const eventing = config.filter((x) => x.kind === 'Broker' || x.kind === 'Trigger');
  const { results } = await admit(eventing);
  if (results.length !== eventing.length)
    throw new Error(`knative-admission answered ${results.length} of ${eventing.length} objects`);
  const defaulted = new Map<KubeObject, KubeObject>();
  results.forEach((r, i) => {
    if (r.errors?.length) throw new Error(`Knative refuses ${r.object}: ${r.errors.join('; ')}`);
    if (!r.defaulted) throw new Error(`knative-admission gave no defaulted ${r.object}`);
    // Status belongs to the reconcilers (and the status subresource ignores it on apply).
    const rest: KubeObject = { ...r.defaulted };
    delete rest['status'];
    defaulted.set(eventing[i]!, rest);
  });
  return config.map((x) => defaulted.get(x) ?? x);
}
