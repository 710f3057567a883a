// What a Backup covers, as pure functions: which namespaces it reaches, which groups it takes
// whole and which its filters cut, and the report (Kubernetes Event message + reply CloudEvent
// data). Velero's filter semantics (namespace globs, resource includes/excludes, labelSelector vs
// orLabelSelectors) are the backup guard's pure functions, reused rather than re-derived.

import type { VeleroBackup } from '../../schemas/generated/objects/backup.ts';
import type { BackupExpanded } from '../../schemas/generated/events/backup-expanded.ts';
import type { EventRecord } from '../runtime/kube/kube-api.ts';
import type { Closure, ClosureKind, ObjectKey } from '../vmgroup/closure.ts';
import { CLOSURE_RESOURCE, keyString } from '../vmgroup/closure.ts';
import type { RecordedGroup } from '../vmgroup/closure-record.ts';
import {
  REASON_BACKUP_EXPANDED,
  REASON_BACKUP_INCOMPLETE,
  VELERO_EXCLUDE_LABEL,
} from '../vmgroup/names.ts';
import { selectionMatches } from '../velero/label-selection.ts';
import { allNamespaces, includesResource } from '../velero/resource-filter.ts';
import { namespaceIncluded } from '../velero/resource-filter.ts';
import type { FilterSpec } from '../velero/resource-filter.ts';

export type GroupReport = BackupExpanded['groups'][number];
type Counts = BackupExpanded['totals'];
type Cut = GroupReport['cut'][number];

/** Phases in which a Backup has not yet collected its items: worth expanding and reporting. */
const EARLY_PHASES = new Set(['', 'New', 'Queued', 'ReadyToStart', 'InProgress']);

/** Act on a Backup add in any early phase, and on updates only before Velero starts collecting. */
export function backupNeedsExpansion(backup: VeleroBackup, verb: 'add' | 'update'): boolean {
  const phase = backup.status?.phase ?? '';
  if (backup.metadata.deletionTimestamp) return false;
  return verb === 'add'
    ? EARLY_PHASES.has(phase)
    : EARLY_PHASES.has(phase) && phase !== 'InProgress';
}

function spec(backup: VeleroBackup): FilterSpec {
  return (backup.spec ?? {}) as FilterSpec;
}

