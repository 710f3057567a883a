// Velero's resource-filter semantics, re-derived from github.com/vmware-tanzu/velero v1.17/v1.18
// pkg/util/collections/includes_excludes.go (GlobalIncludesExcludes, ScopeIncludesExcludes,
// UseOldResourceFilters) and pkg/restore/restore.go (cluster-scoped items on restore), as pure
// functions over a Backup/Restore spec. Velero resolves each filter item through API discovery
// (`vm` → `virtualmachines.vmoperator.vmware.com`); the caller passes that resolution in as a
// `Resolve` (resource-names.ts builds one from a discovery table). An item it resolves names
// exactly that resource; an item it does not (a glob, a resource not served right now) matches a
// resource `plural.group` when it is `*`, the full name, the plural or singular alone,
// `plural.group-prefix`, or a glob over the full name (gobwas/glob: `*`, `?`, `[...]`, `{a,b}`).
// Matching unresolved names by name is wider than Velero (which would match only the literal):
// a resource not served when the Backup is judged may be served when it runs.

import type { LabelSelector } from '../../schemas/generated/objects/label-selector.ts';

export type Scope = 'Namespaced' | 'Cluster';

/** The filter fields Backup and Restore share, plus the Backup-only scoped ones. */
export interface FilterSpec {
  includedNamespaces?: string[];
  excludedNamespaces?: string[];
  includedResources?: string[];
  excludedResources?: string[];
  includeClusterResources?: boolean | null;
  includedClusterScopedResources?: string[];
  excludedClusterScopedResources?: string[];
  includedNamespaceScopedResources?: string[];
  excludedNamespaceScopedResources?: string[];
  labelSelector?: LabelSelector;
  orLabelSelectors?: LabelSelector[];
}

export type FilterStyle = 'old' | 'scoped';

/** What a filter item names once discovery resolved it: `plural.group` (`plural` for core). */
export interface ResolvedResource {
  resource: string;
  scope: Scope;
}

/** Velero's ResourceFor over some discovery table; `undefined`: not resolvable, matched by name. */
export type Resolve = (item: string) => ResolvedResource | undefined;

/** No discovery: every item is matched by name. */
export const byNameOnly: Resolve = () => undefined;

const nonEmpty = (list: string[] | undefined): list is string[] => (list?.length ?? 0) > 0;

/**
 * Velero's UseOldResourceFilters: any old-style field set means old style; a Restore only has the
 * old style. Velero rejects a Backup that mixes both, so which one we pick then does not matter.
 */
export function filterStyle(spec: FilterSpec, kind: 'Backup' | 'Restore'): FilterStyle {
  if (kind === 'Restore') return 'old';
  const old =
    (spec.includeClusterResources !== undefined && spec.includeClusterResources !== null) ||
    nonEmpty(spec.includedResources) ||
    nonEmpty(spec.excludedResources);
  return old ? 'old' : 'scoped';
}

// Patterns come from users' Backups and Restores, so the compiled ones are kept in a bounded map:
// a long-running replica that meets ever new patterns forgets the oldest instead of growing.
const GLOB_CACHE_SIZE = 256;
const globCache = new Map<string, RegExp>();

/** gobwas/glob without separators, as Velero compiles it: `*` also spans dots. */
function globToRegExp(pattern: string): RegExp {
  const cached = globCache.get(pattern);
  if (cached) return cached;
  let out = '';
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) out += '\\[';
      else {
        const body = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
        out += body.startsWith('!') ? `[^${body.slice(1)}]` : `[${body}]`;
        i = end;
      }
    } else if (c === '{') {
      depth++;
      out += '(?:';
    } else if (c === '}' && depth > 0) {
      depth--;
      out += ')';
    } else if (c === ',' && depth > 0) out += '|';
    else out += c.replace(/[.+^$()|\\/]/g, '\\$&');
  }
  const re = new RegExp(`^${out}$`, 'i');
  if (globCache.size >= GLOB_CACHE_SIZE) globCache.delete(globCache.keys().next().value!);
  globCache.set(pattern, re);
  return re;
}

function singularOf(plural: string): string[] {
  const forms = [plural];
  if (plural.endsWith('ies')) forms.push(`${plural.slice(0, -3)}y`);
  if (plural.endsWith('es')) forms.push(plural.slice(0, -2));
  if (plural.endsWith('s')) forms.push(plural.slice(0, -1));
  return forms;
}

