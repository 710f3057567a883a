// The restore fixer's least privilege, as plain data (the deploy config's ClusterRole must equal
// it; the integration tests run the handler under exactly these rules). It never touches Secrets.

import type { PolicyRule } from '../runtime/kube/policy-rule.ts';

export const FIXER_RULES: readonly PolicyRule[] = [
  // Verifying the strip: restored VMs and groups, listed by restore label (per namespace, and
  // cluster-wide when a Restore ends).
  {
    apiGroups: ['vmoperator.vmware.com'],
    resources: ['virtualmachines', 'virtualmachinegroups'],
    verbs: ['list'],
  },
  // Restored PVCs: the per-VM CNS keys and the old CNS finalizer (get re-reads after a conflict).
  { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['get', 'list', 'patch'] },
  // The Restore a restored object names, and the report on it (get+patch bump a repeated Event).
  // list: a name longer than 63 characters is only in the label as its hashed form.
  { apiGroups: ['velero.io'], resources: ['restores'], verbs: ['get', 'list'] },
  // An ended Restore with errors: its results, as Velero's CLI reads them (a DownloadRequest of
  // its own, deleted afterwards), and the storage location's inline CA through the Restore's Backup.
  {
    apiGroups: ['velero.io'],
    resources: ['downloadrequests'],
    verbs: ['create', 'get', 'delete'],
  },
  { apiGroups: ['velero.io'], resources: ['backups', 'backupstoragelocations'], verbs: ['get'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'get', 'patch'] },
];
