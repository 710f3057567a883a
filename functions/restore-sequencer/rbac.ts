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
  // Progress is reported on the Restore as Events (get+patch bump a repeated Event).
  // list: a name longer than 63 characters is only in the label as its hashed form.
  { apiGroups: ['velero.io'], resources: ['restores'], verbs: ['get', 'list'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'get', 'patch'] },
];
