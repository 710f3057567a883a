// The restricted list: which resources the Supervisor must create itself, read from a ConfigMap.
// Data keys are `plural.group`; the value is the resource's scope (`Namespaced` or `Cluster`),
// `true` when the scope is unknown (the guard then assumes either), or `false` to switch an entry
// off. `true`/`false` is the format of the vSphere plugin's own
// `velero-vsphere-plugin-blocked-resources-list` ConfigMap (pkg/cmd/utils.go), so that ConfigMap
// can be pointed at directly.

import type { Scope } from '../velero/resource-filter.ts';
import defaults from './restricted-resources.configmap.json' with { type: 'json' };

export interface RestrictedEntry {
  resource: string;
  /** Unknown scopes are evaluated as both. */
  scopes: readonly Scope[];
}

const BOTH: readonly Scope[] = ['Namespaced', 'Cluster'];

/** Parses ConfigMap data; unknown values are reported, not guessed. */
export function parseRestrictedList(data: Record<string, string> | undefined): {
  entries: RestrictedEntry[];
  problems: string[];
} {
  const entries: RestrictedEntry[] = [];
  const problems: string[] = [];
  for (const [key, raw] of Object.entries(data ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    const resource = key.trim().toLowerCase();
    const value = raw.trim().toLowerCase();
    if (value === 'false') continue;
    if (value === 'namespaced') entries.push({ resource, scopes: ['Namespaced'] });
    else if (value === 'cluster') entries.push({ resource, scopes: ['Cluster'] });
    else if (value === 'true') entries.push({ resource, scopes: BOTH });
    else {
      // An unreadable entry still restricts: a typo must not silently open the list.
      entries.push({ resource, scopes: BOTH });
      problems.push(`${key}: value "${raw}" is not Namespaced, Cluster, true or false`);
    }
  }
  return { entries, problems };
}

/** The shipped default (also the ConfigMap the deploy config installs). */
export function defaultRestrictedData(): Record<string, string> {
  return { ...defaults.data };
}

/**
 * The vSphere plugin's own resources (pkg/constants/constants.go ResourcesToBlock, plugin part;
 * scopes from pkg/generated/crds/manifests/). Velero skips their objects only while they carry
 * `velero.io/exclude-from-backup: "true"`, so the guard checks live objects for the label.
 */
export const PLUGIN_INTERNAL: ReadonlyArray<{
  resource: string;
  apiVersion: string;
  kind: string;
  scope: Scope;
}> = [
  {
    resource: 'backuprepositories.backupdriver.cnsdp.vmware.com',
    apiVersion: 'backupdriver.cnsdp.vmware.com/v1alpha1',
    kind: 'BackupRepository',
    scope: 'Cluster',
  },
  {
    resource: 'backuprepositoryclaims.backupdriver.cnsdp.vmware.com',
    apiVersion: 'backupdriver.cnsdp.vmware.com/v1alpha1',
    kind: 'BackupRepositoryClaim',
    scope: 'Namespaced',
  },
  {
    resource: 'clonefromsnapshots.backupdriver.cnsdp.vmware.com',
    apiVersion: 'backupdriver.cnsdp.vmware.com/v1alpha1',
    kind: 'CloneFromSnapshot',
    scope: 'Namespaced',
  },
  {
    resource: 'deletesnapshots.backupdriver.cnsdp.vmware.com',
    apiVersion: 'backupdriver.cnsdp.vmware.com/v1alpha1',
    kind: 'DeleteSnapshot',
    scope: 'Namespaced',
  },
  {
    resource: 'snapshots.backupdriver.cnsdp.vmware.com',
    apiVersion: 'backupdriver.cnsdp.vmware.com/v1alpha1',
    kind: 'Snapshot',
    scope: 'Namespaced',
  },
  {
    resource: 'uploads.datamover.cnsdp.vmware.com',
    apiVersion: 'datamover.cnsdp.vmware.com/v1alpha1',
    kind: 'Upload',
    scope: 'Namespaced',
  },
  {
    resource: 'downloads.datamover.cnsdp.vmware.com',
    apiVersion: 'datamover.cnsdp.vmware.com/v1alpha1',
    kind: 'Download',
    scope: 'Namespaced',
  },
];
