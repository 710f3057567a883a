// The restore sequencer's least privilege, as plain data (the deploy config's ClusterRole must
// equal it; the integration tests run the handler under exactly these rules).

import type { PolicyRule } from '../runtime/kube/policy-rule.ts';

export const SEQUENCER_RULES: readonly PolicyRule[] = [
  // Reading restored trees (per namespace; cluster-wide by restore label on a Restore or a tick),
  // writing captured network, power state, and progress on the top group.
  {
    apiGroups: ['vmoperator.vmware.com'],
    resources: ['virtualmachines', 'virtualmachinegroups'],
    verbs: ['list', 'patch'],
  },
  // Restore preflight: what a held VM's namespace offers (names, readiness, quota keys; only the
  // kinds its VMs name are listed).
  {
    apiGroups: ['vmoperator.vmware.com'],
    resources: ['virtualmachineimages', 'clustervirtualmachineimages', 'virtualmachineclasses'],
    verbs: ['list'],
  },
  { apiGroups: ['storage.k8s.io'], resources: ['storageclasses'], verbs: ['list'] },
  { apiGroups: [''], resources: ['resourcequotas'], verbs: ['list'] },
  { apiGroups: ['encryption.vmware.com'], resources: ['encryptionclasses'], verbs: ['list'] },
  // Progress is reported on the Restore as Events (get+patch bump a repeated Event).
  // list: a name longer than 63 characters is only in the label as its hashed form.
  { apiGroups: ['velero.io'], resources: ['restores'], verbs: ['get', 'list'] },
  // Events on the Restore, and on the groups (gates) and VMs (preflight) in users' namespaces.
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'get', 'patch'] },
];
