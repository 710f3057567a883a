// The labeler's handler: each event only says where to look. A group or VM event reconciles its
// namespace; a Backup reconciles the namespaces it reaches, then reports on the Backup; the tick
// reconciles every namespace holding groups or membership-labelled VMs. Reconciling is
// level-triggered (recomputed from live lists), so order, duplicates and lost events do not
// matter beyond latency.

import type { InboundEvent, Logger, OutboundEvent } from '../runtime/function.ts';
import type { VeleroBackup } from '../../schemas/generated/objects/backup.ts';
import type { VirtualMachine } from '../../schemas/generated/objects/virtualmachine.ts';
import type { VirtualMachineGroup } from '../../schemas/generated/objects/virtualmachinegroup.ts';
import type { Closure, ObjectKey } from '../vmgroup/closure.ts';
import { formatClosureRecord } from '../vmgroup/closure-record.ts';
import type { RecordedGroup } from '../vmgroup/closure-record.ts';
import {
  ANNOTATION_BACKUP_CLOSURE,
  ANNOTATION_LABELLED_SECRETS,
  EVENT_TYPE_BACKUP_EXPANDED,
  SEED_GROUP_LABEL,
  isMemberLabelKey,
  memberLabelKey,
} from '../vmgroup/names.ts';
import { schemaId } from '../runtime/schema/schema-files.ts';

export const EXPANDED_SCHEMA = schemaId('events/backup-expanded');
import { parseSecretRecord } from './plan.ts';
import { writeSlots } from './write-slots.ts';
import { forEachBounded } from '../runtime/apply/worker-pool.ts';
import { updateNeedsReconcile } from './fingerprint.ts';
import {
  backupEventRecord,
  backupNeedsExpansion,
  coverage,
  expandedData,
  explicitNamespaces,
  namespaceInScope,
} from './plan-backup.ts';
import type { Members, ReconcileDeps, ReconcileOptions, ReconcileResult } from './reconcile.ts';
import { listMembers, reconcileNamespace } from './reconcile.ts';
import { checkSecretLabels, expectedSecretLabels } from './secret-check.ts';
import type { Coalescer, SingleFlight } from '../runtime/events/coalesce.ts';

export interface LabelerDeps extends ReconcileDeps {
  /** Shares one reconcile among events for the same namespace (see coalesce.ts); none in tests that want every run. */
  coalescer?: Coalescer<ReconcileResult>;
  /** The resync under way, joined by ticks that arrive while it runs (coalesce.ts SingleFlight). */
  resync?: SingleFlight<Totals>;
}

export interface Totals {
  namespaces: number;
  reads: number;
  writes: number;
  probes: number;
  remembered: number;
  labelsChanged: number;
}

const carriesOurLabel = (o: { metadata: { labels?: Record<string, string> } }): boolean =>
  Object.keys(o.metadata.labels ?? {}).some((k) => isMemberLabelKey(k) || k === SEED_GROUP_LABEL);

/**
 * A namespace the walk reconciles: it holds groups, or objects still labelled for a group (that may
 * be gone). The tick and all-namespace Backups walk the cluster a namespace at a time
 * (NAMESPACES_AT_ONCE), each namespace's members listed once (listMembers) and handed to its
 * reconcile as its first pass, so what is held at once is bounded by the largest namespaces, not by
 * the cluster (cluster-wide lists held every VM's projection until its namespace was reached:
 * ~100 MiB of old generation at 10,000 VMs, docs/performance.md).
 */
function needsResync(p: Members): boolean {
  return (
    p.groups.length > 0 ||
    [p.vms, p.configMaps, p.pvcs].some((objects) => objects.some(carriesOurLabel))
  );
}

/** Every namespace's name, sorted (metadata only). */
async function allNamespaces(deps: LabelerDeps): Promise<string[]> {
  const list = await deps.kube.list('v1', 'Namespace', undefined, {
    metadataOnly: true,
    project: (o) => ({
      apiVersion: o.apiVersion,
      kind: o.kind,
      metadata: { name: o.metadata.name },
    }),
  });
  return list.items.map((n) => n.metadata.name).sort();
}

/**
 * Namespaces reconciled at once by the tick and by Backups. Their writes share one budget
 * (`concurrency`, write-slots.ts), so overlapping them only fills each namespace's phase
 * boundaries; more would hold more namespaces' lists (a Backup without the snapshot lists each).
 */
