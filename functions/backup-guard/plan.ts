// Pure decision: which restricted resources would a Backup or Restore touch, why, and which
// filter change avoids each. No I/O; the handler feeds it the spec, the restricted list, the
// plugin-internal objects it found without their exclude label, for a Restore what its Backup
// holds (a Restore can only restore what its Backup contains: its scope is the intersection of
// its own filters and the Backup's), and how Velero resolves the names in filters (`Resolve`,
// from API discovery; without it names are matched as written).

import type { Selection } from '../velero/label-selection.ts';
import { APP_KINDS, CLOSURE_RESOURCE, CLOSURE_RESOURCES } from '../vmgroup/closure.ts';
import { classifySelection, selectionMatches } from '../velero/label-selection.ts';
import type { RestrictedEntry } from './restricted-list.ts';
import { PLUGIN_INTERNAL } from './restricted-list.ts';
import type { FilterSpec, FilterStyle, Resolve, Scope } from '../velero/resource-filter.ts';
import {
  byNameOnly,
  filterStyle,
  includesResource,
  itemMatches,
  namespaceIncluded,
} from '../velero/resource-filter.ts';

export type GuardKind = 'Backup' | 'Restore';

export type FindingReason =
  /** Named (or matched by a pattern) in an include list. */
  | 'included-by-name'
  /** Every type of the scope is in, and nothing excludes this one. */
  | 'wildcard-scope'
  /** A cluster-scoped type comes in with cluster-scoped inclusion. */
  | 'cluster-scoped-inclusion'
  /** A VM Operator kind selected without the rest of its group closure. */
  | 'without-group-closure';

export interface Finding {
  resource: string;
  scopes: Scope[];
  reason: FindingReason;
}

export interface Remedy {
  /** Backup/Restore spec field to change. */
  field: string;
  /** The `velero backup|restore create` flag that sets it. */
  flag: string;
  action: 'add' | 'remove' | 'select';
  values: string[];
}

export interface UnlabelledObject {
  resource: string;
  namespace?: string;
  name: string;
}

/**
 * What a Restore is judged against: the spec of the Backup it restores from, or the name of a
 * Backup that could not be found (the Restore is then judged by its own filters alone).
 */
export type RestoreSource = { backup: FilterSpec } | { backupNotFound: string };

export interface GuardDecision {
  selection: Selection;
  filterStyle: FilterStyle;
  findings: Finding[];
  unlabelledInternal: UnlabelledObject[];
  avoidWith: Remedy[];
  /** A Restore judged alone because this Backup was not found. */
  backupNotFound?: string;
}

/** The product's own VM Operator kinds: allowed when their group closure comes along. */
export const PRODUCT_KINDS = [
  'virtualmachinegroups.vmoperator.vmware.com',
  'virtualmachines.vmoperator.vmware.com',
] as const;
/**
 * What a selection must keep for a group to come back whole (DESIGN.md §2: the groups, their VMs,
 * bootstrap Secrets/ConfigMaps, PVCs): the domain's closure resources without the application
 * kinds, which a restore can do without (a VM runs without its Service or resource policy).
 */
export const CLOSURE_KINDS: readonly string[] = CLOSURE_RESOURCES.filter(
  (r) => !APP_KINDS.some((k) => CLOSURE_RESOURCE[k] === r),
);

const isProductKind = (r: string): boolean => (PRODUCT_KINDS as readonly string[]).includes(r);

function includeList(spec: FilterSpec, style: FilterStyle, scope: Scope): string[] | undefined {
  if (style === 'old') return spec.includedResources;
  return scope === 'Namespaced'
    ? spec.includedNamespaceScopedResources
    : spec.includedClusterScopedResources;
}

function reasonFor(
  spec: FilterSpec,
  style: FilterStyle,
  resource: string,
  scopes: Scope[],
  resolve: Resolve,
): FindingReason {
  const named = scopes.some((s) =>
    (includeList(spec, style, s) ?? []).some((i) => i !== '*' && itemMatches(i, resource, resolve)),
  );
  if (named) return 'included-by-name';
  return scopes.includes('Namespaced') ? 'wildcard-scope' : 'cluster-scoped-inclusion';
}