/** Does one filter item (as a user wrote it) name the resource `plural.group`? */
export function itemMatches(item: string, resource: string, resolve = byNameOnly): boolean {
  const wanted = item.trim().toLowerCase();
  const full = resource.toLowerCase();
  if (wanted === '*') return true;
  const resolved = resolve(item.trim());
  if (resolved) return resolved.resource === full;
  if (wanted === full) return true;
  if (/[*?[{]/.test(wanted)) return globToRegExp(wanted).test(full);
  const dot = full.indexOf('.');
  const plural = dot < 0 ? full : full.slice(0, dot);
  const group = dot < 0 ? '' : full.slice(dot + 1);
  const itemDot = wanted.indexOf('.');
  const name = itemDot < 0 ? wanted : wanted.slice(0, itemDot);
  const itemGroup = itemDot < 0 ? undefined : wanted.slice(itemDot + 1);
  if (!singularOf(plural).includes(name)) return false;
  // A partial group (`virtualmachines.vmoperator`) resolves like discovery's group prefix match.
  return itemGroup === undefined || group === itemGroup || group.startsWith(`${itemGroup}.`);
}

export const anyMatches = (
  items: string[] | undefined,
  resource: string,
  resolve = byNameOnly,
): boolean => (items ?? []).some((item) => itemMatches(item, resource, resolve));

/** Velero's IncludesExcludes.ShouldInclude; `*` in old-style excludes is ignored, as Velero does. */
function shouldInclude(
  includes: string[] | undefined,
  excludes: string[] | undefined,
  r: string,
  resolve: Resolve,
) {
  if ((excludes ?? []).some((e) => e !== '*' && itemMatches(e, r, resolve))) return false;
  return !nonEmpty(includes) || anyMatches(includes, r, resolve);
}

/**
 * A scoped list as Velero builds it (scopeResourceMapFunc): an item that resolves to a resource of
 * the other scope is dropped, so a list left empty by that means "everything".
 */
export function scopedItems(
  items: string[] | undefined,
  scope: Scope,
  resolve = byNameOnly,
): string[] | undefined {
  return items?.filter((i) => i === '*' || (resolve(i.trim())?.scope ?? scope) === scope);
}

/** IncludesExcludes.IncludeEverything: empty or only `*` included, nothing excluded. */
function includesEverything(includes: string[] | undefined, excludes: string[] | undefined) {
  return (
    !nonEmpty(excludes) && (!nonEmpty(includes) || (includes.length === 1 && includes[0] === '*'))
  );
}

export const allNamespaces = (spec: FilterSpec): boolean =>
  includesEverything(spec.includedNamespaces, spec.excludedNamespaces);

/**
 * Would Velero process items of `resource` (with the given scope) for this Backup/Restore?
 * Label selectors are not considered here; they narrow items, not types.
 */
export function includesResource(
  spec: FilterSpec,
  kind: 'Backup' | 'Restore',
  resource: string,
  scope: Scope,
  resolve = byNameOnly,
): boolean {
  if (filterStyle(spec, kind) === 'old') {
    const byType = shouldInclude(spec.includedResources, spec.excludedResources, resource, resolve);
    if (scope === 'Namespaced') return byType;
    if (spec.includeClusterResources === false) return false;
    if (spec.includeClusterResources === true) return byType;
    // nil: cluster-scoped types only when every namespace is in scope.
    return byType && allNamespaces(spec);
  }
  const nsIncludes = scopedItems(spec.includedNamespaceScopedResources, 'Namespaced', resolve);
  const nsExcludes = scopedItems(spec.excludedNamespaceScopedResources, 'Namespaced', resolve);
  const clIncludes = scopedItems(spec.includedClusterScopedResources, 'Cluster', resolve);
  const clExcludes = scopedItems(spec.excludedClusterScopedResources, 'Cluster', resolve);
  if (scope === 'Namespaced') {
    if ((nsExcludes ?? []).includes('*') || anyMatches(nsExcludes, resource, resolve)) return false;
    return !nonEmpty(nsIncludes) || anyMatches(nsIncludes, resource, resolve);
  }
  if ((clExcludes ?? []).includes('*') || anyMatches(clExcludes, resource, resolve)) return false;
  if (
    !nonEmpty(clIncludes) &&
    !nonEmpty(clExcludes) &&
    allNamespaces(spec) &&
    includesEverything(nsIncludes, nsExcludes)
  ) {
    return true;
  }
  return anyMatches(clIncludes, resource, resolve);
}

/** Namespace filter with Velero's glob semantics (`*` and patterns in includes, patterns in excludes). */
export function namespaceIncluded(spec: FilterSpec, namespace: string): boolean {
  const glob = (items: string[] | undefined) =>
    (items ?? []).some(
      (i) => i === '*' || i === namespace || (/[*?[{]/.test(i) && itemMatches(i, namespace)),
    );
  if (glob(spec.excludedNamespaces)) return false;
  return (spec.includedNamespaces?.length ?? 0) === 0 || glob(spec.includedNamespaces);
}
