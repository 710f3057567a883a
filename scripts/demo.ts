// `npm run demo`: the product's main job on a local control plane, start to finish, in plain words.
//   1. start etcd + kube-apiserver with the VM Operator, Velero and Knative CRDs (test/harness);
//   2. apply config/overlays/dev as rendered by kustomize (ServiceAccounts, RBAC, Broker, Triggers,
//      sources, ConfigMaps: the Knative objects are stored, no Knative controller runs here);
//   3. start every function as the image does, each as its own ServiceAccount;
//   4. stand in for Knative: watch what the ApiServerSources watch and deliver the same CloudEvents
//      through the Triggers (retries, replies back into the Broker: scripts/broker-standin/);
//   5. create a namespace with two groups (one nested), show the labels and the backup command;
//      print what a restore of it brings back per VM (the labeler's Backup report), then verify
//      the backup (the verifier reads the item list Velero would have written);
//   6. restore it the way Velero does (resource modifiers, item order, as Velero's ServiceAccount)
//      and show the power-on order.
// With the VM Operator binaries built (or --vm-operator), step 1 starts the real VM Operator on
// govmomi's vCenter simulator instead (scripts/demo/vm-operator.ts): nothing then stands in for VM
// Operator, and the summary adds when vCenter powered each restored VM on.
// Ends with a summary and checks; exit 0 when every check holds. --keep leaves it all running.
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { functionNames } from '../functions/registry.ts';
import { createKube } from '../functions/runtime/kube/kube.ts';
import type { Kube, KubeObject } from '../functions/runtime/kube/kube-api.ts';
import {
  ANNOTATION_CAPTURED_NETWORK,
  ANNOTATION_LABELLED_SECRETS,
  RESOURCE_MODIFIER_CONFIGMAP,
  memberLabelKey,
} from '../functions/vmgroup/names.ts';
import { startControlPlane } from '../test/harness/index.ts';
import type { ControlPlane } from '../test/harness/index.ts';
import { startVmOperatorPlane } from '../test/harness/vm-operator.ts';
import type { VmOperatorPlane } from '../test/harness/vm-operator.ts';
import { ensureNamespaces, failures, serverSideApply } from '../test/config/cluster-apply.ts';
import { rawRequest } from '../test/harness/cluster-api.ts';
import { CONFIG_DIR, kustomizeBuild } from '../test/config/render.ts';
import { startBroker } from './broker-standin/broker.ts';
import type { Broker, Delivery } from './broker-standin/broker.ts';
import { NO_RESPONSE } from './broker-standin/delivery.ts';
import { routesOf } from './broker-standin/routes.ts';
import { fromInboundEvent } from './broker-standin/wire.ts';
import {
  EXPECTED_ORDER,
  KEPT_OFF,
  NAMESPACE,
  NESTED_GROUP,
  OUTSIDE,
  READINESS,
  TOP_GROUP,
  WEB_SERVICE,
  application,
  networkStatus,
  secrets,
} from './demo/fixture.ts';
import { startFunction, stopFunctions } from './demo/functions.ts';
import type { RunningFunction } from './demo/functions.ts';
import { restoreInto, veleroIdentity } from './demo/restore.ts';
import type { PowerOn } from './demo/restore.ts';
import { say, table } from './demo/say.ts';
import { startSources, toCloudEvent } from './demo/source.ts';
import type { RunningSources, WatchedChange } from './demo/source.ts';
import { watchProductEvents } from './demo/product-events.ts';
import { showVerification } from './demo/verify.ts';
import { showFidelity } from './demo/fidelity.ts';
import { missingVmOperatorBinaries, vsphereLine } from './demo/vsphere.ts';
import { chooseMode, describeTimes, figureLine, vsphereChecks } from './demo/vsphere-times.ts';
import type { ModeChoice, VsphereTime } from './demo/vsphere-times.ts';
import {
  VM_OPERATOR_GATE,
  VM_OPERATOR_NOTES,
  VM_OPERATOR_VARIANT,
  restoredTimes,
  untilRunningInVsphere,
  watchSimulator,
} from './demo/vm-operator.ts';
import type { SimulatorWatch } from './demo/vm-operator.ts';
import type { Variant } from './demo/fixture.ts';
import type { ProductEvent } from './demo/product-events.ts';

