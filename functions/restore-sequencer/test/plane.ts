// Test support for the restore sequencer on the real control plane: one restore scenario per
// test (its own namespace, Restore object, hand-moved clock and replica), objects created as
// Velero creates them, the handler running as a service account bound to exactly
// SEQUENCER_RULES, and its continuation replies fed back as the Broker would. No VM Operator
// controller runs here: a test that needs what VM Operator reports writes VM status itself
// (guest-boot.ts), through the status subresource as VM Operator does.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { testCluster, type TestCluster } from '../../../test/harness/index.ts';
import { kubeAs } from '../../../test/harness/identity.ts';
import { rawRequest } from '../../../test/harness/cluster-api.ts';
import { apiServerEvent, pingEvent } from '../../../test/support/cloudevents.ts';
import type { InboundEvent, OutboundEvent } from '../../runtime/function.ts';
import { deliver } from '../../runtime/events/match.ts';
import { createKube } from '../../runtime/kube/kube.ts';
import type { Kube, KubeObject, ObjectRef } from '../../runtime/kube/kube-api.ts';
import { createLogger } from '../../runtime/process/logger.ts';
import { loadValidators } from '../../runtime/schema/schema-source.ts';
import { violation, type ValidatorSet } from '../../runtime/schema/validation.ts';
import {
  EVENT_SOURCE,
  EVENT_TYPE_RESTORE_GROUP_HELD,
  EVENT_TYPE_RESTORE_GROUP_READY,
  EVENT_TYPE_RESTORE_SEQUENCE_DUE,
  RESOURCE_MODIFIER_CONFIGMAP,
} from '../../vmgroup/names.ts';
import {
  restoreObject,
  veleroCreate,
  type VeleroRestoreItem,
} from '../../velero/test/velero-create.ts';
import { VMOP, type SequencerDeps } from '../handler.ts';
import { Batcher } from '../../runtime/events/coalesce.ts';
import restoreSequencer from '../index.ts';
import { SEQUENCER_RULES } from '../rbac.ts';
import { BUILDER_STORAGE_CLASS, builderOffer } from '../../vmgroup/test/builders.ts';

export interface CoreEvent extends KubeObject {
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  involvedObject?: { name?: string; kind?: string; namespace?: string };
}

/**
 * Time the tests move by hand: the handler's clock, and its sleep advances it. Hooks run at each
 * sleep's start and end (what "VM Operator" does while the sequencer sleeps, e.g. guest-boot.ts).
 */
export class TestTime {
  t = Date.parse('2026-11-21T10:00:00.000Z');
  hooks: Array<(nowMs: number) => Promise<void>> = [];
  clock = { now: (): Date => new Date(this.t) };
  sleep = async (ms: number): Promise<void> => {
    await this.runHooks();
    this.t += ms;
    await this.runHooks();
  };
  /** Moves the clock outside any request (between deliveries), running the hooks. */
  advance = async (ms: number): Promise<void> => this.sleep(ms);
  private async runHooks(): Promise<void> {
    for (const h of this.hooks) await h(this.t);
  }
}

export {
  BUILDER_STORAGE_CLASS as STORAGE_CLASS,
  vmClass as VM_CLASS,
  storageQuota as STORAGE_QUOTA,
} from '../../vmgroup/test/builders.ts';

/** A held group answers object events with its state; anything else is the reply's type. */
export const answer = (r: OutboundEvent | undefined): string | undefined =>
  r?.type === EVENT_TYPE_RESTORE_GROUP_HELD
    ? `held:${(r.data as { state: string }).state}`
    : r?.type;

export interface ScenarioOptions {
  modifier?: boolean;
  maxWaitMs?: number;
  /** Create the class and the storage quota the builders' VMs name (default true). */
  offer?: boolean;
  gatePollMs?: number;
  /**
   * Runs before each patch the sequencer sends (another writer on the real API server, say VM
   * Operator updating a group's status while the sequencer releases its members).
   */
  beforePatch?: (ref: ObjectRef) => Promise<void>;
  /** Member events of the namespace share runs, as in the served function (index.ts). */
  batch?: boolean;
}

export interface SequencerPlane {
  cluster: TestCluster;
  admin: Kube;
  veleroNs: string;
  /** A new restore scenario (see Scenario). */
  scenario(name: string, o?: ScenarioOptions): Promise<Scenario>;
}

