// How Velero turns a name a user typed into a resource filter (`vm`, `pvc`, `secret`,
// `persistentvolumeclaims.`, `virtualmachines.vmoperator`, `VirtualMachine`) into the resource it
// means, re-derived from github.com/vmware-tanzu/velero v1.18 (pkg/util/collections
// includes_excludes.go: every item goes through the discovery helper's ResourceFor and, when
// that fails, stays as typed and is matched as a glob; pkg/discovery/helper.go: a shortcut
// expander over the preferred resources, then client-go's discovery REST mapper, then a lookup
// among the preferred, backuppable resources), as a pure function of the item and a discovery
// table (what `Kube.apiResources()` returns).

import type { ApiGroupResources } from '../runtime/kube/kube-api.ts';
import type { Resolve, ResolvedResource } from '../velero/resource-filter.ts';

interface Entry {
  group: string;
  version: string;
  plural: string;
  singular: string;
  namespaced: boolean;
}

/** Velero backs up only resources that support all of these (helper.go filterByVerbs). */
const BACKUPPABLE_VERBS = ['list', 'create', 'get', 'delete'];

const gvr = (e: Pick<Entry, 'group' | 'version' | 'plural'>) =>
  `${e.group}/${e.version}/${e.plural}`;

/** `schema.ParseGroupResource`: the resource is everything before the first dot. */
function parseGroupResource(item: string): { resource: string; group: string } {
  const dot = item.indexOf('.');
  return dot < 0
    ? { resource: item, group: '' }
    : { resource: item.slice(0, dot), group: item.slice(dot + 1) };
}

/**
 * A resolver over one discovery table (build it once per table; it remembers its answers).
 * `undefined` means Velero could not resolve the item either: it then matches as typed.
 */
export function resourceResolver(groups: readonly ApiGroupResources[]): Resolve {
  // The REST mapper knows every version of every group; the singular falls back to the
  // lower-cased kind, as client-go guesses it for servers that list no singular.
  const all: Entry[] = [];
  // Priority patterns: each group in the server's order, its preferred version first.
  const priority: Array<{ group: string; version: string }> = [];
  // ServerPreferredResources: one version per (group, resource), the preferred when it has it.
  const preferred = new Map<string, Entry & { shortNames: string[]; verbs: string[] }>();
  for (const g of groups) {
    for (const v of g.versions) {
      priority.push({ group: g.group, version: v.version });
      for (const r of v.resources) {
        const entry = {
          group: g.group,
          version: v.version,
          plural: r.resource.toLowerCase(),
          singular: (r.singular || r.kind).toLowerCase(),
          namespaced: r.namespaced,
        };
        all.push(entry);
        const key = `${g.group}/${entry.plural}`;
        if (!preferred.has(key))
          preferred.set(key, { ...entry, shortNames: r.shortNames, verbs: r.verbs });
      }
    }
  }
  const backuppable = new Map(
    [...preferred.values()]
      .filter((e) => BACKUPPABLE_VERBS.every((v) => e.verbs.includes(v)))
      .map((e) => [gvr(e), e]),
  );
  // The shortcut expander's list: backuppable preferred resources, `extensions` last.
  const ordered = [...backuppable.values()].sort(
    (a, b) => Number(a.group === 'extensions') - Number(b.group === 'extensions'),
  );
  const shortcuts = ordered.flatMap((e) =>
    e.shortNames.map((short) => ({ group: e.group, short, long: e.plural })),
  );

  /** expandResourceShortcut: exact group (or none given) first, then group prefix. */
  const expand = (resource: string, group: string): string => {
    const exact = shortcuts.find((s) => (!group || s.group === group) && s.short === resource);
    if (exact) return exact.long;
    if (!group) return resource;
    return (
      shortcuts.find((s) => s.group.startsWith(group) && s.short === resource)?.long ?? resource
    );
  };

  /** DefaultRESTMapper.ResourcesFor without a version (plural or singular; group exact, else prefix). */
  const candidates = (resource: string, group: string): Entry[] => {
    const named = all.filter((e) => e.plural === resource || e.singular === resource);
    if (!group) return named;
    const exact = named.filter((e) => e.group === group);
    return exact.length > 0 ? exact : named.filter((e) => e.group.startsWith(group));
  };

  /** PriorityRESTMapper.ResourceFor: one match wins; several narrow pattern by pattern. */
  const pick = (matches: Entry[]): Entry | undefined => {
    let remaining = [...new Map(matches.map((m) => [gvr(m), m])).values()];
    if (remaining.length <= 1) return remaining[0];
    for (const p of priority) {
      const hit = remaining.filter((m) => m.group === p.group && m.version === p.version);
      if (hit.length === 1) return hit[0];
      if (hit.length > 1) remaining = hit;
    }
    return undefined; // ambiguous
  };

  const memo = new Map<string, ResolvedResource | undefined>();
  return (item: string) => {
    if (memo.has(item)) return memo.get(item);
    const parsed = parseGroupResource(item);
    // The shortcut comparison is case-sensitive; the mapper lower-cases the resource.
    const resource = expand(parsed.resource, parsed.group).toLowerCase();
    const chosen = resource ? pick(candidates(resource, parsed.group)) : undefined;
    // Velero then needs it among the preferred, backuppable resources (resourcesMap).
    const found = chosen && backuppable.get(gvr(chosen));
    const out: ResolvedResource | undefined = found
      ? {
          resource: found.group ? `${found.plural}.${found.group}` : found.plural,
          scope: found.namespaced ? 'Namespaced' : 'Cluster',
        }
      : undefined;
    memo.set(item, out);
    return out;
  };
}
