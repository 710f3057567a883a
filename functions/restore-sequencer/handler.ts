// Thin doing part of the restore sequencer: read, let the pure planners decide (targets.ts: which
// trees; plan.ts: what to release; continuation.ts: what to answer and how long to wait;
// report.ts: what to tell), then write in a crash-safe order — captured network, the due members'
// power, and last the progress on the top group (guarded by its resourceVersion; a conflict with
// another replica's progress makes the runtime re-run the handler on fresh state, one with any
// other change is written again: plan.ts afterProgressConflict). Events come after the writes.

import type { Clock, InboundEvent, Logger, OutboundEvent } from '../runtime/function.ts';
import { ConflictError } from '../runtime/errors.ts';
import type { Kube, KubeObject, ObjectRef } from '../runtime/kube/kube-api.ts';
import { KIND_VM, KIND_VMG, type MemberRef } from '../vmgroup/boot-order.ts';
import {
  ANNOTATION_RESTORE_PROGRESS,
  ANNOTATION_RESTORE_RELEASED,
  VELERO_RESTORE_NAME_LABEL,
  VMOP_API_VERSION,
} from '../vmgroup/names.ts';
import type { RestoreGroupReady } from '../../schemas/generated/events/restore-group-ready.ts';
import type { RestoreSequenceDue } from '../../schemas/generated/events/restore-sequence-due.ts';
import type { VeleroRestore } from '../../schemas/generated/objects/restore.ts';
import type { VirtualMachine } from '../../schemas/generated/objects/virtualmachine.ts';
import type { VirtualMachineGroup } from '../../schemas/generated/objects/virtualmachinegroup.ts';
import type { Batcher } from '../runtime/events/coalesce.ts';
import { findRestore } from '../velero/restore-lookup.ts';
import { isHeld } from '../velero/held.ts';
import {
  assignReplies,
  nextWait,
  planReply,
  type ReplyPlan,
  type Trigger,
} from './continuation.ts';
import {
  afterProgressConflict,
  decide,
  readProgress,
  type Decision,
  type Progress,
} from './plan.ts';
import {
  anyLookup,
  imageOf,
  lookupsFor,
  preflight,
  restoredVmSpec,
  type Lookups,
  type Target as Offer,
} from './preflight.ts';
import {
  decisionEvents,
  dueReply,
  groupEvents,
  lonerPreflightEvents,
  missingGroupEvent,
  preflightEvents,
} from './report.ts';
import {
  TERMINAL_RESTORE_PHASES,
  distinctTargets,
  endedRestoreLabel,
  groupBy,
  memberTargets,
  restoreTargets,
  tickTargets,
  type Target,
} from './targets.ts';
import {
  intentOf,
  locateTop,
  restoreOf,
  type Member,
  type Vm,
  type Vmg,
  type World,
} from './tree.ts';

export interface SequencerDeps {
  kube: Pick<Kube, 'get' | 'list' | 'patch' | 'recordEvent'>;
  clock: Clock;
  logger: Logger;
  sleep(ms: number): Promise<void>;
  /** Where Velero's Restores live. */
  veleroNamespace: string;
  /** Longest a continuation request sleeps for a stage. */
  maxWaitMs: number;
  /** How often a continuation re-checks an open readiness gate (default 5 s). */
  gatePollMs?: number;
  /**
   * Shares one run among member events of a namespace that arrive while it is sequenced (a
   * restore creates its objects one after another, each an event): the follow-up run reads once
   * for all of them. None in tests that want a run per event.
   */
  batcher?: Batcher<Target[], OutboundEvent[][]>;
}

export const VMOP = VMOP_API_VERSION;
export const DEFAULT_GATE_POLL_MS = 5_000;

interface Run {
  deps: SequencerDeps;
  trigger: Trigger;
  restores: Map<string, KubeObject | undefined>;
}

interface Outcome extends ReplyPlan {
  d: Decision;
  world: World;
  progress?: Progress;
}

/** A timed continuation (group-ready, sequence-due) of one restored tree. */
export async function onContinuation(
  event: InboundEvent<RestoreGroupReady | RestoreSequenceDue>,
  deps: SequencerDeps,
): Promise<OutboundEvent[] | void> {
  const { namespace, group, restore } = event.data;
  const run: Run = { deps, trigger: 'continuation', restores: new Map() };
  const reply = await continueChain(run, namespace, group, restore);
  return reply ? [reply] : undefined;
}

