// Thin doing part of the restore sequencer. Any event is "look here": find the restored trees it
// touches, read each namespace once, let plan.ts decide, then write in a crash-safe order —
// captured network, the due members' power, and last the progress on the top group (guarded by
// its resourceVersion; a conflict makes the runtime re-run the handler on fresh state).
//
// Timing: nothing waits for a stage inside an ordinary event. A timed continuation — the
// group-ready reply, then sequence-due replies — comes back through the Broker; its request
// sleeps until the next stage is due (at most maxWaitMs, far below Knative's request timeout),
// releases it and replies again while stages remain. A lease in the progress keeps ordinary
// events from starting a second chain; if a chain is lost, the lease expires and the next event
// or PingSource tick starts another. A 10 s powerOnDelay is therefore honoured to within the
// Broker's delivery latency, not the tick's period.

import type { Clock, InboundEvent, Logger, OutboundEvent } from '../runtime/function.ts';
import { ConflictError } from '../runtime/errors.ts';
import type { Kube, KubeObject, ObjectRef } from '../runtime/kube/kube-api.ts';
import { KIND_VM, KIND_VMG, type MemberRef } from '../vmgroup/boot-order.ts';
import {
  ANNOTATION_RESTORE_PROGRESS,
  ANNOTATION_RESTORE_RELEASED,
  EVENT_TYPE_RESTORE_GROUP_READY,
  EVENT_TYPE_RESTORE_SEQUENCE_DUE,
  VELERO_RESTORE_NAME_LABEL,
} from '../vmgroup/names.ts';
import { findRestore, veleroLabelValue } from '../velero/restore-lookup.ts';
import { decide, type Decision, type Progress } from './plan.ts';
import {
  decisionEvents,
  dueReply,
  missingGroupEvent,
  readyReply,
  releasedReply,
} from './report.ts';
import {
  intentOf,
  locateTop,
  restoreOf,
  type Member,
  type Vm,
  type Vmg,
  type World,
} from './tree.ts';
import { isHeld } from '../velero/held.ts';

export interface SequencerDeps {
  kube: Pick<Kube, 'get' | 'list' | 'patch' | 'recordEvent'>;
  clock: Clock;
  logger: Logger;
  sleep(ms: number): Promise<void>;
  /** Where Velero's Restores live. */
  veleroNamespace: string;
  /** Longest a continuation request sleeps for a stage. */
  maxWaitMs: number;
}

export const VMOP = 'vmoperator.vmware.com/v1alpha5';
const TERMINAL = ['Completed', 'PartiallyFailed', 'Failed', 'FailedValidation'];
/** A continuation is presumed lost this long after its request should have ended. */
const LEASE_GRACE_MS = 15_000;

interface Target {
  namespace: string;
  restore: string;
  start: MemberRef;
}

interface Run {
  deps: SequencerDeps;
  restores: Map<string, KubeObject | undefined>;
}

interface Outcome {
  d: Decision;
  reply?: OutboundEvent;
  /** Set when the reply is a continuation: its lease is taken only if this reply is the one sent. */
  lease?: () => Promise<void>;
}

export async function handle(
  event: InboundEvent,
  deps: SequencerDeps,
): Promise<OutboundEvent[] | void> {
  const run: Run = { deps, restores: new Map() };
  if (
    event.type === EVENT_TYPE_RESTORE_GROUP_READY ||
    event.type === EVENT_TYPE_RESTORE_SEQUENCE_DUE
  ) {
    const data = event.data as { restore: string; namespace: string; group: string };
    const reply = await continueChain(run, data.namespace, data.group, data.restore);
    return reply ? [reply] : undefined;
  }
  const targets = await targetsOf(event, deps);
  const outcomes: Outcome[] = [];
  for (const [namespace, ts] of groupBy(targets, (t) => t.namespace)) {
    const world = await loadWorld(deps, namespace);
    for (const [top, restore] of await topsOf(run, world, ts)) {
      const o = await step(run, world, top, restore, false);
      if (o.reply) outcomes.push(o);
      if (o.d.state === 'released') await markFinished(deps, world, o.d, ts);
    }
  }
  // HTTP carries one reply: the most final first (the others still have their Kubernetes
  // Events; a continuation not sent takes no lease, so the next event or tick starts it).
  const rank = (o: Outcome): number =>
    ['released', 'ready', 'due'].findIndex((s) => o.reply!.type.endsWith(s));
  const chosen = outcomes.sort((a, b) => rank(a) - rank(b))[0];
  if (!chosen) return [];
  await chosen.lease?.();
  return [chosen.reply!];
}

