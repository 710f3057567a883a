// Thin doing part of the backup guard: read the live Backup/Restore (for a Restore also the Backup
// it restores from), the restricted list and the plugin-internal objects that lost their exclude
// label; let plan.ts decide; report once per distinct set of findings (Warning Event, an
// annotation recording what was reported, reply).

import { createHash } from 'node:crypto';
import type { Clock, InboundEvent, Logger, OutboundEvent } from '../runtime/function.ts';
import type { Kube, KubeObject } from '../runtime/kube-api.ts';
import {
  ANNOTATION_GUARD_REPORTED,
  EVENT_TYPE_GUARD_RESTRICTED,
  REASON_GUARD_RESTRICTED,
  VELERO_EXCLUDE_LABEL,
} from '../vmgroup/names.ts';
import type { GuardDecision, GuardKind, RestoreSource, UnlabelledObject } from './plan.ts';
import { decide, summarize } from './plan.ts';
import type { FilterSpec } from './resource-filter.ts';
import { includesResource } from './resource-filter.ts';
import { PLUGIN_INTERNAL, defaultRestrictedData, parseRestrictedList } from './restricted-list.ts';
import { GUARD_EVENT_SCHEMA } from './bindings.ts';
import type { GuardRestrictedResources } from '../../schemas/generated/events/guard-restricted-resources.ts';

export interface GuardDeps {
  kube: Pick<Kube, 'get' | 'list' | 'patch' | 'recordEvent'>;
  logger: Logger;
  clock: Clock;
  /** Where the restricted list lives; the shipped default applies when it does not exist. */
  configMap: { namespace: string; name: string };
  /** List plugin-internal objects to find lost exclude labels (needs list on them). */
  checkPluginInternal: boolean;
}

/** Past these phases Velero has done the work; warning then helps no one. */
const FINISHED = new Set([
  'Completed',
  'PartiallyFailed',
  'Failed',
  'FailedValidation',
  'Deleting',
]);

const isNotFound = (err: unknown): boolean => (err as { status?: unknown } | null)?.status === 404;

interface VeleroObject extends KubeObject {
  spec?: FilterSpec & { backupName?: string; scheduleName?: string };
  status?: { phase?: string };
}

/**
 * The Backup a Restore restores from, in the Restore's namespace (Velero's). `undefined` when there
 * is nothing to judge yet: a Restore from a schedule names no Backup until Velero validates it and
 * writes the schedule's most recent completed Backup into `spec.backupName` (same update as phase
 * InProgress), and that update event is judged.
 */
async function restoreSource(
  deps: GuardDeps,
  restore: VeleroObject,
): Promise<RestoreSource | undefined> {
  const backupName = restore.spec?.backupName;
  if (!backupName) return undefined;
  const backup = await deps.kube.get<VeleroObject>({
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    namespace: restore.metadata.namespace ?? '',
    name: backupName,
  });
  if (!backup) return { backupNotFound: backupName };
  return { backup: backup.spec ?? {} };
}

async function restrictedData(deps: GuardDeps): Promise<Record<string, string>> {
  const cm = await deps.kube.get<KubeObject & { data?: Record<string, string> }>({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    ...deps.configMap,
  });
  if (cm) return cm.data ?? {};
  deps.logger.debug(
    deps.configMap,
    'restricted-list ConfigMap not found; using the shipped default',
  );
  return defaultRestrictedData();
}

/** Plugin-internal objects without `velero.io/exclude-from-backup: "true"` of types this Backup includes. */
async function unlabelledInternal(
  deps: GuardDeps,
  spec: FilterSpec,
): Promise<Array<UnlabelledObject & { labels?: Record<string, string> }>> {
  const out: Array<UnlabelledObject & { labels?: Record<string, string> }> = [];
  for (const p of PLUGIN_INTERNAL) {
    if (!includesResource(spec, 'Backup', p.resource, p.scope)) continue;
    try {
      // `!=` also matches objects without the key; only offenders come back.
      const list = await deps.kube.list(p.apiVersion, p.kind, undefined, {
        labelSelector: `${VELERO_EXCLUDE_LABEL}!=true`,
      });
      for (const o of list.items) {
        const { name, namespace, labels } = o.metadata;
        out.push({
          resource: p.resource,
          name,
          ...(namespace ? { namespace } : {}),
          labels: labels ?? {},
        });
      }
    } catch (err) {
      // The plugin is not installed here: nothing of it can be backed up.
      if (!isNotFound(err)) throw err;
    }
  }
  return out;
}

/** Stable across deliveries and replicas: the same findings always give the same value. */
export function findingsHash(d: GuardDecision): string {
  const basis = JSON.stringify([d.findings, d.unlabelledInternal, d.avoidWith]);
  return createHash('sha256').update(basis).digest('hex').slice(0, 16);
}

export async function handle(
  event: InboundEvent,
  deps: GuardDeps,
): Promise<OutboundEvent[] | void> {
  const sent = event.data as VeleroObject;
  const kind = sent.kind as GuardKind;
  const ref = {
    apiVersion: sent.apiVersion,
    kind,
    namespace: sent.metadata.namespace ?? '',
    name: sent.metadata.name,
  };
  // Level-triggered: the event only says where to look.
  const live = await deps.kube.get<VeleroObject>(ref);
  if (!live || live.metadata.deletionTimestamp || FINISHED.has(live.status?.phase ?? '')) return;
  const spec = live.spec ?? {};
  let source: RestoreSource | undefined;
  if (kind === 'Restore') {
    source = await restoreSource(deps, live);
    if (!source) return;
  }
  const { entries, problems } = parseRestrictedList(await restrictedData(deps));
  const internal =
    kind === 'Backup' && deps.checkPluginInternal ? await unlabelledInternal(deps, spec) : [];
  const decision = decide(spec, kind, entries, internal, source);
  if (decision.findings.length === 0 && decision.unlabelledInternal.length === 0) return;

  const hash = findingsHash(decision);
  if (live.metadata.annotations?.[ANNOTATION_GUARD_REPORTED] === hash) return;
  const message = summarize(kind, decision);
  await deps.kube.recordEvent(live, {
    type: 'Warning',
    reason: REASON_GUARD_RESTRICTED,
    message,
    dedupeKey: `guard:${hash}`,
  });
  // resourceVersion: two replicas racing on one object report once (the loser gets a 409, re-reads, sees the hash).
  await deps.kube.patch(ref, {
    type: 'merge',
    body: {
      metadata: {
        resourceVersion: live.metadata.resourceVersion,
        annotations: { [ANNOTATION_GUARD_REPORTED]: hash },
      },
    },
  });
  const data: GuardRestrictedResources = {
    object: {
      apiVersion: 'velero.io/v1',
      kind,
      namespace: ref.namespace,
      name: ref.name,
      ...(live.metadata.uid ? { uid: live.metadata.uid } : {}),
    },
    selection: decision.selection,
    filterStyle: decision.filterStyle,
    findings: decision.findings,
    unlabelledInternal: decision.unlabelledInternal,
    avoidWith: decision.avoidWith,
    ...(problems.length > 0 ? { configProblems: problems } : {}),
    message,
  };
  return [
    {
      type: EVENT_TYPE_GUARD_RESTRICTED,
      subject: `${kind.toLowerCase()}s/${ref.namespace}/${ref.name}`,
      dataschema: GUARD_EVENT_SCHEMA,
      data,
    },
  ];
}
