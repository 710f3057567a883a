// Pure: what a decision tells the user — Kubernetes Events on the Restore and reply CloudEvents.

import type { OutboundEvent } from '../runtime/function.ts';
import type { EventRecord } from '../runtime/kube/kube-api.ts';
import type { RestoreGroupHeld } from '../../schemas/generated/events/restore-group-held.ts';
import type { RestoreGroupReady } from '../../schemas/generated/events/restore-group-ready.ts';
import type { RestoreGroupReleased } from '../../schemas/generated/events/restore-group-released.ts';
import type { RestoreSequenceDue } from '../../schemas/generated/events/restore-sequence-due.ts';
import type { MemberRef } from '../vmgroup/boot-order.ts';
import {
  EVENT_TYPE_RESTORE_GROUP_HELD,
  EVENT_TYPE_RESTORE_GROUP_READY,
  EVENT_TYPE_RESTORE_GROUP_RELEASED,
  EVENT_TYPE_RESTORE_SEQUENCE_DUE,
  REASON_RESTORE_GATE_PASSED,
  REASON_RESTORE_GATE_TIMED_OUT,
  REASON_RESTORE_GATE_WAITING,
  REASON_RESTORE_GROUP_BLOCKED,
  REASON_RESTORE_GROUP_MISSING,
  REASON_RESTORE_GROUP_NOT_HELD,
  REASON_RESTORE_GROUP_READY,
  REASON_RESTORE_GROUP_RELEASED,
  REASON_RESTORE_GROUP_WAITING,
  REASON_RESTORE_STAGE_RELEASED,
  REASON_RESTORE_TARGET_MISSING,
  ANNOTATION_READINESS_ON_TIMEOUT,
} from '../vmgroup/names.ts';
import type { Gate } from './gate.ts';
import type { Decision, GateNote, Progress } from './plan.ts';
import { describeLack, type Lack } from './preflight.ts';
import type { Schedule } from './schedule.ts';

const SCHEMAS = 'https://vmgroup-backup.dev/schemas/events/';
export const READY_SCHEMA = `${SCHEMAS}restore-group-ready.schema.json`;
export const RELEASED_SCHEMA = `${SCHEMAS}restore-group-released.schema.json`;
export const DUE_SCHEMA = `${SCHEMAS}restore-sequence-due.schema.json`;
export const HELD_SCHEMA = `${SCHEMAS}restore-group-held.schema.json`;

const ref = (m: MemberRef): string => `${m.kind} ${m.name}`;
const list = (ms: MemberRef[]): string => (ms.length ? ms.map(ref).join(', ') : 'none');
const where = (d: Pick<Decision, 'namespace' | 'top'>): string => `${d.namespace}/${d.top}`;
const subject = (namespace: string, group: string): string =>
  `namespaces/${namespace}/virtualmachinegroups/${group}`;

/** Kubernetes Events on the Restore for one decision; `restoreEnded` turns waiting into a warning. */
export function decisionEvents(d: Decision, restoreEnded: boolean): EventRecord[] {
  return [
    ...holdEvents(d, restoreEnded),
    ...preflightEvents(d).map((e) => e.event),
    ...progressEvents(d),
    ...gateEvents(d),
  ];
}

/** Events on the top group itself: its gates. */
export function groupEvents(d: Decision): EventRecord[] {
  return gateEvents(d);
}

const HELD: ReadonlyArray<Decision['state']> = ['waiting', 'blocked', 'not-held'];

/**
 * Events on each held VM the preflight found unable to start: on every pass while its tree is
 * held, and once when the sequence starts (not on each poll of a running sequence).
 */
export function preflightEvents(d: Decision): Array<{ vm: string; event: EventRecord }> {
  if (!HELD.includes(d.state) && !d.becameReady) return [];
  return d.unstartable.map((u) => ({
    vm: u.vm,
    event: targetMissing(
      d.namespace,
      u.vm,
      u.lacks,
      u.blocks
        ? ` Group ${where(d)} stays held until it can start.`
        : ' It was not on at backup, so the others are released without it.',
    ),
  }));
}

function targetMissing(namespace: string, vm: string, lacks: Lack[], tail: string): EventRecord {
  return {
    type: 'Warning',
    reason: REASON_RESTORE_TARGET_MISSING,
    dedupeKey: `${namespace}/${vm}/target-missing`,
    message: `${lacks.map((l) => describeLack(`${namespace}/${vm}`, l)).join('. ')}.${tail}`,
  };
}

