// Thin doing part of the backup guard: read the live Backup/Restore (for a Restore also the Backup
// it restores from), the restricted list and the plugin-internal objects that lost their exclude
// label; let plan.ts decide; report once per distinct set of findings (Warning Event, an
// annotation recording what was reported, reply). The periodic tick does the same for every
// Backup and Restore still in flight in Velero's namespace (resync-targets.ts decides which).

import { createHash } from 'node:crypto';
import type { Clock, InboundEvent, Logger, OutboundEvent } from '../runtime/function.ts';
import type { Kube, KubeObject } from '../runtime/kube/kube-api.ts';
import {
  ANNOTATION_GUARD_REPORTED,
  EVENT_TYPE_GUARD_RESTRICTED,
  REASON_GUARD_RESTRICTED,
  VELERO_EXCLUDE_LABEL,
  VSPHERE_PLUGIN_BLOCKED_LIST,
} from '../vmgroup/names.ts';
import type { PluginBlock } from './plugin-blocklist.ts';
import { pluginBlocks, pluginBlocksText } from './plugin-blocklist.ts';
import type { GuardDecision, GuardKind, RestoreSource, UnlabelledObject } from './plan.ts';
import { decide, summarize } from './plan.ts';
import type { Resolve } from '../velero/resource-filter.ts';
import type { RestrictedEntry } from './restricted-list.ts';
import type { PLUGIN_INTERNAL } from './restricted-list.ts';
import { defaultRestrictedData, parseRestrictedList } from './restricted-list.ts';
import type { VeleroObject } from './resync-targets.ts';
import { pluginKindsIn, resyncTargets, stillJudged } from './resync-targets.ts';
import { GUARD_EVENT_SCHEMA, PING_TYPE } from './bindings.ts';
import type { GuardRestrictedResources } from '../../schemas/generated/events/guard-restricted-resources.ts';

export interface GuardDeps {
  kube: Pick<Kube, 'get' | 'list' | 'patch' | 'recordEvent'>;
  logger: Logger;
  clock: Clock;
  /** Where the restricted list lives; the shipped default applies when it does not exist. */
  configMap: { namespace: string; name: string };
  /** List plugin-internal objects to find lost exclude labels (needs list on them). */
  checkPluginInternal: boolean;
  /** Where the periodic tick looks for Backups and Restores. */
  veleroNamespace: string;
  /** How Velero resolves names in filters right now (discovery.ts caches it). */
  resolver(): Promise<Resolve>;
}

const isNotFound = (err: unknown): boolean => (err as { status?: unknown } | null)?.status === 404;

type Unlabelled = UnlabelledObject & { labels?: Record<string, string> };
type PluginKind = (typeof PLUGIN_INTERNAL)[number];

/** What every judgement of one delivery shares: read once, however many objects it judges. */
interface Inputs {
  restricted: { entries: RestrictedEntry[]; problems: string[] };
  resolve: Resolve;
  /** Plugin-internal objects of one kind without their exclude label (listed once per kind). */
  unlabelled(kind: PluginKind): Promise<Unlabelled[]>;
  /** velero-plugin-for-vsphere's blocked list; undefined when that ConfigMap does not exist. */
  pluginBlockList: Record<string, string> | undefined;
}