/** A restored group or VM appeared or changed: its tree. */
export async function onMember(
  event: InboundEvent<VirtualMachineGroup | VirtualMachine>,
  deps: SequencerDeps,
): Promise<OutboundEvent[]> {
  const targets = memberTargets(event.data);
  if (!deps.batcher || targets.length === 0) return sequence(deps, 'event', targets);
  const joined = await deps.batcher.run(targets[0]!.namespace, targets, (asks) =>
    sequenceAll(deps, 'event', asks),
  );
  return joined.value[joined.index] ?? [];
}

/** A Restore changed: when it ended, every tree it restored. */
export async function onRestore(
  event: InboundEvent<VeleroRestore>,
  deps: SequencerDeps,
): Promise<OutboundEvent[]> {
  const label = endedRestoreLabel(event.data);
  if (!label) return [];
  const targets = await listTargets(deps, `${VELERO_RESTORE_NAME_LABEL}=${label}`, (gs, vs) =>
    restoreTargets(label, [...gs, ...vs]),
  );
  return sequence(deps, 'event', targets);
}

/** The PingSource tick: every unfinished restored tree. */
export async function onTick(_event: InboundEvent, deps: SequencerDeps): Promise<OutboundEvent[]> {
  return sequence(deps, 'tick', await listTargets(deps, undefined, tickTargets));
}

async function sequence(
  deps: SequencerDeps,
  trigger: Trigger,
  targets: Target[],
): Promise<OutboundEvent[]> {
  return (await sequenceAll(deps, trigger, [targets]))[0]!;
}

/** One pass over the trees several asks name (each ask an event's targets); each ask's reply. */
async function sequenceAll(
  deps: SequencerDeps,
  trigger: Trigger,
  asks: Target[][],
): Promise<OutboundEvent[][]> {
  const run: Run = { deps, trigger, restores: new Map() };
  const outcomes = new Map<string, Outcome>();
  const treesOf: string[][] = asks.map(() => []);
  for (const [namespace, ts] of groupBy(distinctTargets(asks.flat()), (t) => t.namespace)) {
    const world = await loadWorld(deps, namespace);
    for (const [top, restore] of await topsOf(run, world, ts)) {
      const o = await step(run, world, top, restore, false);
      outcomes.set(treeKey(namespace, top), o);
      if (o.d.state === 'released') await markFinished(deps, world, o.d, ts);
    }
    asks.forEach((ask, i) => {
      for (const t of ask.filter((x) => x.namespace === namespace)) {
        const where = locateTop(world, t.start);
        if ('top' in where) treesOf[i]!.push(treeKey(namespace, where.top));
      }
    });
  }
  const answers: OutboundEvent[][] = [];
  for (const chosen of assignReplies(treesOf, outcomes)) {
    if (chosen?.leaseUntil)
      await renewLease(deps, chosen.world, chosen.d.top, chosen.progress!, chosen.leaseUntil);
    answers.push(chosen?.reply ? [chosen.reply] : []);
  }
  return answers;
}

const treeKey = (namespace: string, top: string): string => `${namespace}/${top}`;

async function listTargets(
  deps: SequencerDeps,
  labelSelector: string | undefined,
  pick: (groups: Vmg[], vms: Vm[]) => Target[],
): Promise<Target[]> {
  const selector = { labelSelector: labelSelector ?? VELERO_RESTORE_NAME_LABEL };
  const [gs, vs] = await Promise.all([
    deps.kube.list<Vmg & KubeObject>(VMOP, KIND_VMG, undefined, selector),
    deps.kube.list<Vm & KubeObject>(VMOP, KIND_VM, undefined, selector),
  ]);
  return pick(gs.items, vs.items);
}

async function loadWorld(deps: SequencerDeps, namespace: string): Promise<World> {
  const [gs, vs] = await Promise.all([
    deps.kube.list<Vmg & KubeObject>(VMOP, KIND_VMG, namespace),
    deps.kube.list<Vm & KubeObject>(VMOP, KIND_VM, namespace),
  ]);
  const world: World = {
    namespace,
    groups: new Map(gs.items.map((g) => [g.metadata.name, g])),
    vms: new Map(vs.items.map((v) => [v.metadata.name, v])),
  };
  // Preflight reads only what held, restored, unreleased VMs name — nothing once all are released.
  const held = [...world.vms.values()].filter(
    (v) =>
      restoreOf(v) &&
      isHeld(v) &&
      v.metadata.annotations?.[ANNOTATION_RESTORE_RELEASED] !== restoreOf(v),
  );
  const lookups = lookupsFor(held.map(restoredVmSpec));
  if (anyLookup(lookups)) world.offer = await loadOffer(deps, namespace, lookups);
  return world;
}