const HELP = `Usage: npm run demo [-- [--keep] [--vm-operator | --plain]]

Runs velero-vmgroup-functions end to end on a local control plane it starts itself (etcd +
kube-apiserver built from Go modules on first use, which takes a while once), then cleans up.

  --keep            leave the control plane and the functions running; prints the kubeconfig
                    path. Stop with Ctrl-C.
  --vm-operator     run the real VM Operator v1.10.0 on govmomi's vCenter simulator (builds its
                    binaries first if needed: needs Go, ~4 min once). The default when both
                    binaries (vm-operator, vmop-vcsim) are already built.
  --plain, --no-vm-operator
                    the plain control plane even when the VM Operator binaries are built
  --help            this text

Plain mode: no VM Operator runs; the demo writes what it would report (VM status), and the
power-on times printed are those the restore sequencer wrote (spec.powerState).
VM Operator mode: VM Operator admits the restored VMs (created as Velero's ServiceAccount),
creates them in the simulator powered off while held and powers them on when the sequencer
releases them; the summary prints, per VM, the release time and when vCenter powered it on.
The simulator gives VMs no IP address, so the group's gate is powered-on there instead of has-ip.
Get the binaries once with \`node scripts/binaries/ensure.ts vm-operator\` (needs Go, ~4 min);
\`npm run test:vm-operator\` runs the fuller suite on the same plane.`;

const PRODUCT_NS = 'vmgroup-backup';
const VELERO_NS = 'velero';
const RESTORED_NS = `${NAMESPACE}-restored`;

interface Check {
  what: string;
  ok: boolean;
  detail?: string;
}