/** Undefined = every namespace (then the caller finds the namespaces that hold groups). */
export function explicitNamespaces(backup: VeleroBackup): string[] | undefined {
  const s = spec(backup);
  if (allNamespaces(s)) return undefined;
  const included = s.includedNamespaces ?? [];
  // Patterns need the namespace list; plain names do not.
  if (included.length === 0 || included.some((n) => /[*?[{]/.test(n))) return undefined;
  return included.filter((n) => namespaceIncluded(s, n));
}

export function namespaceInScope(backup: VeleroBackup, namespace: string): boolean {
  return namespaceIncluded(spec(backup), namespace);
}

/** Labels of an object after labelling: its other labels (when listable) plus membership labels. */
export type LabelsOf = (namespace: string, key: ObjectKey) => Record<string, string>;

function cutReason(
  s: FilterSpec,
  labels: Record<string, string>,
  kind: ClosureKind,
): Cut['reason'] | undefined {
  if (!includesResource(s, 'Backup', CLOSURE_RESOURCE[kind], 'Namespaced')) return 'resourceFilter';
  if (labels[VELERO_EXCLUDE_LABEL] === 'true') return 'excludeLabel';
  if (!selectionMatches(s, labels)) return 'labelSelector';
  return undefined;
}

function counts(keys: Iterable<ObjectKey>): Counts {
  const c: Counts = {
    virtualMachineGroups: 0,
    virtualMachines: 0,
    secrets: 0,
    configMaps: 0,
    persistentVolumeClaims: 0,
    virtualMachineServices: 0,
    virtualMachineSetResourcePolicies: 0,
    encryptionClasses: 0,
  };
  const field: Record<ClosureKind, keyof Counts> = {
    VirtualMachineGroup: 'virtualMachineGroups',
    VirtualMachine: 'virtualMachines',
    Secret: 'secrets',
    ConfigMap: 'configMaps',
    PersistentVolumeClaim: 'persistentVolumeClaims',
    VirtualMachineService: 'virtualMachineServices',
    VirtualMachineSetResourcePolicy: 'virtualMachineSetResourcePolicies',
    EncryptionClass: 'encryptionClasses',
  };
  for (const k of keys) c[field[k.kind]]++;
  return c;
}

/**
 * Each group of the in-scope namespaces that the Backup takes at least partly: `complete` when
 * the whole closure passes its filters, `partial` (with what is cut and why) otherwise.
 */
export function coverage(
  backup: VeleroBackup,
  closures: ReadonlyMap<string, ReadonlyMap<string, Closure>>,
  labelsOf: LabelsOf,
  absentSecrets: ReadonlyMap<string, ReadonlySet<string>> = new Map(),
): { groups: GroupReport[]; totals: Counts; recorded: RecordedGroup[] } {
  const s = spec(backup);
  const groups: GroupReport[] = [];
  const recorded: RecordedGroup[] = [];
  const taken = new Map<string, ObjectKey>();
  for (const [ns, byGroup] of [...closures].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!namespaceIncluded(s, ns)) continue;
    const absent = absentSecrets.get(ns) ?? new Set();
    for (const c of byGroup.values()) {
      const present = c.objects.filter((o) => !(o.kind === 'Secret' && absent.has(o.name)));
      const cut: Cut[] = [];
      const kept: ObjectKey[] = [];
      for (const o of present) {
        const reason = cutReason(s, labelsOf(ns, o), o.kind);
        if (reason) cut.push({ kind: o.kind, name: o.name, reason });
        else kept.push(o);
      }
      if (kept.length === 0) continue;
      for (const k of kept) taken.set(`${ns}/${keyString(k)}`, k);
      recorded.push({ namespace: ns, name: c.group, objects: present, cut });
      // VM Operator falls back to a same-named ConfigMap when the Secret is absent; the closure
      // holds that ConfigMap too, so such a Secret is not missing.
      const fallback = new Set(c.objects.filter((o) => o.kind === 'ConfigMap').map((o) => o.name));
      const missing = [
        ...c.missing,
        ...c.objects
          .filter((o) => o.kind === 'Secret' && absent.has(o.name) && !fallback.has(o.name))
          .map((o) => missingSecret(c, o.name)),
      ];
      groups.push({
        namespace: ns,
        name: c.group,
        labelKey: c.labelKey,
        coverage: cut.length === 0 ? 'complete' : 'partial',
        counts: counts(kept),
        cut,
        missing,
        cycles: c.cycles,
        problems: c.problems,
        fidelity: fidelityOfKept(c, kept),
      });
    }
  }
  return { groups, totals: counts(taken.values()), recorded };
}

/**
 * What a restore of this Backup brings back: only the VMs it takes, with only the PVCs and
 * bootstrap objects it takes; a claim it cuts is data that does not come back.
 */
function fidelityOfKept(c: Closure, kept: readonly ObjectKey[]): GroupReport['fidelity'] {
  const ids = new Set(kept.map(keyString));
  return c.fidelity
    .filter((f) => ids.has(`VirtualMachine/${f.vm}`))
    .map((f) => {
      const cutPvcs = f.comesBack.pvcs.filter((p) => !ids.has(`PersistentVolumeClaim/${p}`));
      return {
        ...f,
        comesBack: {
          spec: true,
          pvcs: f.comesBack.pvcs.filter((p) => ids.has(`PersistentVolumeClaim/${p}`)),
          bootstrap: f.comesBack.bootstrap.filter((b) => ids.has(b)),
        },
        doesNot: { ...f.doesNot, missingPvcs: [...f.doesNot.missingPvcs, ...cutPvcs] },
      };
    });
}

/** A Secret the closure names that a patch found absent, attributed to the first VM referencing it. */
function missingSecret(c: Closure, name: string): GroupReport['missing'][number] {
  const edge = c.edges.find((e) => e.to.kind === 'Secret' && e.to.name === name);
  return {
    kind: 'Secret',
    name,
    role: edge?.role ?? 'bootstrap',
    referencedBy: edge?.from ?? { kind: 'VirtualMachineGroup', name: c.group },
  };
}

export function expandedData(
  backup: VeleroBackup,
  cov: { groups: GroupReport[]; totals: Counts },
  labelsChanged: number,
  writes: number,
): BackupExpanded {
  return {
    backup: {
      namespace: backup.metadata.namespace ?? '',
      name: backup.metadata.name,
      ...(backup.metadata.uid ? { uid: backup.metadata.uid } : {}),
      ...(backup.status?.phase ? { phase: backup.status.phase } : {}),
    },
    groups: cov.groups,
    totals: cov.totals,
    labelsChanged,
    writes,
  };
}

const MAX_MESSAGE = 1000;

function appCounts(t: Counts): string {
  const parts = [
    [t.virtualMachineServices, 'VirtualMachineService(s)'],
    [t.virtualMachineSetResourcePolicies, 'VirtualMachineSetResourcePolicy(s)'],
    [t.encryptionClasses, 'EncryptionClass(es)'],
  ] as const;
  const some = parts.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`);
  return some.length > 0 ? `, ${some.join(', ')}` : '';
}

/** One sentence for the Event; the per-VM detail is in the reply CloudEvent's `fidelity`. */
function fidelitySummary(data: BackupExpanded): string {
  // A VM of a nested group is in its parent's closure too: count it once.
  const byVm = new Map(
    data.groups.flatMap((g) => g.fidelity.map((f) => [`${g.namespace}/${f.vm}`, f])),
  );
  const vms = [...byVm.values()];
  const images = [...new Set(vms.map((f) => f.targetMustProvide.image).filter(Boolean))];
  const lost = vms.filter((f) => f.doesNot.nonPvcVolumes.length > 0).map((f) => f.vm);
  const head = `Velero restores ${vms.length} VM(s) as new VMs deployed from their images (boot disk state is not restored; only PVC data returns); the target must provide ${images.length > 0 ? images.join(', ') : 'no named image'} and each VM's class and storage class`;
  return lost.length > 0
    ? `${head}; volumes not on a PVC are lost for ${[...new Set(lost)].join(', ')}`
    : head;
}

function problemsOf(g: GroupReport): string[] {
  const out: string[] = [];
  const where = `${g.namespace}/${g.name}`;
  for (const m of g.missing)
    out.push(
      `${where}: missing ${m.kind} ${m.name} (${m.referencedBy.kind} ${m.referencedBy.name})`,
    );
  for (const c of g.cycles) out.push(`${where}: cycle ${c.join(' → ')}`);
  for (const p of g.problems) out.push(`${where}: ${p.type} ${p.kind} ${p.name}`);
  if (g.cut.length > 0)
    out.push(
      `${where}: backup leaves out ${g.cut.length} of its objects (${[...new Set(g.cut.map((c) => c.reason))].join(', ')})`,
    );
  return out;
}

/** The Kubernetes Event on the Backup: Normal when every covered group is whole and sound. */
export function backupEventRecord(data: BackupExpanded): EventRecord {
  const t = data.totals;
  const names = data.groups.map((g) => `${g.namespace}/${g.name}`);
  const problems = data.groups.flatMap(problemsOf);
  const head =
    data.groups.length === 0
      ? 'covers no VirtualMachineGroup'
      : `covers ${data.groups.length} VirtualMachineGroup(s) (${names.join(', ')}): ${t.virtualMachines} VirtualMachine(s), ${t.secrets} Secret(s), ${t.configMaps} ConfigMap(s), ${t.persistentVolumeClaims} PVC(s), ${t.virtualMachineGroups} group object(s)${appCounts(t)}; ${data.labelsChanged} label(s) changed`;
  let message = problems.length === 0 ? head : `${head}; problems: ${problems.join('; ')}`;
  // Last, so truncation never hides a problem.
  if (data.groups.length > 0) message = `${message}. On restore: ${fidelitySummary(data)}`;
  if (message.length > MAX_MESSAGE) message = `${message.slice(0, MAX_MESSAGE - 1)}…`;
  return {
    type: problems.length === 0 ? 'Normal' : 'Warning',
    reason: problems.length === 0 ? REASON_BACKUP_EXPANDED : REASON_BACKUP_INCOMPLETE,
    message,
    dedupeKey: 'backup-expanded',
  };
}