/** The vSphere plugin's blocked-resources ConfigMap in Velero's namespace, when it is installed. */
async function pluginBlockList(deps: GuardDeps): Promise<Record<string, string> | undefined> {
  const cm = await deps.kube.get<KubeObject & { data?: Record<string, string> }>({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    namespace: deps.veleroNamespace,
    name: VSPHERE_PLUGIN_BLOCKED_LIST,
  });
  return cm ? (cm.data ?? {}) : undefined;
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

/** Plugin-internal objects of one kind without `velero.io/exclude-from-backup: "true"`. */
async function listUnlabelled(deps: GuardDeps, p: PluginKind): Promise<Unlabelled[]> {
  try {
    // `!=` also matches objects without the key; only offenders come back.
    const list = await deps.kube.list(p.apiVersion, p.kind, undefined, {
      labelSelector: `${VELERO_EXCLUDE_LABEL}!=true`,
    });
    return list.items.map((o) => {
      const { name, namespace, labels } = o.metadata;
      return {
        resource: p.resource,
        name,
        ...(namespace ? { namespace } : {}),
        labels: labels ?? {},
      };
    });
  } catch (err) {
    // The plugin is not installed here: nothing of it can be backed up.
    if (!isNotFound(err)) throw err;
    return [];
  }
}

async function readInputs(deps: GuardDeps): Promise<Inputs> {
  const [data, resolve, blockList] = await Promise.all([
    restrictedData(deps),
    deps.resolver(),
    pluginBlockList(deps),
  ]);
  const restricted = parseRestrictedList(data);
  const lists = new Map<string, Promise<Unlabelled[]>>();
  return {
    restricted,
    resolve,
    pluginBlockList: blockList,
    unlabelled(p) {
      let list = lists.get(p.resource);
      if (!list) {
        list = listUnlabelled(deps, p);
        lists.set(p.resource, list);
      }
      return list;
    },
  };
}

/** Stable across deliveries and replicas: the same findings always give the same value. */
export function findingsHash(d: GuardDecision, blocked: readonly PluginBlock[] = []): string {
  // The plugin's blocks join the basis only when present, so earlier reports keep their hash.
  const basis = JSON.stringify([
    d.findings,
    d.unlabelledInternal,
    d.avoidWith,
    ...(blocked.length > 0 ? [blocked] : []),
  ]);
  return createHash('sha256').update(basis).digest('hex').slice(0, 16);
}

export async function handle(
  event: InboundEvent,
  deps: GuardDeps,
): Promise<OutboundEvent[] | void> {
  if (event.type === PING_TYPE) return resync(deps);
  const sent = event.data as VeleroObject;
  // Level-triggered: the event only says where to look.
  const live = await deps.kube.get<VeleroObject>({
    apiVersion: sent.apiVersion,
    kind: sent.kind,
    namespace: sent.metadata.namespace ?? '',
    name: sent.metadata.name,
  });
  if (!live || !stillJudged(live)) return;
  const out = await judge(deps, live, await readInputs(deps));
  return out ? [out] : undefined;
}

/**
 * The periodic tick: judge every Backup and Restore still in flight, so one whose events were
 * lost (or that existed before the source started) is still warned about, and a changed
 * restricted list reaches those not yet finished. Reports stay once per distinct findings. One
 * object's failure does not stop the others; the tick then fails so the Broker retries it. HTTP
 * carries one reply, so a tick that reports several objects replies for the first; all of them
 * get their Event and annotation.
 */
async function resync(deps: GuardDeps): Promise<OutboundEvent[] | void> {
  const list = (kind: GuardKind) =>
    deps.kube.list<VeleroObject>('velero.io/v1', kind, deps.veleroNamespace);
  const [backups, restores] = await Promise.all([list('Backup'), list('Restore')]);
  const targets = resyncTargets(backups.items, restores.items);
  if (targets.length === 0) return;
  const inputs = await readInputs(deps);
  const replies: OutboundEvent[] = [];
  let failure: unknown;
  for (const obj of targets) {
    try {
      const out = await judge(deps, obj, inputs);
      if (out) replies.push(out);
    } catch (err) {
      failure ??= err;
      deps.logger.warn(
        { kind: obj.kind, name: obj.metadata.name, err: String(err) },
        'resync: judging failed; the tick will be retried',
      );
    }
  }
  deps.logger.info({ judged: targets.length, reported: replies.length }, 'guard resync done');
  if (failure !== undefined) throw failure;
  return replies.slice(0, 1);
}

/** Judge one live Backup/Restore and report new findings; the reply, if any. */
async function judge(
  deps: GuardDeps,
  live: VeleroObject,
  inputs: Inputs,
): Promise<OutboundEvent | undefined> {
  const kind = live.kind as GuardKind;
  const ref = {
    apiVersion: live.apiVersion,
    kind,
    namespace: live.metadata.namespace ?? '',
    name: live.metadata.name,
  };
  const spec = live.spec ?? {};
  let source: RestoreSource | undefined;
  if (kind === 'Restore') {
    source = await restoreSource(deps, live);
    if (!source) return undefined;
  }
  const { entries, problems } = inputs.restricted;
  const internal: Unlabelled[] = [];
  if (kind === 'Backup' && deps.checkPluginInternal) {
    for (const p of pluginKindsIn(spec, inputs.resolve))
      internal.push(...(await inputs.unlabelled(p)));
  }
  const decision = decide(spec, kind, entries, internal, source, inputs.resolve);
  const blocked =
    kind === 'Backup'
      ? pluginBlocks(spec, decision.selection, inputs.pluginBlockList, inputs.resolve)
      : [];
  if (
    decision.findings.length === 0 &&
    decision.unlabelledInternal.length === 0 &&
    blocked.length === 0
  )
    return undefined;

  const hash = findingsHash(decision, blocked);
  if (live.metadata.annotations?.[ANNOTATION_GUARD_REPORTED] === hash) return undefined;
  const message = [pluginBlocksText(blocked, ref.namespace), summarize(kind, decision)]
    .filter((m) => m !== '')
    .join('. ');
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
    ...(blocked.length > 0 ? { pluginBlocked: blocked } : {}),
    message,
  };
  return {
    type: EVENT_TYPE_GUARD_RESTRICTED,
    subject: `${kind.toLowerCase()}s/${ref.namespace}/${ref.name}`,
    dataschema: GUARD_EVENT_SCHEMA,
    data,
  };
}