interface Run {
  plane: ControlPlane;
  mode: ModeChoice;
  /** Set in VM Operator mode. */
  vmop?: VmOperatorPlane;
  sim?: SimulatorWatch;
  variant: Variant;
  /** The top group's readiness gate. */
  gate: string;
  /** Velero's ServiceAccount: the restore creates its items as it. */
  velero: Kube;
  restoreStartMs: number;
  admin: Kube;
  config: KubeObject[];
  fns: RunningFunction[];
  broker: Broker;
  sources?: RunningSources;
  stopEvents?: () => void;
  productEvents: ProductEvent[];
  checks: Check[];
  /** Plain-words facts for the summary, in the order they happened. */
  facts: string[];
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    allowNegative: true,
    options: {
      keep: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      'vm-operator': { type: 'boolean' },
      plain: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const mode = chooseMode(
    {
      ...(values['vm-operator'] !== undefined ? { vmOperator: values['vm-operator'] } : {}),
      ...(values.plain !== undefined ? { plain: values.plain } : {}),
    },
    missingVmOperatorBinaries(),
  );
  const log = (l: string) => say.detail(l);
  let plane: ControlPlane;
  let vmop: VmOperatorPlane | undefined;
  if (mode.mode === 'vm-operator') {
    say.step(
      `Starting a local Kubernetes control plane with the real VM Operator v1.10.0 (webhooks, conversion, controllers) on govmomi's vCenter simulator (${mode.why})`,
    );
    vmop = await startVmOperatorPlane({ log });
    plane = vmop;
    say.line(
      'VM Operator mode: nothing in this demo writes a VM status; what changes from the plain demo:',
    );
    for (const n of VM_OPERATOR_NOTES) say.detail(n);
  } else {
    say.step(
      `Starting a local Kubernetes control plane (etcd + kube-apiserver, RBAC on) with the VM Operator, Velero and Knative CRDs (plain mode: ${mode.why})`,
    );
    plane = await startControlPlane({ log });
  }
  const run = await setUp(plane, mode, vmop);
  run.facts.push(
    vmop
      ? `mode: the real VM Operator v1.10.0 on govmomi's vCenter simulator (${mode.why}); nothing in the demo wrote a VM status`
      : `mode: plain control plane, no VM Operator (${mode.why}); the demo wrote the VM status VM Operator would`,
  );
  let exit = 1;
  try {
    await phaseBackup(run);
    say.line(
      "what a restore of this backup brings back, per VM (the labeler's Backup report, reply backup.expanded):",
    );
    run.checks.push(
      showFidelity(run.broker.events, `${NAMESPACE}-backup`, [
        ...EXPECTED_ORDER.map((e) => e.vm),
        ...KEPT_OFF,
      ]),
    );
    const backupSnapshot = await backedUpObjects(run);
    run.checks.push(
      await showVerification(run.admin, {
        backup: `${NAMESPACE}-backup`,
        veleroNs: VELERO_NS,
        namespace: NAMESPACE,
        objects: backupSnapshot,
      }),
    );
    await run.broker.settled();
    const powerOns = await phaseRestore(run, backupSnapshot);
    const times = await vsphereOutcome(run, powerOns);
    exit = summary(run, powerOns, times);
  } finally {
    if (values.keep) await keep(run);
    await tearDown(run);
  }
  return exit;
}

async function setUp(
  plane: ControlPlane,
  mode: ModeChoice,
  vmop: VmOperatorPlane | undefined,
): Promise<Run> {
  say.step('Applying config/overlays/dev, rendered by kustomize, to the cluster');
  const config = await kustomizeBuild(`${CONFIG_DIR}/overlays/dev`);
  const kc = plane.kubeConfig();
  await ensureNamespaces(
    kc,
    new Set(config.map((o) => o.metadata.namespace).filter((n): n is string => Boolean(n))),
  );
  const applied = await serverSideApply(kc, config, { dryRun: false });
  const failed = failures(applied);
  if (failed.length > 0)
    throw new Error(`the API server refused parts of the config:\n${failed.join('\n')}`);
  const byKind = new Map<string, number>();
  for (const o of config) byKind.set(o.kind, (byKind.get(o.kind) ?? 0) + 1);
  say.line(
    `applied ${config.length} objects: ${[...byKind].map(([k, n]) => `${n} ${k}`).join(', ')}`,
  );
  say.detail(
    '(no Knative controller runs here: this demo delivers the events itself, through those Triggers)',
  );

  say.step(
    'Starting the functions, each as its own ServiceAccount with the RBAC the config grants',
  );
  const fns: RunningFunction[] = [];
  for (const name of functionNames()) {
    fns.push(
      await startFunction(
        name,
        await plane.kubeconfigForServiceAccount(PRODUCT_NS, name),
        plane.dir,
      ),
    );
    say.line(`${name.padEnd(20)} ready at ${fns.at(-1)?.url}`);
  }
  const run: Run = {
    plane,
    mode,
    ...(vmop ? { vmop } : {}),
    variant: vmop ? { ...VM_OPERATOR_VARIANT, readiness: VM_OPERATOR_GATE } : {},
    gate: vmop ? VM_OPERATOR_GATE : READINESS,
    velero: await veleroIdentity(plane, VELERO_NS),
    restoreStartMs: 0,
    admin: createKube(plane.kubeconfigPath),
    config,
    fns,
    broker: await startBroker({
      routes: routesOf(config),
      subscribers: new Map(fns.map((f) => [f.name, f.url])),
      onDelivery,
    }),
    productEvents: [],
    checks: [],
    facts: [],
  };
  say.step(
    'Standing in for Knative: watching what the ApiServerSources watch, delivering through the Triggers',
  );
  run.sources = await startSources(
    config,
    (sa) => plane.kubeconfigForServiceAccount(PRODUCT_NS, sa),
    (change) => publish(run, change),
    (apiVersion) =>
      apiVersion.startsWith('datamover.cnsdp.vmware.com/') && !process.env['DEMO_WATCH_UPLOADS'],
  );
  run.stopEvents = await watchProductEvents(kc, VELERO_NS, (e) => {
    run.productEvents.push(e);
    say.line(`Event on ${e.on}: ${e.reason}`);
    say.detail(e.message.length > 300 ? `${e.message.slice(0, 299)}…` : e.message);
  });
  say.line(
    `${config.filter((o) => o.kind === 'ApiServerSource').length} sources, ${config.filter((o) => o.kind === 'Trigger').length} Triggers`,
  );
  if (vmop)
    run.sim = watchSimulator(vmop, (v) => say.line(`vCenter powered on ${v.name} (${v.moid})`));
  return run;
}

function publish(run: Run, change: WatchedChange): void {
  run.broker.touch();
  run.broker.publish(fromInboundEvent(toCloudEvent(change), `ApiServerSource/${change.source}`));
}

function onDelivery(d: Delivery): void {
  if (d.outcome !== 'delivered') {
    const answer = d.status === NO_RESPONSE ? 'never answered' : `answered ${d.status}`;
    say.line(
      `! ${d.subscriber} ${answer} to ${d.event.attributes['type']} after ${d.attempts} attempt(s)`,
    );
  }
  if (d.reply) say.line(`${d.subscriber} replied ${d.reply}`);
}

async function createApplication(run: Run): Promise<void> {
  const app = application(NAMESPACE, run.variant);
  await ensureNamespaces(run.plane.kubeConfig(), [NAMESPACE]);
  if (run.vmop) {
    await run.vmop.prepareNamespace(NAMESPACE);
    say.line(
      `namespace ${NAMESPACE} prepared as a vSphere Namespace: folder and resource pool in the simulator, zone, class, image, storage quota`,
    );
  }
  const objects = [...secrets(), ...app.configMaps, ...app.pvcs, ...app.groups, ...app.vms];
  for (const o of [...objects, ...app.services]) await run.admin.create(o);
  // What VM Operator would report once the VMs run: the labeler copies it for the restore.
  // With the real VM Operator, it reports for itself.
  for (const [i, v] of run.vmop ? [] : app.vms.entries()) {
    const path = `/apis/${v.apiVersion}/namespaces/${NAMESPACE}/virtualmachines/${v.metadata.name}/status`;
    const res = await rawRequest(run.plane.kubeConfig(), 'PATCH', path, {
      body: JSON.stringify({ status: networkStatus(i) }),
      contentType: 'application/merge-patch+json',
    });
    if (res.status !== 200) throw new Error(`status of ${v.metadata.name}: ${res.status}`);
  }
  say.line(
    `created in namespace ${NAMESPACE}: groups ${TOP_GROUP} (db, then group ${NESTED_GROUP} after 3s) and ${NESTED_GROUP} (web-1, then web-2 and web-canary after 2s)`,
  );
  say.detail(
    `with their bootstrap Secret db-cloud-init, ConfigMap web-cloud-config${app.pvcs.length ? ' and PVCs' : ''}; web-canary is powered off on purpose;`,
  );
  say.detail(
    `VirtualMachineService ${WEB_SERVICE} fronts the web VMs (its selector matches their label);`,
  );
  say.detail(
    `group ${TOP_GROUP} asks for a readiness gate (vmgroup-backup.dev/readiness-gate=${run.gate}): on restore, the web tier waits for db ${gateWords(run.gate)}`,
  );
  say.detail(
    `${OUTSIDE.vm} (with Secret ${OUTSIDE.secret}${app.pvcs.length ? ' and PVC jumpbox-home' : ''}) belongs to no group`,
  );
}

/** What a gate waits for, after "waits for db". */
const gateWords = (gate: string): string =>
  gate === 'has-ip'
    ? 'to have an IP address'
    : gate === 'powered-on'
      ? 'to be powered on (VM Operator reports status.powerState PoweredOn once vCenter did it)'
      : `to pass ${gate}`;

async function phaseBackup(run: Run): Promise<void> {
  say.step(`Creating the application in namespace ${NAMESPACE}`);
  await createApplication(run);
  if (run.vmop) {
    say.line(
      'VM Operator creates the VMs in vSphere and powers on those whose spec says PoweredOn',
    );
    const { moids, pending } = await untilRunningInVsphere(run.admin, NAMESPACE, 10 * 60_000);
    say.detail(
      `in vSphere: ${[...moids].map(([n, m]) => `${n} ${m}`).join(', ')}${pending.length ? `; not yet as asked: ${pending.join(', ')}` : ''}`,
    );
    run.checks.push({
      what: `VM Operator runs every VM of ${NAMESPACE} in vSphere in its spec's power state before the backup`,
      ok: pending.length === 0,
      ...(pending.length ? { detail: pending.join(', ') } : {}),
    });
  }
  // A loaded machine may stretch the chain watch → event → labeler → patch → watch: wait for the
  // outcome (bounded), then for the event flow to go quiet.
  await until(async () => count(await labelled(run, TOP_GROUP), 'VirtualMachine') >= 4, 30_000);
  await run.broker.settled();
  say.step('What the backup labeler did (every change arrived as an ApiServerSource CloudEvent)');
  await reportLabels(run);

  say.step('Backing up the group with Velero');
  const key = memberLabelKey(TOP_GROUP);
  say.line('the command a user runs:');
  const backupCommand = `velero backup create ${NAMESPACE}-backup --include-namespaces ${NAMESPACE} --selector ${key}`;
  say.detail(backupCommand);
  run.facts.push(`backup: ${backupCommand}`);
  await run.admin.create({
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: { name: `${NAMESPACE}-backup`, namespace: VELERO_NS },
    spec: {
      includedNamespaces: [NAMESPACE],
      labelSelector: { matchExpressions: [{ key, operator: 'Exists' }] },
      storageLocation: 'default',
    },
    status: { phase: 'New' },
  });
  await until(
    async () => run.productEvents.some((e) => e.on === `Backup ${NAMESPACE}-backup`),
    30_000,
  );
  await run.broker.settled();
}

/** Polls `done` until it holds or the time is up (the checks in the summary then tell). */
async function until(done: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done()) && Date.now() < deadline) await sleep(200);
}

