// A Velero restore as its item loop performs one (pkg/restore/restore.go): a Restore object naming
// the resource-modifier ConfigMap, then each backed-up item with its metadata reset and status
// dropped, the modifiers applied, the namespace mapped and the restore labels added, created in
// Velero's order (Secrets, ConfigMaps, PVCs before the rest; the rest alphabetically by resource,
// so VirtualMachineGroups before VirtualMachines). The item transformation is the one the restore
// tests use (functions/velero/test/velero-create.ts). While it runs, every VM's power
// state is watched, so the demo can tell when each one was powered on.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kube, KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import { createKube } from '../../functions/runtime/kube/kube.ts';
import { RESOURCE_MODIFIER_CONFIGMAP } from '../../functions/vmgroup/names.ts';
import { asRestored } from '../../functions/velero/test/velero-create.ts';
import {
  BUILDER_STORAGE_CLASS,
  offerBuilderTarget,
} from '../../functions/vmgroup/test/builders.ts';
import type { ControlPlane } from '../../test/harness/index.ts';
import { ensureNamespaces } from '../../test/config/cluster-apply.ts';
import { rawRequest } from '../../test/harness/cluster-api.ts';
import { EXPECTED_ORDER } from './fixture.ts';
import { keepWatching } from './watch.ts';

export interface PowerOn {
  kind: string;
  name: string;
  at: number;
}

export interface RestorePlan {
  backup: string;
  restore: string;
  from: string;
  to: string;
  veleroNamespace: string;
  /** `--selector`: the group's membership label, so the restore takes the group and nothing else. */
  selector: string;
}

export interface RestoreOptions {
  /** Who creates the items: Velero's ServiceAccount (not privileged to VM Operator's webhooks). */
  creator: Kube;
  /**
   * Plain mode (true): no VM Operator runs, so the demo writes what it would report once a VM boots.
   * VM Operator mode (false): VM Operator writes every VM status itself.
   */
  simulateBoot: boolean;
  /** Makes the target namespace offer what the VMs name; returns what it offers, in words. */
  offer?: (namespace: string) => Promise<string>;
  /** How long to wait for the sequencer to release every VM on at backup. */
  releaseTimeoutMs?: number;
  /** Called at the moment the Restore is created (epoch ms). */
  onStart?: (atMs: number) => void;
}

const ORDER = [
  'Secret',
  'ConfigMap',
  'PersistentVolumeClaim',
  'VirtualMachineGroup',
  'VirtualMachine',
  'VirtualMachineService',
];
/** Standing in for VM Operator: how long a powered-on VM takes to report its IP address. */
const ADDRESS_AFTER_MS = 1500;
/** Held back a moment, so the group is seen waiting for a member that is not there yet. */
const LATE_VM = 'web-2';

/** What Velero keeps of metadata (asRestored drops status). */
function asBackedUp(o: KubeObject): KubeObject {
  const { name, namespace, labels, annotations } = o.metadata;
  return {
    ...o,
    metadata: {
      name,
      ...(namespace ? { namespace } : {}),
      ...(labels ? { labels } : {}),
      ...(annotations ? { annotations } : {}),
    },
  };
}

async function watchPower(
  plane: ControlPlane,
  namespace: string,
  onPowerOn: (p: PowerOn) => void,
): Promise<() => void> {
  const last = new Map<string, string>();
  return keepWatching<KubeObject & { spec?: { powerState?: string } }>(
    plane.kubeConfig(),
    `/apis/vmoperator.vmware.com/v1alpha5/namespaces/${namespace}/virtualmachines`,
    {},
    (phase, vm) => {
      const now = vm.spec?.powerState ?? '';
      const before = last.get(vm.metadata.name);
      last.set(vm.metadata.name, now);
      if (phase !== 'DELETED' && now === 'PoweredOn' && before !== 'PoweredOn')
        onPowerOn({ kind: 'VirtualMachine', name: vm.metadata.name, at: Date.now() });
    },
  );
}

