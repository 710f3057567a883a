// velero-plugin-for-vsphere's blocked list, as the plugin applies it (pure). The plugin keeps a
// ConfigMap `velero-vsphere-plugin-blocked-resources-list` in Velero's namespace (its
// pkg/constants/constants.go `ResourcesToBlockListName`, created from `ResourcesToBlock` at install;
// users may edit it, and the plugin resets it only when the Velero pod restarts —
// docs/supervisor-notes.md). Its backup item action (pkg/plugin/backup_pvc_action_plugin.go)
// applies to every resource in that list and fails each such item with "Resource CRD X is blocked
// in backup" — unless the Backup sets `snapshotVolumes: false`, for which it returns before the
// check. The key it looks up is its own name for the item's type (pkg/plugin/util/util.go
// `UnstructuredToCRDName`: the Kind lower-cased, `y` → `ies` or `+s`, then `.group`), and an entry
// blocks when Go's strconv.ParseBool reads its value as true (`IsResourceBlocked`).
// So a group Backup under that plugin loses its VMs by default (the default list holds
// virtualmachines.vmoperator.vmware.com) and Velero reports PartiallyFailed.

import type { Selection } from '../velero/label-selection.ts';
import type { FilterSpec, Resolve } from '../velero/resource-filter.ts';
import { includesResource } from '../velero/resource-filter.ts';
import { CLOSURE_RESOURCE, KIND_ORDER } from '../vmgroup/closure.ts';
import type { ClosureKind } from '../vmgroup/closure.ts';
import { VSPHERE_PLUGIN_BLOCKED_LIST } from '../vmgroup/names.ts';

export interface PluginBlock {
  /** The ConfigMap key that blocks it (the plugin's spelling). */
  entry: string;
  kind: ClosureKind;
  /** The resource as Velero's filters name it. */
  resource: string;
}

/** Go's strconv.ParseBool accepting true. */
const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);

/** The plugin's key for a kind of an API group (its naive plural, not discovery's). */
export function pluginEntryName(kind: string, group: string): string {
  const lower = kind.toLowerCase();
  const plural = kind.endsWith('y') ? `${lower.slice(0, -1)}ies` : `${lower}s`;
  return group ? `${plural}.${group}` : plural;
}

function groupOf(resource: string): string {
  const dot = resource.indexOf('.');
  return dot < 0 ? '' : resource.slice(dot + 1);
}

/**
 * Closure kinds a Backup would lose to the plugin's list: only for a Backup that selects groups
 * (by the membership label), that the plugin acts on (`snapshotVolumes` not false) and whose own
 * filters include the kind. `data` undefined: the ConfigMap does not exist (plugin not installed).
 */
export function pluginBlocks(
  spec: FilterSpec & { snapshotVolumes?: boolean | null },
  selection: Selection,
  data: Readonly<Record<string, string>> | undefined,
  resolve?: Resolve,
): PluginBlock[] {
  if (!data || selection !== 'membership' || spec.snapshotVolumes === false) return [];
  const out: PluginBlock[] = [];
  for (const kind of KIND_ORDER) {
    const resource = CLOSURE_RESOURCE[kind];
    const entry = pluginEntryName(kind, groupOf(resource));
    if (!GO_TRUE.has(data[entry] ?? '')) continue;
    if (!includesResource(spec, 'Backup', resource, 'Namespaced', resolve)) continue;
    out.push({ entry, kind, resource });
  }
  return out;
}

/** The warning's text: which ConfigMap, which entries to remove, and how. */
export function pluginBlocksText(blocks: readonly PluginBlock[], veleroNamespace: string): string {
  if (blocks.length === 0) return '';
  const kinds = blocks.map((b) => `${b.kind}s (${b.entry})`).join(', ');
  const ops = blocks.map((b) => `{"op":"remove","path":"/data/${b.entry}"}`).join(',');
  return (
    `velero-plugin-for-vsphere's ConfigMap ${veleroNamespace}/${VSPHERE_PLUGIN_BLOCKED_LIST} blocks the group's ${kinds}: ` +
    `the Backup would leave them out and end PartiallyFailed. Remove the entr${blocks.length > 1 ? 'ies' : 'y'} before the backup runs: ` +
    `kubectl -n ${veleroNamespace} patch configmap ${VSPHERE_PLUGIN_BLOCKED_LIST} --type json -p '[${ops}]' ` +
    `(the plugin restores its default list when the Velero pod restarts), or back up with --snapshot-volumes=false (then without the plugin's volume snapshots)`
  );
}