async function labelled(run: Run, group: string): Promise<KubeObject[]> {
  const labelSelector = memberLabelKey(group);
  const lists = await Promise.all(
    [
      ['vmoperator.vmware.com/v1alpha5', 'VirtualMachineGroup'],
      ['vmoperator.vmware.com/v1alpha5', 'VirtualMachine'],
      ['vmoperator.vmware.com/v1alpha5', 'VirtualMachineService'],
      ['v1', 'ConfigMap'],
      ['v1', 'PersistentVolumeClaim'],
    ].map(([av, k]) => run.admin.list(av as string, k as string, NAMESPACE, { labelSelector })),
  );
  return lists.flatMap((l) => l.items);
}

async function reportLabels(run: Run): Promise<void> {
  const top = await labelled(run, TOP_GROUP);
  const nested = await labelled(run, NESTED_GROUP);
  const groupObj = await run.admin.get({
    apiVersion: 'vmoperator.vmware.com/v1alpha5',
    kind: 'VirtualMachineGroup',
    namespace: NAMESPACE,
    name: TOP_GROUP,
  });
  const labelledSecrets = JSON.parse(
    groupObj?.metadata.annotations?.[ANNOTATION_LABELLED_SECRETS] ?? '[]',
  ) as string[];
  const rows = [['object', memberLabelKey(TOP_GROUP), memberLabelKey(NESTED_GROUP)]];
  for (const o of top)
    rows.push([
      `${o.kind} ${o.metadata.name}`,
      o.metadata.labels?.[memberLabelKey(TOP_GROUP)] ?? '',
      nested.some((n) => n.kind === o.kind && n.metadata.name === o.metadata.name)
        ? (o.metadata.labels?.[memberLabelKey(NESTED_GROUP)] ?? '')
        : '',
    ]);
  for (const s of labelledSecrets) rows.push([`Secret ${s}`, 'Secret', '']);
  for (const r of table(rows)) say.detail(r);
  const labels = rows.slice(1).reduce((n, r) => n + r.slice(1).filter(Boolean).length, 0);
  run.facts.push(
    `labels applied: ${labels} membership labels on ${rows.length - 1} objects (${top.length} listed by label, ${plural(labelledSecrets.length, 'Secret')} recorded on the group, never read)`,
  );
  say.line(`${deliveriesTo(run, 'backup-labeler')} CloudEvents delivered to backup-labeler so far`);
  const captured = top
    .filter((o) => o.metadata.annotations?.[ANNOTATION_CAPTURED_NETWORK])
    .map((o) => o.metadata.name);
  say.line(`network identity captured for restore on: ${captured.join(', ') || '(none)'}`);
  const pvcs = run.variant.volumes === false ? 0 : 3;
  type Net = { primaryIP4?: string; primaryIP6?: string; interfaces?: unknown[] };
  const networkOf = (o: KubeObject) => (o as { status?: { network?: Net } }).status?.network;
  const reporting = top
    .filter((o) => o.kind === 'VirtualMachine' && (networkOf(o)?.interfaces?.length ?? 0) > 0)
    .map((o) => o.metadata.name);
  const addressed = reporting.filter((n) => {
    const net = networkOf(top.find((o) => o.metadata.name === n)!);
    return Boolean(net?.primaryIP4 ?? net?.primaryIP6);
  });
  const outside =
    top.some((o) => o.metadata.name.startsWith(OUTSIDE.vm)) ||
    labelledSecrets.includes(OUTSIDE.secret);
  run.checks.push(
    {
      what: `every object of group ${TOP_GROUP} is labelled (2 groups, 4 VMs, 1 VirtualMachineService, 1 ConfigMap, ${plural(pvcs, 'PVC')}, 1 Secret)`,
      ok:
        count(top, 'VirtualMachineGroup') === 2 &&
        count(top, 'VirtualMachine') === 4 &&
        count(top, 'VirtualMachineService') === 1 &&
        count(top, 'ConfigMap') === 1 &&
        count(top, 'PersistentVolumeClaim') === pvcs &&
        labelledSecrets.length === 1 &&
        labelledSecrets.includes('db-cloud-init'),
      detail: `${top.length} objects + ${plural(labelledSecrets.length, 'Secret')}`,
    },
    {
      what: `the nested group ${NESTED_GROUP} carries its own label on its members`,
      ok: count(nested, 'VirtualMachine') === 3,
    },
    {
      what: `${OUTSIDE.vm}, its Secret${pvcs ? ' and PVC' : ''} are left out`,
      ok: !outside,
    },
    run.vmop
      ? {
          // No guest runs in the simulator: VM Operator reports interfaces and MACs, no address.
          what: 'network identity captured on every VM of the group VM Operator reports interfaces for',
          ok: reporting.length > 0 && reporting.every((n) => captured.includes(n)),
          detail: `${reporting.length} VMs, ${addressed.length} with an IP address`,
        }
      : { what: 'network identity captured on the VMs that report one', ok: captured.length >= 4 },
  );
}