/** The control plane, the sequencer's service account and a scenario maker; call in before(). */
export async function sequencerPlane(): Promise<SequencerPlane> {
  const cluster = await testCluster();
  const admin = createKube(cluster.kubeconfigPath);
  const veleroNs = await cluster.newNamespace('velero');
  const saKube = await kubeAs(cluster, 'restore-sequencer', SEQUENCER_RULES);
  const validators = await loadValidators();
  await admin.create(BUILDER_STORAGE_CLASS).catch(() => undefined);
  const shared: Shared = { cluster, admin, saKube, veleroNs, validators };
  return { cluster, admin, veleroNs, scenario: (name, o) => Scenario.start(shared, name, o) };
}

interface Shared {
  cluster: TestCluster;
  admin: Kube;
  saKube: Kube;
  veleroNs: string;
  validators: ValidatorSet;
}

type LiveVm = KubeObject & {
  spec: {
    powerState?: string;
    network?: { interfaces?: Array<{ name: string; addresses?: string[] }> };
  };
};

/**
 * A restore scenario: its own namespace, Restore object, clock and replica. The namespace offers
 * what the test VMs name (their class; their storage class, assigned by quota) unless
 * `offer: false`.
 */
export class Scenario {
  readonly time = new TestTime();
  private deps: SequencerDeps;
  private readonly item: VeleroRestoreItem;

  private readonly shared: Shared;
  readonly namespace: string;
  readonly restore: string;
  private readonly o: ScenarioOptions;

  private constructor(shared: Shared, namespace: string, restore: string, o: ScenarioOptions) {
    this.shared = shared;
    this.namespace = namespace;
    this.restore = restore;
    this.o = o;
    this.deps = this.replica();
    this.item = { restore, backup: 'nightly', namespace, modifier: o.modifier ?? true };
  }

  static async start(shared: Shared, name: string, o: ScenarioOptions = {}): Promise<Scenario> {
    const { admin, cluster, veleroNs } = shared;
    const namespace = await cluster.newNamespace(name);
    if (o.offer !== false) for (const obj of builderOffer(namespace)) await admin.create(obj);
    const restore = `${name}-${randomUUID().slice(0, 6)}`;
    const spec = {
      backupName: 'nightly',
      includedNamespaces: [namespace],
      ...(o.modifier === false
        ? {}
        : { resourceModifier: { kind: 'configmap', name: RESOURCE_MODIFIER_CONFIGMAP } }),
    };
    await admin.create(restoreObject(restore, veleroNs, spec));
    return new Scenario(shared, namespace, restore, o);
  }

  /** The sequencer's list calls so far, as "kind namespace" (namespace "*" for cluster-wide). */
  readonly lists: string[] = [];

  private replica(): SequencerDeps {
    const k = this.shared.saKube;
    const hook = this.o.beforePatch;
    const kube: SequencerDeps['kube'] = {
      get: (ref) => k.get(ref),
      list: (...a) => {
        this.lists.push(`${a[1]} ${a[2] ?? '*'}`);
        return k.list(...a);
      },
      recordEvent: (...a) => k.recordEvent(...a),
      patch: async (ref, patch) => {
        await hook?.(ref);
        return k.patch(ref, patch);
      },
    };
    return {
      kube,
      clock: this.time.clock,
      sleep: this.time.sleep,
      logger: createLogger('silent'),
      veleroNamespace: this.shared.veleroNs,
      maxWaitMs: this.o.maxWaitMs ?? 20_000,
      ...(this.o.gatePollMs !== undefined ? { gatePollMs: this.o.gatePollMs } : {}),
      ...(this.o.batch ? { batcher: new Batcher() } : {}),
    };
  }

  /** A replica restart: fresh deps, nothing carried over in memory. */
  restart(): void {
    this.deps = this.replica();
  }

  /** Velero creates the object; ApiServerSource delivers its add event. */
  async create(obj: KubeObject): Promise<OutboundEvent | undefined> {
    return this.deliver(apiServerEvent('add', await this.createOnly(obj)));
  }

  createOnly<T extends KubeObject>(obj: T): Promise<T> {
    return veleroCreate(this.shared.admin, obj, this.item);
  }

