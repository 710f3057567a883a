// Pure: what a decision tells the user — Kubernetes Events on the Restore and reply CloudEvents.

import type { OutboundEvent } from '../runtime/function.ts';
import type { EventRecord } from '../runtime/kube/kube-api.ts';
import type { RestoreGroupReady } from '../../schemas/generated/events/restore-group-ready.ts';
import type { RestoreGroupReleased } from '../../schemas/generated/events/restore-group-released.ts';
import type { RestoreSequenceDue } from '../../schemas/generated/events/restore-sequence-due.ts';
import type { MemberRef } from '../vmgroup/boot-order.ts';
import {
  EVENT_TYPE_RESTORE_GROUP_READY,
  EVENT_TYPE_RESTORE_GROUP_RELEASED,
  EVENT_TYPE_RESTORE_SEQUENCE_DUE,
  REASON_RESTORE_GROUP_BLOCKED,
  REASON_RESTORE_GROUP_MISSING,
  REASON_RESTORE_GROUP_NOT_HELD,
  REASON_RESTORE_GROUP_READY,
  REASON_RESTORE_GROUP_RELEASED,
  REASON_RESTORE_GROUP_WAITING,
  REASON_RESTORE_STAGE_RELEASED,
} from '../vmgroup/names.ts';
import type { Decision, Progress } from './plan.ts';
import type { Schedule } from './schedule.ts';

const SCHEMAS = 'https://vmgroup-backup.dev/schemas/events/';
export const READY_SCHEMA = `${SCHEMAS}restore-group-ready.schema.json`;
export const RELEASED_SCHEMA = `${SCHEMAS}restore-group-released.schema.json`;
export const DUE_SCHEMA = `${SCHEMAS}restore-sequence-due.schema.json`;

const ref = (m: MemberRef): string => `${m.kind} ${m.name}`;
const list = (ms: MemberRef[]): string => (ms.length ? ms.map(ref).join(', ') : 'none');
const where = (d: Pick<Decision, 'namespace' | 'top'>): string => `${d.namespace}/${d.top}`;
const subject = (namespace: string, group: string): string =>
  `namespaces/${namespace}/virtualmachinegroups/${group}`;

/** Kubernetes Events for one decision; `restoreEnded` turns waiting into a warning. */
export function decisionEvents(d: Decision, restoreEnded: boolean): EventRecord[] {
  return [...holdEvents(d, restoreEnded), ...progressEvents(d)];
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
      })),
      keptOff: keptOff(s),
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