const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

const count = (objs: KubeObject[], kind: string): number =>
  objs.filter((o) => o.kind === kind).length;

/** What Velero would store for `--selector`: the labelled objects as they are now. Secrets come from the demo's own definition (it never reads them back). */
async function backedUpObjects(run: Run): Promise<KubeObject[]> {
  const objs = await labelled(run, TOP_GROUP);
  const group = objs.find((o) => o.kind === 'VirtualMachineGroup' && o.metadata.name === TOP_GROUP);
  const names = JSON.parse(
    group?.metadata.annotations?.[ANNOTATION_LABELLED_SECRETS] ?? '[]',
  ) as string[];
  const secretObjs = secrets()
    .filter((s) => names.includes(s.metadata.name))
    .map((s) => ({
      ...s,
      metadata: { ...s.metadata, labels: { [memberLabelKey(TOP_GROUP)]: 'Secret' } },
    }));
  const outsider = objs.some((o) => o.metadata.name.startsWith(OUTSIDE.vm));
  run.facts.push(
    `the backup holds ${objs.length + secretObjs.length} objects of the group (plus the namespace); ${OUTSIDE.vm} is ${outsider ? 'WRONGLY among them' : 'not among them'}`,
  );
  say.line(
    `Velero would store ${objs.length + secretObjs.length} objects for that selector (the ${NAMESPACE} namespace comes along)`,
  );
  return [...secretObjs, ...objs];
}