function groupBy<T>(xs: T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), x]);
  return m;
}

function refOf(obj: KubeObject): MemberRef {
  return { kind: obj.kind === KIND_VMG ? KIND_VMG : KIND_VM, name: obj.metadata.name };
}

async function targetsOf(event: InboundEvent, deps: SequencerDeps): Promise<Target[]> {
  if (event.type === 'dev.knative.sources.ping') return tickTargets(deps);
  const obj = event.data as KubeObject;
  if (event.type.endsWith('.delete') || obj.metadata.deletionTimestamp) return [];
  if (obj.kind === 'Restore') {
    // While a restore runs, its objects' own events drive the sequence; its end is what matters
    // here (groups still incomplete then will not be completed by it).
    if (!TERMINAL.includes(String((obj as { status?: { phase?: string } }).status?.phase ?? '')))
      return [];
    const label = veleroLabelValue(obj.metadata.name);
    const selector = { labelSelector: `${VELERO_RESTORE_NAME_LABEL}=${label}` };
    const [gs, vs] = await Promise.all([
      deps.kube.list(VMOP, KIND_VMG, undefined, selector),
      deps.kube.list(VMOP, KIND_VM, undefined, selector),
    ]);
    return [...gs.items, ...vs.items].map((o) => ({
      namespace: o.metadata.namespace ?? '',
      restore: label,
      start: refOf(o),
    }));
  }
  const restore = obj.metadata.labels?.[VELERO_RESTORE_NAME_LABEL];
  // A member whose sequence is finished costs nothing (VM Operator keeps updating it).
  if (!restore || obj.metadata.annotations?.[ANNOTATION_RESTORE_RELEASED] === restore) return [];
  return [{ namespace: obj.metadata.namespace ?? '', restore, start: refOf(obj) }];
}

/** The tick looks only where a restored tree is unfinished: a restored top group not yet released, or a held VM in no group or in one that is not among the restored ones. */
async function tickTargets(deps: SequencerDeps): Promise<Target[]> {
  const selector = { labelSelector: VELERO_RESTORE_NAME_LABEL };
  const [gs, vs] = await Promise.all([
    deps.kube.list<Vmg & KubeObject>(VMOP, KIND_VMG, undefined, selector),
    deps.kube.list<Vm & KubeObject>(VMOP, KIND_VM, undefined, selector),
  ]);
  const groupKeys = new Set(gs.items.map((g) => `${g.metadata.namespace}/${g.metadata.name}`));
  const targets: Target[] = [];
  for (const g of gs.items) {
    const restore = restoreOf(g)!;
    const progress = parseProgressText(g.metadata.annotations?.[ANNOTATION_RESTORE_PROGRESS]);
    if (!g.spec?.groupName && !(progress?.restore === restore && progress.releasedAt))
      targets.push({ namespace: g.metadata.namespace ?? '', restore, start: refOf(g) });
  }
  for (const v of vs.items) {
    const orphan =
      !v.spec?.groupName || !groupKeys.has(`${v.metadata.namespace}/${v.spec.groupName}`);
    if (
      orphan &&
      isHeld(v) &&
      v.metadata.annotations?.[ANNOTATION_RESTORE_RELEASED] !== restoreOf(v)
    )
      targets.push({
        namespace: v.metadata.namespace ?? '',
        restore: restoreOf(v)!,
        start: refOf(v),
      });
  }
  return targets;
}

function parseProgressText(text: string | undefined): Progress | undefined {
  try {
    return text ? (JSON.parse(text) as Progress) : undefined;
  } catch {
    return undefined;
  }
}

async function loadWorld(deps: SequencerDeps, namespace: string): Promise<World> {
  const [gs, vs] = await Promise.all([
    deps.kube.list<Vmg & KubeObject>(VMOP, KIND_VMG, namespace),
    deps.kube.list<Vm & KubeObject>(VMOP, KIND_VM, namespace),
  ]);
  return {
    namespace,
    groups: new Map(gs.items.map((g) => [g.metadata.name, g])),
    vms: new Map(vs.items.map((v) => [v.metadata.name, v])),
  };
}