export async function restoreInto(
  admin: Kube,
  plane: ControlPlane,
  backedUp: KubeObject[],
  plan: RestorePlan,
  say: (text: string) => void,
  options: RestoreOptions,
): Promise<PowerOn[]> {
  await ensureNamespaces(plane.kubeConfig(), [plan.to]);
  if (options.offer) say(await options.offer(plan.to));
  else await offerTarget(admin, plan.to, say);
  const powerOns: PowerOn[] = [];
  const booting: Array<Promise<void>> = [];
  const stopWatch = await watchPower(plane, plan.to, (p) => {
    powerOns.push(p);
    if (options.simulateBoot) {
      say(`${p.kind} ${p.name} powered on (set by the restore sequencer)`);
      booting.push(bootAsVmOperatorWould(plane, plan.to, p.name, powerOns.length, say));
    } else
      say(
        `${p.kind} ${p.name} released: spec.powerState PoweredOn (set by the restore sequencer); VM Operator powers it on in vSphere`,
      );
  });
  try {
    options.onStart?.(Date.now());
    const restore = await admin.create({
      apiVersion: 'velero.io/v1',
      kind: 'Restore',
      metadata: { name: plan.restore, namespace: plan.veleroNamespace },
      spec: {
        backupName: plan.backup,
        namespaceMapping: { [plan.from]: plan.to },
        labelSelector: { matchExpressions: [{ key: plan.selector, operator: 'Exists' }] },
        resourceModifier: { kind: 'configmap', name: RESOURCE_MODIFIER_CONFIGMAP },
      },
      status: { phase: 'InProgress' },
    });
    const items = [...backedUp].sort(
      (a, b) =>
        ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind) ||
        a.metadata.name.localeCompare(b.metadata.name),
    );
    const late = items.filter((o) => o.kind === 'VirtualMachine' && o.metadata.name === LATE_VM);
    const create = (o: KubeObject) => createItem(options.creator, o, plan, say);
    for (const o of items.filter((i) => !late.includes(i))) await create(o);
    say(`(holding back ${LATE_VM} for 2s: the group must wait for it, powered off)`);
    await sleep(2000);
    for (const o of late) await create(o);
    await waitFor(
      () => EXPECTED_ORDER.every((e) => powerOns.some((p) => p.name === e.vm)),
      options.releaseTimeoutMs ?? 60_000,
    );
    // Velero marks the restore finished once every item is created.
    await admin.patch(
      {
        apiVersion: 'velero.io/v1',
        kind: 'Restore',
        namespace: plan.veleroNamespace,
        name: restore.metadata.name,
      },
      { type: 'merge', body: { status: { phase: 'Completed' } } },
    );
    say(`Restore ${plan.restore} Completed`);
    return powerOns.sort((a, b) => a.at - b.at);
  } finally {
    stopWatch();
    await Promise.allSettled(booting);
  }
}

/**
 * Velero's identity, as `velero install` makes it: the ServiceAccount `velero` bound to
 * cluster-admin. That is not privileged to VM Operator (only its own account, system:masters and
 * its PRIVILEGED_USERS are), so its webhooks judge what the restore creates as they would Velero's.
 */
export async function veleroIdentity(plane: ControlPlane, veleroNamespace: string): Promise<Kube> {
  await plane.applyYaml(
    JSON.stringify({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'velero' },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'cluster-admin',
      },
      subjects: [{ kind: 'ServiceAccount', name: 'velero', namespace: veleroNamespace }],
    }),
  );
  const kube = createKube(await plane.kubeconfigForServiceAccount(veleroNamespace, 'velero'));
  // RBAC reaches the authorizer's cache a moment later: wait until the binding answers.
  for (let i = 0; ; i++) {
    try {
      await kube.list('vmoperator.vmware.com/v1alpha5', 'VirtualMachine', veleroNamespace);
      return kube;
    } catch (err) {
      if (i > 100) throw err;
      await sleep(100);
    }
  }
}

/**
 * A target namespace offers restored VMs their class and storage class (on a Supervisor the
 * platform team binds them to the vSphere Namespace); without them the restore preflight keeps
 * the group held and says which is missing.
 */
async function offerTarget(admin: Kube, namespace: string, say: (text: string) => void) {
  const offer = await offerBuilderTarget(admin, namespace);
  say(
    `namespace ${namespace} offers what the VMs name: ${offer
      .map((o) => `${o.kind} ${o.metadata.name}`)
      .join(', ')} (StorageClass ${BUILDER_STORAGE_CLASS.metadata.name} by quota)`,
  );
}

/**
 * No VM Operator runs here, so the demo writes what it would report once a powered-on VM boots
 * (v1alpha5 status, through the status subresource): powerState PoweredOn at once, then an
 * address in status.network — what the `has-ip` readiness gate waits for.
 */
async function bootAsVmOperatorWould(
  plane: ControlPlane,
  namespace: string,
  vm: string,
  index: number,
  say: (text: string) => void,
): Promise<void> {
  const path = `/apis/vmoperator.vmware.com/v1alpha5/namespaces/${namespace}/virtualmachines/${vm}/status`;
  const write = async (status: Record<string, unknown>): Promise<void> => {
    const res = await rawRequest(plane.kubeConfig(), 'PATCH', path, {
      body: JSON.stringify({ status }),
      contentType: 'application/merge-patch+json',
    });
    if (res.status !== 200) throw new Error(`status of ${vm}: ${res.status} ${res.text}`);
  };
  await write({ powerState: 'PoweredOn' });
  await sleep(ADDRESS_AFTER_MS);
  const ip = `10.20.0.${10 + index}`;
  await write({
    network: {
      primaryIP4: ip,
      interfaces: [{ name: 'eth0', ip: { addresses: [{ address: `${ip}/24` }] } }],
    },
  });
  say(`(as VM Operator would) ${vm} reports IP address ${ip}`);
}

async function createItem(
  creator: Kube,
  o: KubeObject,
  plan: RestorePlan,
  say: (text: string) => void,
): Promise<void> {
  const created = await creator.create(
    asRestored(asBackedUp(o), { restore: plan.restore, backup: plan.backup, namespace: plan.to }),
  );
  const power = (created as { spec?: { powerState?: string } }).spec?.powerState;
  say(
    `created ${created.kind} ${created.metadata.name}${power ? ` (powerState ${power}${power === 'PoweredOff' ? ', held by the resource modifier' : ''})` : ''}`,
  );
}

async function waitFor(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) return;
    await sleep(100);
  }
}