async function phaseRestore(run: Run, backedUp: KubeObject[]): Promise<PowerOn[]> {
  say.step(`Restoring the backup into namespace ${RESTORED_NS}, the way Velero does`);
  say.line('the command a user runs:');
  const selector = memberLabelKey(TOP_GROUP);
  say.detail(
    `velero restore create ${NAMESPACE}-restore --from-backup ${NAMESPACE}-backup --selector ${selector} \\`,
  );
  say.detail(
    `  --namespace-mappings ${NAMESPACE}:${RESTORED_NS} --resource-modifier-configmap ${RESOURCE_MODIFIER_CONFIGMAP}`,
  );
  const plan = {
    backup: `${NAMESPACE}-backup`,
    restore: `${NAMESPACE}-restore`,
    from: NAMESPACE,
    to: RESTORED_NS,
    veleroNamespace: VELERO_NS,
    selector,
  };
  run.facts.push(
    `restore: velero restore create ${NAMESPACE}-restore --from-backup ${NAMESPACE}-backup --selector ${selector} --namespace-mappings ${NAMESPACE}:${RESTORED_NS} --resource-modifier-configmap ${RESOURCE_MODIFIER_CONFIGMAP}`,
  );
  const vmop = run.vmop;
  const result = await restoreInto(run.admin, run.plane, backedUp, plan, (text) => say.line(text), {
    creator: run.velero,
    simulateBoot: !vmop,
    ...(vmop
      ? {
          offer: async (ns: string) => {
            await vmop.prepareNamespace(ns);
            return `namespace ${ns} prepared as the platform team would: folder and resource pool in the simulator, zone, class, image and storage quota the VMs name`;
          },
          // VM Operator's lag from release to vSphere power-on (up to ~40 s under load) comes
          // before the gate passes.
          releaseTimeoutMs: 10 * 60_000,
        }
      : {}),
    onStart: (at) => (run.restoreStartMs = at),
  });
  say.line(
    `every item created as Velero's ServiceAccount (system:serviceaccount:${VELERO_NS}:velero)${vmop ? ": VM Operator's webhooks admitted each as not privileged" : ''}`,
  );
  await until(
    async () => run.productEvents.some((e) => e.reason === 'VMGroupRestoreReleased'),
    vmop ? 10 * 60_000 : 30_000,
  );
  await run.broker.settled();
  return result;
}