/** What a namespace offers restored VMs, read with get/list only (names and readiness). */
async function loadOffer(deps: SequencerDeps, namespace: string, l: Lookups): Promise<Offer> {
  type Image = KubeObject & Parameters<typeof imageOf>[0];
  const list = async <T extends KubeObject>(
    on: boolean,
    apiVersion: string,
    kind: string,
    ns: string | undefined,
    metadataOnly = false,
  ): Promise<T[]> => {
    if (!on) return [];
    try {
      return (await deps.kube.list<T>(apiVersion, kind, ns, { metadataOnly })).items;
    } catch (err) {
      // A kind this cluster does not serve (e.g. no EncryptionClass CRD): nothing of it exists.
      if ((err as { status?: number }).status === 404) return [];
      throw err;
    }
  };
  const [images, clusterImages, classes, storageClasses, quotas, encryption] = await Promise.all([
    list<Image>(l.images, VMOP, 'VirtualMachineImage', namespace),
    list<Image>(l.clusterImages, VMOP, 'ClusterVirtualMachineImage', undefined),
    list(l.classes, VMOP, 'VirtualMachineClass', namespace, true),
    list(l.storage, 'storage.k8s.io/v1', 'StorageClass', undefined, true),
    list<KubeObject & { spec?: { hard?: Record<string, string> } }>(
      l.storage,
      'v1',
      'ResourceQuota',
      namespace,
    ),
    list(l.encryptionClasses, 'encryption.vmware.com/v1alpha1', 'EncryptionClass', namespace, true),
  ]);
  return {
    namespace,
    images: images.map(imageOf),
    clusterImages: clusterImages.map(imageOf),
    classes: classes.map((c) => c.metadata.name),
    storageClasses: storageClasses.map((c) => c.metadata.name),
    quotaKeys: quotas.flatMap((q) => Object.keys(q.spec?.hard ?? {})),
    encryptionClasses: encryption.map((c) => c.metadata.name),
  };
}

/** Distinct (top group, restore) pairs; members of groups that are missing are reported here. */
async function topsOf(run: Run, world: World, targets: Target[]): Promise<Map<string, string>> {
  const tops = new Map<string, string>();
  const orphans = new Map<string, { restore: string; held: MemberRef[] }>();
  for (const t of targets) {
    const where = locateTop(world, t.start);
    if ('top' in where) tops.set(where.top, t.restore);
    else if ('ungrouped' in where) await releaseLoner(run, world, t);
    else if ('missingGroup' in where) {
      const o = orphans.get(where.missingGroup) ?? { restore: t.restore, held: [] };
      if (!o.held.some((m) => m.kind === where.below.kind && m.name === where.below.name))
        o.held.push(where.below);
      orphans.set(where.missingGroup, o);
    }
  }
  for (const [group, o] of orphans)
    await record(run, o.restore, [missingGroupEvent(world.namespace, group, o.restore, o.held)]);
  return tops;
}

/**
 * The modifier holds every restored VM, grouped or not; a VM in no group has no order to wait
 * for, so it gets its backed-up power state back at once (with a Warning when its namespace
 * lacks what it needs to start).
 */
async function releaseLoner(run: Run, world: World, t: Target): Promise<void> {
  const { deps } = run;
  const v = world.vms.get(t.start.name);
  if (!v || t.start.kind !== KIND_VM || restoreOf(v) !== t.restore || !isHeld(v)) return;
  if (v.metadata.annotations?.[ANNOTATION_RESTORE_RELEASED] === t.restore) return;
  const on = intentOf(v) === 'PoweredOn';
  const body = {
    metadata: { annotations: { [ANNOTATION_RESTORE_RELEASED]: t.restore } },
    ...(on ? { spec: { powerState: 'PoweredOn' } } : {}),
  };
  await deps.kube.patch(memberRef(world.namespace, t.start), { type: 'merge', body });
  deps.logger.info(
    { vm: `${world.namespace}/${v.metadata.name}`, powerOn: on },
    'released a restored VM that is in no group',
  );
  const lacks = world.offer ? preflight(restoredVmSpec(v), world.offer) : [];
  const event = lonerPreflightEvents(world.namespace, v.metadata.name, lacks);
  if (!event) return;
  await run.deps.kube.recordEvent(v as Vm & KubeObject, event);
  await record(run, t.restore, [event]);
}

