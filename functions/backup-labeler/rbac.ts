// The labeler's least privilege, as plain data (the deploy config's ClusterRole must equal it;
// the integration tests run the handler under exactly these rules). Secrets: patch only — never
// get, list or watch, so their data cannot reach the function. Everything else it reads is listed
// once per namespace per kind, and namespaces by name.

import type { PolicyRule } from '../runtime/kube/policy-rule.ts';

// Kept for modules that still import the type from here.
export type { PolicyRule } from '../runtime/kube/policy-rule.ts';

export const LABELER_RULES: readonly PolicyRule[] = [
  {
    apiGroups: ['vmoperator.vmware.com'],
    resources: ['virtualmachinegroups', 'virtualmachines'],
    verbs: ['list', 'patch'],
  },
  // The application objects of a closure (issue 16): listed to find the ones members link (a
  // service's selector, the named policy) and the ones still labelled for a link that went away;
  // patched for the membership label only.
  {
    apiGroups: ['vmoperator.vmware.com'],
    resources: ['virtualmachineservices', 'virtualmachinesetresourcepolicies'],
    verbs: ['list', 'patch'],
  },
  {
    apiGroups: ['encryption.vmware.com'],
    resources: ['encryptionclasses'],
    verbs: ['list', 'patch'],
  },
  {
    apiGroups: [''],
    resources: ['configmaps', 'persistentvolumeclaims'],
    verbs: ['list', 'patch'],
  },
  { apiGroups: [''], resources: ['secrets'], verbs: ['patch'] },
  // The tick and all-namespace Backups walk namespaces one by one (names only), holding a few
  // namespaces' objects at once instead of the cluster's.
  { apiGroups: [''], resources: ['namespaces'], verbs: ['list'] },
  // The report on a Backup: Events in Velero's namespace (get+patch to bump a repeated report).
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'get', 'patch'] },
  // The closure record on the Backup it expanded (vmgroup-backup.dev/backup-closure), for the verifier.
  { apiGroups: ['velero.io'], resources: ['backups'], verbs: ['patch'] },
];