/** VM Operator mode, after the restore: when vCenter powered each restored VM on. */
async function vsphereOutcome(run: Run, powerOns: PowerOn[]): Promise<VsphereTime[]> {
  if (!run.vmop || !run.sim) return [];
  say.step('What vCenter did: the power-on of each restored VM in the simulator');
  const poweredOn = EXPECTED_ORDER.map((e) => e.vm);
  const times = await restoredTimes(run.vmop, run.admin, run.sim, {
    namespace: RESTORED_NS,
    all: [...poweredOn, ...KEPT_OFF],
    poweredOn,
    released: new Map(powerOns.map((p) => [p.name, p.at])),
    timeoutMs: 5 * 60_000,
  });
  const held = times
    .filter((t) => t.moid)
    .map((t) => `${t.name} ${run.sim?.firstSeen.get(t.moid!) ?? 'not seen'}`);
  say.line(
    `first seen in vCenter (held by the resource modifier until released): ${held.join(', ')}`,
  );
  return times;
}

const deliveriesTo = (run: Run, fn: string): number =>
  run.broker.deliveries.filter((d) => d.subscriber === fn).length;

/** VM Operator mode: prints each VM's release and vSphere power-on; returns the vSphere checks. */
function vsphereSummary(run: Run, times: VsphereTime[]): Check[] {
  if (!run.vmop) return [];
  say.line(
    "per VM: released by the sequencer (spec.powerState PoweredOn) → powered on by vCenter, times from the Restore's creation:",
  );
  for (const l of describeTimes(times, run.restoreStartMs)) say.detail(l);
  say.line(`figure: ${figureLine(times, run.restoreStartMs)}`);
  return vsphereChecks(
    times,
    {
      poweredOn: EXPECTED_ORDER.map((e) => e.vm),
      keptOff: KEPT_OFF,
      // The gate sits between the top group's stages: db, then the nested group web.
      gated: { before: ['db'], after: ['web-1', 'web-2'] },
    },
    run.sim?.now ?? new Map(),
  );
}