  async deliver(event: InboundEvent): Promise<OutboundEvent | undefined> {
    const replies = (await deliver(restoreSequencer, event, this.deps)) ?? [];
    assert.ok(replies.length <= 1);
    for (const r of replies)
      assert.equal(
        violation(this.shared.validators, r.dataschema, r.data),
        undefined,
        `${r.type} violates its schema`,
      );
    return replies[0];
  }

  /**
   * A PingSource tick. It is cluster-wide, so on a shared control plane it may also act on other
   * tests' restores; replies about other namespaces are passed over (those trees get a lease or
   * finish, so repeated ticks converge) and the first about this one is returned.
   */
  async tick(): Promise<OutboundEvent | undefined> {
    for (let i = 0; i < 25; i++) {
      const r = await this.deliver(pingEvent());
      if (!r || (r.data as { namespace?: string }).namespace === this.namespace) return r;
    }
    throw new Error('ticks keep answering about other namespaces');
  }

  /** The Broker routes the sequencer's continuation replies back to it, until one is final. */
  async broker(first: OutboundEvent | undefined): Promise<OutboundEvent[]> {
    const seen: OutboundEvent[] = [];
    let next = first;
    while (next) {
      seen.push(next);
      if (
        next.type !== EVENT_TYPE_RESTORE_GROUP_READY &&
        next.type !== EVENT_TYPE_RESTORE_SEQUENCE_DUE
      )
        break;
      assert.ok(seen.length < 50, 'continuation chain does not end');
      next = await this.deliver({
        id: randomUUID(),
        source: EVENT_SOURCE,
        type: next.type,
        subject: next.subject,
        extensions: {},
        data: next.data,
      });
    }
    return seen;
  }

  async vm(name: string): Promise<LiveVm> {
    const ref = { apiVersion: VMOP, kind: 'VirtualMachine', namespace: this.namespace, name };
    return (await this.shared.admin.get<LiveVm>(ref))!;
  }

  async group(name: string): Promise<KubeObject & { spec: { powerState?: string } }> {
    const ref = { apiVersion: VMOP, kind: 'VirtualMachineGroup', namespace: this.namespace, name };
    return (await this.shared.admin.get<KubeObject & { spec: { powerState?: string } }>(ref))!;
  }

  /** The group's update event, as ApiServerSource delivers it after a change. */
  async groupChanged(name: string): Promise<OutboundEvent | undefined> {
    return this.deliver(apiServerEvent('update', await this.group(name)));
  }

  powers(...names: string[]): Promise<Array<string | undefined>> {
    return Promise.all(names.map(async (n) => (await this.vm(n)).spec.powerState));
  }

  /** Writes a VM's status through the status subresource, as VM Operator does. */
  writeStatus(vm: string, status: Record<string, unknown>): Promise<void> {
    return this.patchStatus(`namespaces/${this.namespace}/virtualmachines/${vm}`, status);
  }

  /** Merge-patches the status of a VM Operator object at `/apis/<VMOP>/<path>`. */
  async patchStatus(path: string, status: Record<string, unknown>): Promise<void> {
    const res = await rawRequest(
      this.shared.cluster.kubeConfig(),
      'PATCH',
      `/apis/${VMOP}/${path}/status`,
      { body: JSON.stringify({ status }), contentType: 'application/merge-patch+json' },
    );
    assert.equal(res.status, 200, `status of ${path}: ${res.text}`);
  }

  /** Events on the Restore. */
  events(): Promise<CoreEvent[]> {
    return this.eventsOn(this.shared.veleroNs, 'Restore', this.restore);
  }

  async reasons(): Promise<string[]> {
    return (await this.events()).map((e) => e.reason ?? '').sort();
  }

  vmEvents(vm: string): Promise<CoreEvent[]> {
    return this.eventsOn(this.namespace, 'VirtualMachine', vm);
  }

  groupEvents(group: string): Promise<CoreEvent[]> {
    return this.eventsOn(this.namespace, 'VirtualMachineGroup', group);
  }

  private async eventsOn(ns: string, kind: string, name: string): Promise<CoreEvent[]> {
    return (await this.shared.admin.list<CoreEvent>('v1', 'Event', ns)).items.filter(
      (e) => e.involvedObject?.name === name && e.involvedObject?.kind === kind,
    );
  }
}
