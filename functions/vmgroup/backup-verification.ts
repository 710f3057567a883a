// Does a finished Backup hold each group's closure? Pure functions (no I/O) over what the backup
// verifier reads: the Backup's item list as Velero stores it (the BackupResourceList that
// `velero backup describe --details` downloads: gzipped JSON, `"<apiVersion>/<Kind>"` →
// `["ns/name"]`, cluster-scoped items without the `ns/`) and the closure each group had when it
// was labelled. Each missing object gets the likeliest cause, so the Warning says what to change.

import { gunzipSync } from 'node:zlib';
import type { ClosureKind, ObjectKey } from './closure.ts';
import { CLOSURE_API_GROUP, CLOSURE_RESOURCE, KIND_ORDER } from './closure.ts';
import type { CutReason } from './closure-record.ts';
import { VELERO_EXCLUDE_LABEL } from './names.ts';

/** `"<apiVersion>/<Kind>"` → `["ns/name", ...]`, as Velero writes it. */
export type ResourceList = Record<string, string[]>;

/** The phases in which Velero is done with a Backup that holds items (not Failed/FailedValidation,
 * not still waiting on plugin operations or finalizing). */
const VERIFIABLE_PHASES = new Set(['Completed', 'PartiallyFailed']);

export function backupVerifiable(phase: string | undefined): boolean {
  return VERIFIABLE_PHASES.has(phase ?? '');
}

/** The bytes behind a BackupResourceList download URL, checked: a shape error is never guessed past. */
export function parseResourceList(gzipped: Uint8Array): ResourceList {
  const parsed: unknown = JSON.parse(gunzipSync(gzipped).toString('utf8'));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error('BackupResourceList is not a JSON object');
  for (const [key, items] of Object.entries(parsed)) {
    if (!Array.isArray(items) || items.some((i) => typeof i !== 'string'))
      throw new Error(`BackupResourceList entry ${JSON.stringify(key)} is not a list of names`);
  }
  return parsed as ResourceList;
}

/** API group of each closure kind: the item list is matched on group and Kind, not version
 * (Velero records the version discovery preferred, which may differ from the one we read). */
const API_GROUP: Record<ClosureKind, string> = CLOSURE_API_GROUP;

function itemKey(group: string, kind: string, namespace: string, name: string): string {
  return `${group}|${kind}|${namespace}/${name}`;
}

/** Every item of the list, keyed by API group, Kind and `ns/name`. */
export function itemsOf(list: ResourceList): Set<string> {
  const out = new Set<string>();
  for (const [gvk, names] of Object.entries(list)) {
    const parts = gvk.split('/');
    const kind = parts[parts.length - 1] ?? '';
    // "v1/Secret" is the core group; "vmoperator.vmware.com/v1alpha5/VirtualMachine" is not.
    const group = parts.length === 3 ? (parts[0] ?? '') : '';
    for (const n of names) {
      const slash = n.indexOf('/');
      out.add(itemKey(group, kind, slash < 0 ? '' : n.slice(0, slash), n.slice(slash + 1)));
    }
  }
  return out;
}

/** Why an object of the closure is not in the backup, likeliest first. */
export type MissingCause =
  'resourceFilter' | 'labelSelector' | 'excludeLabel' | 'blockedKind' | 'itemError' | 'unknown';

export interface MissingObject extends ObjectKey {
  cause: MissingCause;
}

/** One group's closure as labelled at backup time. */
export interface ExpectedGroup {
  namespace: string;
  name: string;
  objects: readonly ObjectKey[];
}

export interface GroupVerification {
  namespace: string;
  name: string;
  result: 'verified' | 'incomplete';
  /** How many objects of the closure are in the item list. */
  found: number;
  missing: MissingObject[];
}

/** What is known about why Velero might have left an object out. */
export interface Evidence {
  /** The Backup's own filters (includes/excludes, selectors) cut it, and which. */
  filterCut?: (namespace: string, key: ObjectKey) => 'resourceFilter' | 'labelSelector' | undefined;
  /** What the labeler judged cut when it expanded the Backup (closure-record.ts), from live labels then. */
  cutAtBackup?: (namespace: string, key: ObjectKey) => CutReason | undefined;
  /** The object's labels when they can be read (Secrets cannot: the product never reads them). */
  labelsOf?: (namespace: string, key: ObjectKey) => Record<string, string> | undefined;
  /** Resource names a plugin's blocked list holds (e.g. velero-plugin-for-vsphere's ConfigMap). */
  blockedResources?: ReadonlySet<string>;
  /** `ns/name` of items the Backup's results list an error for. */
  itemErrors?: ReadonlySet<string>;
}

function causeOf(namespace: string, key: ObjectKey, ev: Evidence): MissingCause {
  if (ev.itemErrors?.has(`${namespace}/${key.name}`)) return 'itemError';
  const filtered = ev.filterCut?.(namespace, key) ?? ev.cutAtBackup?.(namespace, key);
  if (filtered) return filtered;
  if (ev.labelsOf?.(namespace, key)?.[VELERO_EXCLUDE_LABEL] === 'true') return 'excludeLabel';
  if (ev.blockedResources?.has(CLOSURE_RESOURCE[key.kind])) return 'blockedKind';
  return 'unknown';
}

function byKindThenName(a: ObjectKey, b: ObjectKey): number {
  const k = KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind);
  return k !== 0 ? k : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Each group against the item list: verified when its whole closure is there. */
export function verifyGroups(
  list: ResourceList,
  groups: readonly ExpectedGroup[],
  evidence: Evidence = {},
): GroupVerification[] {
  const items = itemsOf(list);
  return groups.map((g) => {
    const missing: MissingObject[] = [];
    let found = 0;
    for (const o of g.objects) {
      if (items.has(itemKey(API_GROUP[o.kind], o.kind, g.namespace, o.name))) found++;
      else missing.push({ kind: o.kind, name: o.name, cause: causeOf(g.namespace, o, evidence) });
    }
    missing.sort(byKindThenName);
    return {
      namespace: g.namespace,
      name: g.name,
      result: missing.length === 0 ? 'verified' : 'incomplete',
      found,
      missing,
    };
  });
}

const CAUSE_TEXT: Record<MissingCause, string> = {
  resourceFilter: "excluded by the Backup's resource filter",
  labelSelector: "not matched by the Backup's label selector",
  excludeLabel: `labelled ${VELERO_EXCLUDE_LABEL}=true`,
  blockedKind: "its kind is on a plugin's blocked list",
  itemError: 'Velero reported an error backing it up',
  unknown: 'not in the item list (cause unknown; see `velero backup logs`)',
};

/** The Event message for a group: every missing object named, with its cause. */
export function verificationMessage(backup: string, v: GroupVerification): string {
  const where = `${v.namespace}/${v.name}`;
  if (v.result === 'verified')
    return `backup ${backup} holds all ${v.found} objects of group ${where}`;
  const lines = v.missing.map((m) => `${m.kind} ${m.name}: ${CAUSE_TEXT[m.cause]}`);
  return `backup ${backup} lacks ${v.missing.length} of ${v.found + v.missing.length} objects of group ${where}: ${lines.join('; ')}`;
}