function summary(run: Run, powerOns: PowerOn[], times: VsphereTime[]): number {
  say.step('Summary');
  for (const f of run.facts) say.line(f);
  const byFunction = run.fns.map((f) => `${f.name} ${deliveriesTo(run, f.name)}`).join(', ');
  say.line(
    `CloudEvents delivered through the Triggers: ${run.broker.deliveries.length} (${byFunction})`,
  );
  const first = powerOns[0]?.at ?? 0;
  say.line('power-on order after the restore (as the restore sequencer released it):');
  for (const p of powerOns)
    say.detail(
      `+${((p.at - first) / 1000).toFixed(1)}s  ${p.kind} ${p.name} → PoweredOn   (${new Date(p.at).toISOString().slice(11, 23)})`,
    );
  const inVsphere = vsphereSummary(run, times);
  say.line(vsphereLine(run.mode));
  const onNames = powerOns.map((p) => p.name);
  const expected: string[] = EXPECTED_ORDER.map((e) => e.vm);
  run.checks.push({
    what: `VMs powered on in boot order: ${expected.join(' → ')}`,
    ok: JSON.stringify(onNames.filter((n) => expected.includes(n))) === JSON.stringify(expected),
    detail: onNames.join(', '),
  });
  for (const e of EXPECTED_ORDER.slice(1)) {
    const at = powerOns.find((p) => p.name === e.vm)?.at;
    const gap = at === undefined ? NaN : at - first;
    run.checks.push({
      what: `${e.vm} waited its powerOnDelay (≥ ${e.afterMs / 1000}s after db)`,
      ok: gap >= e.afterMs - 250,
      detail: Number.isNaN(gap) ? 'never powered on' : `${(gap / 1000).toFixed(1)}s`,
    });
  }
  for (const name of KEPT_OFF)
    run.checks.push({
      what: `${name} stays off (it was off at backup)`,
      ok: !onNames.includes(name),
    });
  const reasons = new Set(run.productEvents.map((e) => e.reason));
  run.checks.push({
    what: 'the Backup got its coverage report (VMGroupBackupExpanded), and no warning that a group is incomplete',
    ok: reasons.has('VMGroupBackupExpanded') && !reasons.has('VMGroupBackupIncomplete'),
  });
  run.checks.push(...inVsphere);
  run.checks.push({
    what: `the readiness gate (${run.gate}) was waited on: the web tier started only after db ${run.gate === 'has-ip' ? 'had an IP address' : 'was powered on'} (VMGroupRestoreGateWaiting, then VMGroupRestoreGatePassed)`,
    ok: reasons.has('VMGroupRestoreGateWaiting') && reasons.has('VMGroupRestoreGatePassed'),
  });
  run.checks.push({
    what: 'the Restore reports the group released (VMGroupRestoreReleased)',
    ok: reasons.has('VMGroupRestoreReleased'),
  });
  const refused = run.broker.deliveries.filter((d) => d.outcome !== 'delivered');
  run.checks.push({
    what: 'every delivered event was accepted (no function refused or failed one)',
    ok: refused.length === 0,
    detail: `${run.broker.deliveries.length} deliveries`,
  });
  say.blank();
  for (const c of run.checks)
    say.detail(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.what}${c.detail ? ` (${c.detail})` : ''}`);
  const failed = run.checks.filter((c) => !c.ok).length;
  say.blank();
  say.line(
    failed === 0
      ? `All ${run.checks.length} checks hold. Demo finished in ${say.elapsedSeconds().toFixed(0)}s.`
      : `${failed} of ${run.checks.length} checks failed; function logs are in ${run.plane.dir}${run.vmop ? ' (VM Operator: vm-operator.log, the simulator: vcsim.log)' : ''}`,
  );
  return failed === 0 ? 0 : 1;
}

async function keep(run: Run): Promise<void> {
  say.step('Keeping everything running (--keep)');
  say.line(`kubeconfig: ${run.plane.kubeconfigPath}`);
  say.detail(
    `try: KUBECONFIG=${run.plane.kubeconfigPath} kubectl -n ${RESTORED_NS} get vm,vmg --show-labels`,
  );
  say.detail(`function logs: ${run.plane.dir}/<function>.log — press Ctrl-C to stop and clean up`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

async function tearDown(run: Run): Promise<void> {
  await run.sim?.stop();
  run.sources?.stop();
  run.stopEvents?.();
  await run.broker.close();
  await stopFunctions(run.fns);
  await run.plane.stop();
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `\ndemo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
  },
);