const NAMESPACES_AT_ONCE = 4;

async function reconcileAll(
  deps: LabelerDeps,
  namespaces: string[],
  /** List each namespace first and skip the ones with nothing to do (needsResync). */
  walk: boolean,
  reads: number,
  keep: boolean,
): Promise<{ results: ReconcileResult[]; totals: Totals }> {
  const results: ReconcileResult[] = [];
  const shared: LabelerDeps = {
    ...deps,
    writeSlots: deps.writeSlots ?? writeSlots(deps.concurrency),
  };
  const totals: Totals = {
    namespaces: 0,
    reads,
    writes: 0,
    probes: 0,
    remembered: 0,
    labelsChanged: 0,
  };
  await forEachBounded(namespaces, NAMESPACES_AT_ONCE, async (ns) => {
    // Backups and the tick are when labels must be complete: probe every Secret again.
    const o: ReconcileOptions = { reprobe: true };
    if (walk) {
      const listed = await listMembers(deps, ns);
      totals.reads += listed.reads;
      if (!needsResync(listed.members)) return;
      o.prefetched = listed.members;
    }
    totals.namespaces++;
    const r = await reconcileNamespace(shared, ns, o);
    totals.reads += r.reads;
    totals.writes += r.writes;
    totals.probes += r.probes;
    totals.remembered += r.remembered;
    totals.labelsChanged += r.labelsChanged;
    // A Backup reports from the closures and labels; the tick needs only the counts.
    if (keep) results.push(r);
  });
  // In the order asked for, whatever order they finished in.
  results.sort((a, b) => namespaces.indexOf(a.namespace) - namespaces.indexOf(b.namespace));
  return { results, totals };
}

export async function resyncAll(deps: LabelerDeps): Promise<Totals> {
  const namespaces = await allNamespaces(deps);
  const { totals } = await reconcileAll(deps, namespaces, true, 1, false);
  deps.logger.info({ ...totals }, 'resync done');
  return totals;
}

type Member = VirtualMachine | VirtualMachineGroup;

/** A group or VM appeared, or a VM was deleted: reconcile its namespace. */
export async function onMemberChange(
  event: InboundEvent<Member>,
  deps: LabelerDeps,
): Promise<void> {
  await reconcileFor(event, deps);
}

/** An update only matters when it changes something the labeler decides from. */
export async function onMemberUpdate(
  event: InboundEvent<Member>,
  deps: LabelerDeps,
): Promise<void> {
  const obj = event.data;
  if (!updateNeedsReconcile(obj)) {
    deps.logger.debug(
      { namespace: obj.metadata.namespace, kind: obj.kind, name: obj.metadata.name },
      'update changes nothing the labeler decides from',
    );
    return;
  }
  await reconcileFor(event, deps);
}

/** The deleted group's last record says which Secrets carry its label; nothing else can. */
export async function onGroupDelete(
  event: InboundEvent<VirtualMachineGroup>,
  deps: LabelerDeps,
): Promise<void> {
  const g = event.data;
  const record = parseSecretRecord(g.metadata.annotations?.[ANNOTATION_LABELLED_SECRETS]);
  await reconcileFor(event, deps, new Map([[memberLabelKey(g.metadata.name), record]]));
}

async function reconcileFor(
  event: InboundEvent<Member>,
  deps: LabelerDeps,
  deletedRecords?: ReconcileOptions['deletedRecords'],
): Promise<void> {
  const obj = event.data;
  const namespace = obj.metadata.namespace ?? event.extensions.namespace;
  if (!namespace) return;
  // A delete carries the only copy of the group's Secret record: that run is never shared.
  const r =
    deps.coalescer && !deletedRecords
      ? await deps.coalescer.run(namespace, () => reconcileNamespace(deps, namespace))
      : await reconcileNamespace(deps, namespace, deletedRecords ? { deletedRecords } : {});
  deps.logger.info(
    {
      namespace,
      kind: obj.kind,
      name: obj.metadata.name,
      type: event.type,
      passes: r.passes,
      reads: r.reads,
      writes: r.writes,
      probes: r.probes,
      remembered: r.remembered,
    },
    'namespace reconciled',
  );
}