async function restoreObject(run: Run, name: string): Promise<KubeObject | undefined> {
  if (!run.restores.has(name))
    run.restores.set(name, await findRestore(run.deps.kube, run.deps.veleroNamespace, name));
  return run.restores.get(name);
}

async function record(
  run: Run,
  restore: string,
  events: ReturnType<typeof decisionEvents>,
): Promise<void> {
  if (events.length === 0) return;
  const r = await restoreObject(run, restore);
  if (!r) {
    run.deps.logger.info(
      { restore, events: events.map((e) => e.reason) },
      'Restore not found; events not recorded',
    );
    return;
  }
  for (const e of events) await run.deps.kube.recordEvent(r, e);
}

/** Preflight Warnings on each VM (the Restore gets them through decisionEvents). */
async function recordOnVms(run: Run, world: World, d: Decision): Promise<void> {
  for (const { vm, event } of preflightEvents(d)) {
    const obj = world.vms.get(vm);
    if (obj) await run.deps.kube.recordEvent(obj as KubeObject & Vm, event);
  }
}

/**
 * Marks the members an event came from once their tree's sequence is finished, so their later
 * events (VM Operator updates them often) are dropped without any API call.
 */
async function markFinished(
  deps: SequencerDeps,
  world: World,
  d: Decision,
  targets: Target[],
): Promise<void> {
  const inTree = new Set([
    `${KIND_VMG}/${d.top}`,
    ...d.tree.nodes.map((n) => `${n.ref.kind}/${n.ref.name}`),
  ]);
  for (const t of targets) {
    const obj: Member | undefined =
      t.start.kind === KIND_VMG ? world.groups.get(t.start.name) : world.vms.get(t.start.name);
    if (!obj || !inTree.has(`${t.start.kind}/${t.start.name}`) || restoreOf(obj) !== d.restore)
      continue;
    if (obj.metadata.annotations?.[ANNOTATION_RESTORE_RELEASED] === d.restore) continue;
    // Annotation-only: merges with any concurrent change, so no resourceVersion is needed.
    const body = { metadata: { annotations: { [ANNOTATION_RESTORE_RELEASED]: d.restore } } };
    await deps.kube.patch(memberRef(d.namespace, t.start), { type: 'merge', body });
  }
}

/** One decision for one tree, written and reported; says what this tree would answer. */
async function step(
  run: Run,
  world: World,
  top: string,
  restore: string,
  leaseHeld: boolean,
): Promise<Outcome> {
  const nowMs = run.deps.clock.now().getTime();
  const d = decide(world, top, restore, nowMs);
  if (d.state === 'released' && !d.becameReleased) return { d, world };
  await applyDecision(run.deps, world, d);
  const held = ['waiting', 'blocked', 'not-held', 'stopped'].includes(d.state);
  const restoreObj = held ? await restoreObject(run, restore) : undefined;
  const restoreEnded = TERMINAL_RESTORE_PHASES.includes(
    String((restoreObj as { status?: { phase?: string } } | undefined)?.status?.phase ?? ''),
  );
  await record(run, restore, decisionEvents(d, restoreEnded));
  await recordOnVms(run, world, d);
  const group = world.groups.get(top);
  if (group)
    for (const e of groupEvents(d)) await run.deps.kube.recordEvent(group as Vmg & KubeObject, e);
  const progress = d.progress ?? readProgress(group, restore);
  const plan = planReply(d, progress, {
    trigger: run.trigger,
    nowMs,
    maxWaitMs: run.deps.maxWaitMs,
    pollMs: run.deps.gatePollMs ?? DEFAULT_GATE_POLL_MS,
    restoreEnded,
    leaseHeld,
  });
  return { d, world, ...plan, ...(progress ? { progress } : {}) };
}

function memberRef(namespace: string, m: MemberRef): ObjectRef {
  return { apiVersion: VMOP, kind: m.kind, namespace, name: m.name };
}