/** Distinct (top group, restore) pairs; members of groups that are missing are reported here. */
async function topsOf(run: Run, world: World, targets: Target[]): Promise<Map<string, string>> {
  const tops = new Map<string, string>();
  const orphans = new Map<string, { restore: string; held: MemberRef[] }>();
  for (const t of targets) {
    const where = locateTop(world, t.start);
    if ('top' in where) tops.set(where.top, t.restore);
    else if ('ungrouped' in where) await releaseLoner(run.deps, world, t);
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
 * for, so it gets its backed-up power state back at once.
 */
async function releaseLoner(deps: SequencerDeps, world: World, t: Target): Promise<void> {
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

/** One decision for one tree, written. Chooses this tree's reply (or none). */
async function step(
  run: Run,
  world: World,
  top: string,
  restore: string,
  continuation: boolean,
): Promise<Outcome> {
  const nowMs = run.deps.clock.now().getTime();
  const d = decide(world, top, restore, nowMs);
  if (d.state === 'released' && !d.becameReleased) return { d };
  await applyDecision(run.deps, world, d);
  const restoreObj = d.state === 'waiting' ? await restoreObject(run, restore) : undefined;
  const ended = TERMINAL.includes(
    String((restoreObj as { status?: { phase?: string } } | undefined)?.status?.phase ?? ''),
  );
  await record(run, restore, decisionEvents(d, ended));
  const progress = d.progress ?? currentProgress(world, top, restore);
  if (d.becameReleased && progress) return { d, reply: releasedReply(d, progress) };
  if (d.state !== 'releasing' || !progress || d.nextDueMs === undefined) return { d };
  const leaseLive = progress.lease !== undefined && Date.parse(progress.lease) > nowMs;
  if (!continuation && !d.becameReady && leaseLive) return { d };
  return {
    d,
    reply: d.becameReady ? readyReply(d, progress) : dueReply(d, d.nextDueMs),
    lease: () => renewLease(run.deps, world, top, progress, nowMs),
  };
}

function currentProgress(world: World, top: string, restore: string): Progress | undefined {
  const p = parseProgressText(
    world.groups.get(top)?.metadata.annotations?.[ANNOTATION_RESTORE_PROGRESS],
  );
  return p?.restore === restore ? p : undefined;
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
  const group = world.groups.get(d.top)!;
  const annotations: Record<string, string> = {
    [ANNOTATION_RESTORE_PROGRESS]: JSON.stringify(d.progress),
  };
  if (topPower) annotations[ANNOTATION_RESTORE_RELEASED] = d.restore;
  const body: Record<string, unknown> = {
    metadata: { resourceVersion: group.metadata.resourceVersion, annotations },
  };
  if (topPower) body.spec = { powerState: topPower };
  const updated = await deps.kube.patch<Vmg & KubeObject>(
    memberRef(d.namespace, { kind: KIND_VMG, name: d.top }),
    { type: 'merge', body },
  );
  (world.groups as Map<string, Vmg>).set(d.top, updated);
}

/** Best effort: a conflict means another replica moved the sequence on, and it renews its own lease. */
async function renewLease(
  deps: SequencerDeps,
  world: World,
  top: string,
  progress: Progress,
  nowMs: number,
): Promise<void> {
  const group = world.groups.get(top)!;
  const next: Progress = {
    ...progress,
    lease: new Date(nowMs + deps.maxWaitMs + LEASE_GRACE_MS).toISOString(),
  };
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

/** A timed continuation: sleep until the next stage (bounded), release it, and reply while stages remain. */
async function continueChain(
  run: Run,
  namespace: string,
  top: string,
  restore: string,
): Promise<OutboundEvent | undefined> {
  let budget = run.deps.maxWaitMs;
  for (;;) {
    const world = await loadWorld(run.deps, namespace);
    if (!world.groups.has(top)) return undefined;
    const o = await step(run, world, top, restore, true);
    await o.lease?.();
    if (o.d.state !== 'releasing' || o.d.nextDueMs === undefined) return o.reply;
    const wait = Math.max(0, o.d.nextDueMs - run.deps.clock.now().getTime());
    if (wait > budget) {
      await run.deps.sleep(budget);
      return dueReply(o.d, o.d.nextDueMs);
    }
    await run.deps.sleep(wait);
    budget -= wait;
  }
}

export type { Member };