/** The Backup's spec when the Restore is judged against it; nothing for a Backup or a lone Restore. */
const backupOf = (kind: GuardKind, source: RestoreSource | undefined): FilterSpec | undefined =>
  kind === 'Restore' && source && 'backup' in source ? source.backup : undefined;

/** Would items of `resource` come through: the object's own filters and, for a Restore, its Backup's. */
function inScope(
  spec: FilterSpec,
  kind: GuardKind,
  backup: FilterSpec | undefined,
  resource: string,
  scope: Scope,
  resolve: Resolve,
): boolean {
  if (!includesResource(spec, kind, resource, scope, resolve)) return false;
  return !backup || includesResource(backup, 'Backup', resource, scope, resolve);
}

/**
 * Closure complete: no selection other than everything or the membership label (the Restore's
 * nor its Backup's), and every closure kind comes through.
 */
export function closureComplete(
  spec: FilterSpec,
  kind: GuardKind,
  source?: RestoreSource,
  resolve: Resolve = byNameOnly,
): boolean {
  const backup = backupOf(kind, source);
  if (classifySelection(spec) === 'other') return false;
  if (backup && classifySelection(backup) === 'other') return false;
  return CLOSURE_KINDS.every((k) => inScope(spec, kind, backup, k, 'Namespaced', resolve));
}

export function restrictedFindings(
  spec: FilterSpec,
  kind: GuardKind,
  restricted: RestrictedEntry[],
  source?: RestoreSource,
  resolve: Resolve = byNameOnly,
): Finding[] {
  const backup = backupOf(kind, source);
  const style = filterStyle(spec, kind);
  const findings: Finding[] = [];
  if (!closureComplete(spec, kind, source, resolve)) {
    for (const p of PRODUCT_KINDS) {
      if (inScope(spec, kind, backup, p, 'Namespaced', resolve)) {
        findings.push({ resource: p, scopes: ['Namespaced'], reason: 'without-group-closure' });
      }
    }
  }
  // Only the labeler writes the membership label, and only on closure kinds: a Backup selected by
  // it holds nothing else, so neither does a Restore from it.
  if (classifySelection(spec) === 'membership') return findings;
  if (backup && classifySelection(backup) === 'membership') return findings;
  for (const entry of restricted) {
    if (isProductKind(entry.resource)) continue;
    const scopes = entry.scopes.filter((s) =>
      inScope(spec, kind, backup, entry.resource, s, resolve),
    );
    if (scopes.length === 0) continue;
    findings.push({
      resource: entry.resource,
      scopes,
      reason: reasonFor(spec, style, entry.resource, scopes, resolve),
    });
  }
  return findings;
}

/** Plugin-internal objects without the exclude label that this Backup would pick up. */
export function unlabelledInternalInScope(
  spec: FilterSpec,
  objects: ReadonlyArray<UnlabelledObject & { labels?: Record<string, string> }>,
  resolve: Resolve = byNameOnly,
): UnlabelledObject[] {
  const out: UnlabelledObject[] = [];
  for (const o of objects) {
    const internal = PLUGIN_INTERNAL.find((p) => p.resource === o.resource);
    if (!internal || !includesResource(spec, 'Backup', internal.resource, internal.scope, resolve))
      continue;
    if (internal.scope === 'Namespaced' && !namespaceIncluded(spec, o.namespace ?? '')) continue;
    if (!selectionMatches(spec, o.labels ?? {})) continue;
    out.push(
      o.namespace
        ? { resource: o.resource, namespace: o.namespace, name: o.name }
        : { resource: o.resource, name: o.name },
    );
  }
  return out.sort((a, b) =>
    `${a.resource}/${a.namespace}/${a.name}`.localeCompare(
      `${b.resource}/${b.namespace}/${b.name}`,
    ),
  );
}

const FLAGS: Record<string, string> = {
  includedResources: '--include-resources',
  excludedResources: '--exclude-resources',
  includedNamespaceScopedResources: '--include-namespace-scoped-resources',
  excludedNamespaceScopedResources: '--exclude-namespace-scoped-resources',
  includedClusterScopedResources: '--include-cluster-scoped-resources',
  excludedClusterScopedResources: '--exclude-cluster-scoped-resources',
  labelSelector: '--selector',
};