async function applyDecision(deps: SequencerDeps, world: World, d: Decision): Promise<void> {
  for (const n of d.network)
    await deps.kube.patch(memberRef(d.namespace, { kind: KIND_VM, name: n.name }), n.patch);
  let topPower: string | undefined;
  for (const k of d.due) {
    for (const e of d.schedule!.steps[k]!.entries) {
      if (e.ref.kind === KIND_VMG && e.ref.name === d.top) {
        topPower = e.powerState;
        continue;
      }
      const body = {
        metadata: { annotations: { [ANNOTATION_RESTORE_RELEASED]: d.restore } },
        spec: { powerState: e.powerState },
      };
      await deps.kube.patch(memberRef(d.namespace, e.ref), { type: 'merge', body });
    }
  }
  if (!d.progress) return;
  const decidedFrom = world.groups.get(d.top)!;
  const ref = memberRef(d.namespace, { kind: KIND_VMG, name: d.top });
  const annotations: Record<string, string> = {
    [ANNOTATION_RESTORE_PROGRESS]: JSON.stringify(d.progress),
  };
  if (topPower) annotations[ANNOTATION_RESTORE_RELEASED] = d.restore;
  let group: Vmg = decidedFrom;
  for (let attempt = 1; ; attempt++) {
    const body: Record<string, unknown> = {
      metadata: { resourceVersion: group.metadata.resourceVersion, annotations },
    };
    if (topPower) body.spec = { powerState: topPower };
    try {
      const updated = await deps.kube.patch<Vmg & KubeObject>(ref, { type: 'merge', body });
      (world.groups as Map<string, Vmg>).set(d.top, updated);
      return;
    } catch (err) {
      if (!(err instanceof ConflictError) || attempt >= PROGRESS_WRITE_ATTEMPTS) throw err;
      // The role grants list, not get (least privilege): one item by its name.
      const current = (
        await deps.kube.list<Vmg & KubeObject>(VMOP, KIND_VMG, d.namespace, {
          fieldSelector: `metadata.name=${d.top}`,
        })
      ).items[0];
      if (afterProgressConflict(decidedFrom, current) === 'rerun') throw err;
      group = current!;
    }
  }
}

/** Writes of one decision's progress when only others' changes to the group conflict. */
const PROGRESS_WRITE_ATTEMPTS = 5;

/** Best effort: a conflict means another replica moved the sequence on, and it renews its own lease. */
async function renewLease(
  deps: SequencerDeps,
  world: World,
  top: string,
  progress: Progress,
  leaseUntil: string,
): Promise<void> {
  const group = world.groups.get(top)!;
  const next: Progress = { ...progress, lease: leaseUntil };
  const body = {
    metadata: {
      resourceVersion: group.metadata.resourceVersion,
      annotations: { [ANNOTATION_RESTORE_PROGRESS]: JSON.stringify(next) },
    },
  };
  try {
    const updated = await deps.kube.patch<Vmg & KubeObject>(
      memberRef(world.namespace, { kind: KIND_VMG, name: top }),
      { type: 'merge', body },
    );
    (world.groups as Map<string, Vmg>).set(top, updated);
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
  }
}

/**
 * A timed continuation: sleep until the next stage (or the open gate's next poll), bounded by
 * maxWaitMs, decide again, and reply while stages remain. It takes the lease once per request.
 */
async function continueChain(
  run: Run,
  namespace: string,
  top: string,
  restore: string,
): Promise<OutboundEvent | undefined> {
  const pollMs = run.deps.gatePollMs ?? DEFAULT_GATE_POLL_MS;
  let budget = run.deps.maxWaitMs;
  let leaseHeld = false;
  for (;;) {
    const world = await loadWorld(run.deps, namespace);
    if (!world.groups.has(top)) return undefined;
    const o = await step(run, world, top, restore, leaseHeld);
    if (o.leaseUntil) {
      await renewLease(run.deps, world, top, o.progress!, o.leaseUntil);
      leaseHeld = true;
    }
    const nowMs = run.deps.clock.now().getTime();
    const wait = nextWait(o.d, nowMs, budget, pollMs);
    if (!wait) return o.reply;
    await run.deps.sleep(wait.sleepMs);
    if (wait.then === 'reply') return dueReply(o.d, wait.dueMs);
    budget -= wait.sleepMs;
  }
}
