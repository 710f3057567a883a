// datamover-progress's least privilege, as plain data with where each rule is granted (the deploy
// config's roles must equal it, scope included; the integration tests run the handler under
// exactly these rules).

import type { ScopedRules } from '../runtime/kube/policy-rule.ts';

export const DATAMOVER_RULES: ScopedRules = {
  // The Backup (get; data-progress patch; list for the resync tick), its uploads, and the report
  // on it (get+patch bump a repeated Event).
  velero: [
    { apiGroups: ['velero.io'], resources: ['backups'], verbs: ['get', 'list', 'patch'] },
    { apiGroups: ['velero.io'], resources: ['datauploads'], verbs: ['list'] },
    { apiGroups: ['datamover.cnsdp.vmware.com'], resources: ['uploads'], verbs: ['list'] },
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'get', 'patch'] },
  ],
  product: [],
  // The plugin's Snapshots live in the application namespaces; they link an Upload to its Backup.
  cluster: [
    {
      apiGroups: ['backupdriver.cnsdp.vmware.com'],
      resources: ['snapshots'],
      verbs: ['get', 'list'],
    },
  ],
};
