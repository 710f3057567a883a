// Pure: what datamover-progress says about a Backup once progress.ts has planned it — the Events
// to record, the reply to send — and which Backups the periodic resync still has to look at.

import type { OutboundEvent } from '../runtime/function.ts';
import type { EventRecord, KubeObject } from '../runtime/kube/kube-api.ts';
import { schemaId } from '../runtime/schema/schema-files.ts';
import {
  ANNOTATION_DATA_PROGRESS,
  EVENT_TYPE_DATA_FAILED,
  EVENT_TYPE_DATA_LANDED,
  REASON_DATA_FAILED,
  REASON_DATA_LANDED,
} from '../vmgroup/names.ts';
import type { DataProgress, FailureReport, ProgressPlan } from './progress.ts';
import { parseProgress } from './progress.ts';
import type { BackupDataFailed } from '../../schemas/generated/events/backup-data-failed.ts';
import type { BackupDataLanded } from '../../schemas/generated/events/backup-data-landed.ts';

const LANDED_SCHEMA = schemaId('events/backup-data-landed');
const FAILED_SCHEMA = schemaId('events/backup-data-failed');

export interface BackupObject extends KubeObject {
  status?: { phase?: string; completionTimestamp?: string };
}

/** Backups that never had an upload this long after completing will not get one. */
export const RESYNC_HORIZON_MS = 24 * 3600_000;
const NO_DATA = new Set(['Failed', 'FailedValidation', 'Deleting']);

/** Whether the resync tick must recompute this Backup: it may still be moving data. */
export function needsResync(backup: BackupObject, nowMs: number): boolean {
  if (NO_DATA.has(backup.status?.phase ?? '')) return false;
  const raw = backup.metadata.annotations?.[ANNOTATION_DATA_PROGRESS];
  if (parseProgress(raw)?.landed) return false;
  const completed = Date.parse(backup.status?.completionTimestamp ?? '');
  return !(raw === undefined && nowMs - completed > RESYNC_HORIZON_MS);
}

function failureText(f: FailureReport): string {
  const { kind, namespace, name, phase, retryCount, message } = f.item;
  const retry = f.final ? 'final' : `retry ${retryCount ?? 0}, will be retried`;
  return `${kind} ${namespace}/${name} ${phase} (${retry})${message ? `: ${message}` : ''}`;
}

/**
 * The Events a plan records on its Backup, each with a dedupe key: a retry after a lost write
 * race re-records the same ones without duplicating them.
 */
export function planEvents(plan: ProgressPlan): EventRecord[] {
  const events: EventRecord[] = plan.failures.map((f) => ({
    type: 'Warning',
    reason: REASON_DATA_FAILED,
    message: failureText(f),
    dedupeKey: f.key,
  }));
  if (plan.landed) {
    const { done, totalBytes } = plan.next;
    const bytes = totalBytes !== undefined ? `, ${totalBytes} bytes` : '';
    events.push({
      type: 'Normal',
      reason: REASON_DATA_LANDED,
      message: `all ${done} volume uploads Completed${bytes}`,
      dedupeKey: 'data-landed',
    });
  }
  return events;
}

function progressData(p: DataProgress): BackupDataLanded['progress'] {
  const { done, total, bytesDone, totalBytes, failed, retrying } = p;
  return {
    done,
    total,
    ...(totalBytes !== undefined ? { bytesDone: bytesDone ?? 0, totalBytes } : {}),
    failed,
    retrying,
  };
}

/** data-landed once everything landed, data-failed while anything failed, else nothing. */
export function replyFor(backup: BackupObject, plan: ProgressPlan): OutboundEvent | undefined {
  const { namespace = '', name, uid } = backup.metadata;
  const phase = backup.status?.phase;
  const ref = { namespace, name, ...(uid ? { uid } : {}), ...(phase ? { phase } : {}) };
  const subject = `backups/${namespace}/${name}`;
  if (plan.landed) {
    const data: BackupDataLanded = { backup: ref, progress: progressData(plan.next) };
    return { type: EVENT_TYPE_DATA_LANDED, subject, dataschema: LANDED_SCHEMA, data };
  }
  if (plan.failures.length === 0) return undefined;
  const failures = plan.failures.map((f) => ({
    kind: f.item.kind,
    namespace: f.item.namespace,
    name: f.item.name,
    phase: f.item.phase,
    final: f.final,
    ...(f.item.retryCount !== undefined ? { retryCount: f.item.retryCount } : {}),
    ...(f.item.message ? { message: f.item.message } : {}),
  }));
  const data: BackupDataFailed = { backup: ref, failures, progress: progressData(plan.next) };
  return { type: EVENT_TYPE_DATA_FAILED, subject, dataschema: FAILED_SCHEMA, data };
}