/** A VM in no group is released at once; if it cannot start, this says why. */
export function lonerPreflightEvents(
  namespace: string,
  vm: string,
  lacks: Lack[],
): EventRecord | undefined {
  return lacks.length
    ? targetMissing(namespace, vm, lacks, ' VM Operator will not create it until then.')
    : undefined;
}

const READINESS_WORDS: Record<Gate['readiness'], string> = {
  'powered-on': 'powered on',
  'has-ip': 'powered on with an IP address',
  ready: 'Ready (condition Ready True)',
};

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10}s`;
const lackingText = (l: Array<{ vm: string; why: string }>): string =>
  l.map((x) => `${x.vm} (${x.why})`).join(', ');

/** One Event per gate note: waiting (on each change of what it waits for), passed, timed out. */
function gateEvents(d: Decision): EventRecord[] {
  const key = keyOf(d);
  const stages = d.schedule?.stages?.length ?? 0;
  const gate = d.gate;
  const want = gate ? READINESS_WORDS[gate.readiness] : 'ready';
  return d.gateNotes.map((n: GateNote): EventRecord => {
    const s = `stage ${n.stage + 1}/${stages}`;
    const next = `stage ${n.stage + 2}`;
    switch (n.kind) {
      case 'waiting':
        return {
          type: 'Normal',
          reason: REASON_RESTORE_GATE_WAITING,
          dedupeKey: key(`gate-${n.stage}-waiting`),
          message: `Group ${where(d)}: ${next} waits until every VM of ${s} is ${want} (until ${new Date(n.timeoutAtMs).toISOString()}, then ${gate?.onTimeout ?? 'continue'}); not yet: ${lackingText(n.lacking)}.`,
        };
      case 'passed':
        return {
          type: 'Normal',
          reason: REASON_RESTORE_GATE_PASSED,
          dedupeKey: key(`gate-${n.stage}-passed`),
          message: `Group ${where(d)}: every VM of ${s} is ${want}; ${next} is due at ${new Date(n.dueAtMs).toISOString()}.`,
        };
      case 'timed-out':
        return {
          type: 'Warning',
          reason: REASON_RESTORE_GATE_TIMED_OUT,
          dedupeKey: key(`gate-${n.stage}-timed-out`),
          message: `Group ${where(d)}: VMs of ${s} not ${want} after ${seconds(gate?.timeoutMs ?? 0)}: ${lackingText(n.lacking)}; continuing (readiness-on-timeout=continue): ${next} is due at ${new Date(n.dueAtMs).toISOString()}.`,
        };
      case 'stopped':
        return {
          type: 'Warning',
          reason: REASON_RESTORE_GATE_TIMED_OUT,
          dedupeKey: key(`gate-${n.stage}-timed-out`),
          message: `Group ${where(d)}: VMs of ${s} not ${want} after ${seconds(gate?.timeoutMs ?? 0)}: ${lackingText(n.lacking)}; stopped (readiness-on-timeout=stop): stages ${n.stage + 2}-${stages} stay powered off. To go on: kubectl annotate vmg -n ${d.namespace} ${d.top} ${ANNOTATION_READINESS_ON_TIMEOUT}=continue --overwrite`,
        };
    }
  });
}

const keyOf =
  (d: Decision) =>
  (suffix: string): string =>
    `${d.namespace}/${d.top}/${suffix}`;

/** Why a tree is still held. */
function holdEvents(d: Decision, restoreEnded: boolean): EventRecord[] {
  const key = keyOf(d);
  const out: EventRecord[] = [];
  if (d.state === 'blocked') {
    out.push({
      type: 'Warning',
      reason: REASON_RESTORE_GROUP_BLOCKED,
      dedupeKey: key('blocked'),
      message: `Group ${where(d)} stays held: ${d.problem ?? 'blocked'}.`,
    });
  }
  if (d.state === 'not-held') {
    out.push({
      type: 'Warning',
      reason: REASON_RESTORE_GROUP_NOT_HELD,
      dedupeKey: key('not-held'),
      message: `Group ${where(d)} cannot be brought back in boot order: ${list(d.notHeld)} were restored without the resource modifier, so nothing held them powered off.`,
    });
  }
  if (d.state === 'waiting') {
    const missing = d.tree.missing.map((n) => `${ref(n.ref)} (in ${n.parent})`);
    const unlinked = d.tree.unlinked.map(
      (n) =>
        `${ref(n.ref)} (spec.groupName is "${n.obj?.spec?.groupName ?? ''}", not "${n.parent}")`,
    );
    const what = [...missing, ...unlinked].join(', ');
    out.push(
      restoreEnded
        ? {
            type: 'Warning',
            reason: REASON_RESTORE_GROUP_WAITING,
            dedupeKey: key('waiting'),
            message: `Restore ${d.restore} has ended but group ${where(d)} is incomplete, so all its restored members stay powered off: ${what}.`,
          }
        : {
            type: 'Normal',
            reason: REASON_RESTORE_GROUP_WAITING,
            dedupeKey: key('waiting'),
            message: `Group ${where(d)} is held powered off until every member exists; waiting for ${what}.`,
          },
    );
  }
  return out;
}

/** Ready, each released stage, released. */
function progressEvents(d: Decision): EventRecord[] {
  const key = keyOf(d);
  const out: EventRecord[] = [];
  if (d.becameReady && d.schedule) {
    const net = d.network.length
      ? ` Captured network applied to ${d.network.map((n) => `${n.name} (${n.interfaces.join(', ')})`).join(', ')}.`
      : '';
    const skipped = d.networkSkipped.length ? ` Not applied: ${d.networkSkipped.join('; ')}.` : '';
    out.push({
      type: 'Normal',
      reason: REASON_RESTORE_GROUP_READY,
      dedupeKey: key('ready'),
      message: `Group ${where(d)} is complete (${d.tree.nodes.length} members); releasing in boot order (${d.schedule.mode}).${net}${skipped}`,
    });
  }
  if (d.schedule?.mode === 'staged') {
    for (const k of d.due) {
      const step = d.schedule.steps[k]!;
      out.push({
        type: 'Normal',
        reason: REASON_RESTORE_STAGE_RELEASED,
        dedupeKey: key(`step-${k}`),
        message: `Group ${where(d)}: step ${k + 1}/${d.schedule.steps.length} (+${step.offsetMs / 1000}s) released: ${step.entries.map((e) => `${ref(e.ref)} → ${e.powerState}`).join(', ')}.`,
      });
    }
  }
  if (d.becameReleased && d.schedule) {
    const s = d.schedule;
    const kept = s.keptOff.length
      ? ` Kept off: ${s.keptOff.map((k) => `${ref(k.ref)} (${k.reason})`).join(', ')}.`
      : '';
    const unset = s.unsetGroups.length
      ? ` Power state left unset on ${s.unsetGroups.join(', ')} (members differed at backup).`
      : '';
    const how =
      s.mode === 'delegated'
        ? 'handed to VM Operator, which powers members on in boot order with their delays'
        : 'released stage by stage';
    out.push({
      type: 'Normal',
      reason: REASON_RESTORE_GROUP_RELEASED,
      dedupeKey: key('released'),
      message: `Group ${where(d)} ${how}: powered on ${list(s.poweredOn)}.${kept}${unset}`,
    });
  }
  return out;
}

export function missingGroupEvent(
  namespace: string,
  group: string,
  restore: string,
  held: MemberRef[],
): EventRecord {
  return {
    type: 'Warning',
    reason: REASON_RESTORE_GROUP_MISSING,
    dedupeKey: `${namespace}/${group}/missing-group`,
    message: `Group ${namespace}/${group} is not in restore ${restore} and does not exist; ${list(held)} name it and stay powered off until it does (they are never powered on without their group).`,
  };
}

function keptOff(s: Schedule): RestoreGroupReady['keptOff'] {
  return s.keptOff.map((k) => ({
    kind: k.ref.kind,
    name: k.ref.name,
    state: k.state,
    reason: k.reason,
  }));
}

function gateData(g: Gate | undefined): { gate?: NonNullable<RestoreGroupReady['gate']> } {
  return g
    ? {
        gate: {
          readiness: g.readiness,
          timeoutSeconds: g.timeoutMs / 1000,
          onTimeout: g.onTimeout,
        },
      }
    : {};
}

export function readyReply(d: Decision, progress: Progress): OutboundEvent<RestoreGroupReady> {
  const s = d.schedule!;
  return {
    type: EVENT_TYPE_RESTORE_GROUP_READY,
    subject: subject(d.namespace, d.top),
    dataschema: READY_SCHEMA,
    data: {
      restore: d.restore,
      namespace: d.namespace,
      group: d.top,
      mode: s.mode,
      readyAt: progress.readyAt,
      steps: s.steps.map((st) => ({
        offsetSeconds: st.offsetMs / 1000,
        members: st.entries.map((e) => ({
          kind: e.ref.kind,
          name: e.ref.name,
          powerState: e.powerState,
        })),
        ...(st.stage !== undefined ? { stage: st.stage + 1 } : {}),
      })),
      keptOff: keptOff(s),
      ...gateData(d.gate),
    },
  };
}

export function releasedReply(
  d: Decision,
  progress: Progress,
): OutboundEvent<RestoreGroupReleased> {
  const s = d.schedule!;
  return {
    type: EVENT_TYPE_RESTORE_GROUP_RELEASED,
    subject: subject(d.namespace, d.top),
    dataschema: RELEASED_SCHEMA,
    data: {
      restore: d.restore,
      namespace: d.namespace,
      group: d.top,
      mode: s.mode,
      readyAt: progress.readyAt,
      releasedAt: progress.releasedAt!,
      poweredOn: s.poweredOn.map((m) => ({ kind: m.kind, name: m.name })),
      keptOff: keptOff(s),
      unsetGroups: s.unsetGroups,
      foreign: s.foreign.map((m) => ({ kind: m.kind, name: m.name })),
      ...gateData(d.gate),
      ...(progress.gates
        ? {
            gates: progress.gates.flatMap((g, i) =>
              g ? [{ afterStage: i + 1, outcome: g.outcome, closedAt: g.closedAt }] : [],
            ),
          }
        : {}),
    },
  };
}

/** The answer while a tree stays held: its state and why, machine-readable. */
export function heldReply(d: Decision, restoreEnded: boolean): OutboundEvent<RestoreGroupHeld> {
  const state = d.state as RestoreGroupHeld['state'];
  const missing = [...d.tree.missing, ...d.tree.unlinked].map((n) => ({
    kind: n.ref.kind,
    name: n.ref.name,
  }));
  const reasons =
    d.state === 'blocked'
      ? [d.problem ?? 'blocked']
      : d.state === 'not-held'
        ? [`restored without the resource modifier: ${list(d.notHeld)}`]
        : d.stopped
          ? [
              `the gate after stage ${d.stopped.stage + 1} timed out at ${d.stopped.since} (readiness-on-timeout=stop)${d.stopped.lacking.length ? `; not yet: ${lackingText(d.stopped.lacking)}` : ''}; to go on: kubectl annotate vmg -n ${d.namespace} ${d.top} ${ANNOTATION_READINESS_ON_TIMEOUT}=continue --overwrite`,
            ]
          : missing.map((m) => `waiting for ${m.kind} ${m.name}`);
  const stopped = d.stopped;
  return {
    type: EVENT_TYPE_RESTORE_GROUP_HELD,
    subject: subject(d.namespace, d.top),
    dataschema: HELD_SCHEMA,
    data: {
      restore: d.restore,
      namespace: d.namespace,
      group: d.top,
      state,
      restoreEnded,
      reasons,
      ...(missing.length ? { missing } : {}),
      ...(d.unstartable.length
        ? {
            unstartable: d.unstartable.flatMap((u) =>
              u.lacks.map((l) => ({ vm: u.vm, ...l, blocks: u.blocks })),
            ),
          }
        : {}),
      ...(stopped ? { stoppedAfterStage: stopped.stage + 1 } : {}),
    },
  };
}

export function dueReply(
  d: Pick<Decision, 'namespace' | 'top' | 'restore'>,
  dueMs: number,
): OutboundEvent<RestoreSequenceDue> {
  return {
    type: EVENT_TYPE_RESTORE_SEQUENCE_DUE,
    subject: subject(d.namespace, d.top),
    dataschema: DUE_SCHEMA,
    data: {
      restore: d.restore,
      namespace: d.namespace,
      group: d.top,
      dueAt: new Date(dueMs).toISOString(),
    },
  };
}