function fieldsFor(style: FilterStyle, scope: Scope): { include: string; exclude: string } {
  if (style === 'old') return { include: 'includedResources', exclude: 'excludedResources' };
  return scope === 'Namespaced'
    ? { include: 'includedNamespaceScopedResources', exclude: 'excludedNamespaceScopedResources' }
    : { include: 'includedClusterScopedResources', exclude: 'excludedClusterScopedResources' };
}

/**
 * Filter changes that avoid every finding. Velero rejects an exclude that repeats an include
 * verbatim, so a resource named literally in an include list is removed from it instead.
 */
export function remedies(
  spec: FilterSpec,
  kind: GuardKind,
  findings: Finding[],
  resolve: Resolve = byNameOnly,
): Remedy[] {
  const style = filterStyle(spec, kind);
  const changes = new Map<string, Remedy>();
  const add = (field: string, action: Remedy['action'], value: string) => {
    const key = `${action}:${field}`;
    const r = changes.get(key) ?? {
      field: `spec.${field}`,
      flag: FLAGS[field] ?? field,
      action,
      values: [],
    };
    if (!r.values.includes(value)) r.values.push(value);
    changes.set(key, r);
  };
  for (const f of findings) {
    if (f.reason === 'without-group-closure') {
      add('labelSelector', 'select', 'member.vmgroup-backup.dev/<group>');
      continue;
    }
    for (const scope of f.scopes) {
      const { include, exclude } = fieldsFor(style, scope);
      const list = (spec as Record<string, string[] | undefined>)[include] ?? [];
      const literal = list.filter(
        (i) => i !== '*' && !/[*?[{]/.test(i) && itemMatches(i, f.resource, resolve),
      );
      if (literal.length > 0) literal.forEach((i) => add(include, 'remove', i));
      else add(exclude, 'add', f.resource);
    }
  }
  return [...changes.values()].sort((a, b) =>
    `${a.action}${a.field}`.localeCompare(`${b.action}${b.field}`),
  );
}

export function decide(
  spec: FilterSpec,
  kind: GuardKind,
  restricted: RestrictedEntry[],
  unlabelled: ReadonlyArray<UnlabelledObject & { labels?: Record<string, string> }> = [],
  source?: RestoreSource,
  resolve: Resolve = byNameOnly,
): GuardDecision {
  const findings = restrictedFindings(spec, kind, restricted, source, resolve);
  const notFound =
    kind === 'Restore' && source && 'backupNotFound' in source ? source.backupNotFound : undefined;
  return {
    selection: classifySelection(spec),
    filterStyle: filterStyle(spec, kind),
    findings,
    unlabelledInternal:
      kind === 'Backup' ? unlabelledInternalInScope(spec, unlabelled, resolve) : [],
    avoidWith: remedies(spec, kind, findings, resolve),
    ...(notFound !== undefined ? { backupNotFound: notFound } : {}),
  };
}

/** One line a human reads in `kubectl describe`; Kubernetes caps Event messages at 1 KiB. */
export function summarize(kind: GuardKind, d: GuardDecision): string {
  const parts: string[] = [];
  // First, so the 1 KiB cap never cuts it: without the Backup the findings may be too wide.
  if (d.findings.length > 0 && d.backupNotFound !== undefined) {
    parts.push(
      `Backup ${d.backupNotFound} not found: judged by the Restore's own filters, not by what the Backup holds`,
    );
  }
  if (d.findings.length > 0) {
    parts.push(
      `${kind} would touch Supervisor-restricted resources: ${d.findings.map((f) => `${f.resource} (${f.reason})`).join(', ')}`,
    );
  }
  if (d.unlabelledInternal.length > 0) {
    const names = d.unlabelledInternal.map(
      (o) => `${o.resource} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`,
    );
    parts.push(`plugin-internal objects lost velero.io/exclude-from-backup: ${names.join(', ')}`);
  }
  if (d.avoidWith.length > 0) {
    parts.push(
      `avoid with ${d.avoidWith.map((r) => `${r.flag} ${r.action === 'remove' ? '(remove) ' : ''}${r.values.join(',')}`).join('; ')}`,
    );
  }
  const text = parts.join('. ');
  return text.length > 1000 ? `${text.slice(0, 997)}...` : text;
}
