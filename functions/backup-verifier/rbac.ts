// The backup verifier's least privilege, as plain data with where each rule is granted (the deploy
// config's roles must equal it, scope included; the integration tests run the handler under
// exactly these rules). Everything is in Velero's namespace; it reads no application object (the
// closure to compare with is the labeler's record on the Backup) and no Secret (a storage
// location's `caCertRef` is not followed).

import type { ScopedRules } from '../runtime/kube/policy-rule.ts';

export const VERIFIER_RULES: ScopedRules = {
  velero: [
    // The Backup (get: live state; list: the resync tick; patch: the claim and the result).
    { apiGroups: ['velero.io'], resources: ['backups'], verbs: ['get', 'list', 'patch'] },
    // Its item list, the way Velero's CLI reads it; deleted afterwards.
    {
      apiGroups: ['velero.io'],
      resources: ['downloadrequests'],
      verbs: ['create', 'get', 'delete'],
    },
    // The storage location's inline CA, to verify the object store's TLS certificate.
    { apiGroups: ['velero.io'], resources: ['backupstoragelocations'], verbs: ['get'] },
    // The result on the Backup (get+patch bump a repeated Event).
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'get', 'patch'] },
  ],
  product: [],
  cluster: [],
};