function labelsLookup(
  results: ReconcileResult[],
): (ns: string, key: ObjectKey) => Record<string, string> {
  const byNs = new Map(results.map((r) => [r.namespace, r.labels]));
  return (ns, key) => byNs.get(ns)?.get(`${key.kind}/${key.name}`) ?? {};
}

/**
 * What was labelled for this Backup, for the backup verifier once Velero is done: a merge patch of
 * our one key, so Velero's concurrent status writes are neither lost nor a conflict. A Backup
 * deleted meanwhile needs no record.
 */
async function recordClosure(
  deps: LabelerDeps,
  backup: VeleroBackup,
  recorded: RecordedGroup[],
): Promise<void> {
  const ref = {
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    namespace: backup.metadata.namespace ?? '',
    name: backup.metadata.name,
  };
  const body = {
    metadata: { annotations: { [ANNOTATION_BACKUP_CLOSURE]: formatClosureRecord(recorded) } },
  };
  try {
    await deps.kube.patch(ref, { type: 'merge', body });
  } catch (err) {
    if ((err as { status?: unknown }).status !== 404) throw err;
    deps.logger.debug({ backup: ref.name }, 'Backup gone before its closure was recorded');
  }
}

export const onBackupAdd = (event: InboundEvent<VeleroBackup>, deps: LabelerDeps) =>
  onBackup(event.data, 'add', deps);
export const onBackupUpdate = (event: InboundEvent<VeleroBackup>, deps: LabelerDeps) =>
  onBackup(event.data, 'update', deps);

async function onBackup(
  backup: VeleroBackup,
  verb: 'add' | 'update',
  deps: LabelerDeps,
): Promise<OutboundEvent[] | void> {
  if (!backupNeedsExpansion(backup, verb)) {
    deps.logger.debug(
      { backup: backup.metadata.name, phase: backup.status?.phase },
      'backup already past collection; nothing to expand',
    );
    return;
  }
  const explicit = explicitNamespaces(backup);
  const { results, totals } = explicit
    ? await reconcileAll(deps, explicit, false, 0, true)
    : await reconcileAll(
        deps,
        (await allNamespaces(deps)).filter((ns) => namespaceInScope(backup, ns)),
        true,
        1,
        true,
      );
  // Secrets re-created since they were labelled lost their labels unseen: probe (no write) and fix.
  for (const r of results) {
    const expected = expectedSecretLabels(r.closures.values(), r.absentSecrets);
    const check = await checkSecretLabels(deps.kube, r.namespace, expected, deps.concurrency);
    for (const s of check.absent) r.absentSecrets.add(s);
    totals.probes += check.probes;
    totals.writes += check.relabelled.length;
    totals.labelsChanged += check.relabelled.reduce(
      (n, s) => n + Object.keys(expected.get(s) ?? {}).length,
      0,
    );
    if (check.relabelled.length > 0)
      deps.logger.warn(
        { namespace: r.namespace, secrets: check.relabelled },
        'Secrets had lost their membership labels (re-created?); relabelled',
      );
  }
  const closures = new Map<string, Map<string, Closure>>(
    results.map((r) => [r.namespace, r.closures]),
  );
  const absent = new Map(results.map((r) => [r.namespace, r.absentSecrets]));
  const cov = coverage(backup, closures, labelsLookup(results), absent);
  const data = expandedData(backup, cov, totals.labelsChanged, totals.writes);
  await recordClosure(deps, backup, cov.recorded);
  await deps.kube.recordEvent(backup, backupEventRecord(data));
  deps.logger.info(
    { backup: backup.metadata.name, groups: cov.groups.length, ...totals },
    'backup expanded',
  );
  return [
    {
      type: EVENT_TYPE_BACKUP_EXPANDED,
      subject: `${backup.metadata.namespace}/${backup.metadata.name}`,
      dataschema: EXPANDED_SCHEMA,
      data,
    },
  ];
}

/**
 * A tick that arrives while a resync runs (the Broker redelivering one it gave up waiting for, or
 * the next period's) joins it: at 1,000 VMs a cold resync took 65–111 s on a loaded machine, and
 * starting another over the same objects would only race the first one's writes.
 */
export async function onTick(_event: InboundEvent, deps: LabelerDeps): Promise<void> {
  if (!deps.resync) {
    await resyncAll(deps);
    return;
  }
  if (deps.resync.running) deps.logger.info({}, 'tick joins the resync under way');
  await deps.resync.run(() => resyncAll(deps));
}

export type { Logger };
