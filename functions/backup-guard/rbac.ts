// The backup guard's least privilege, as plain data with where each rule is granted (the deploy
// config's roles must equal it, scope included; the integration tests run the handler under
// exactly these rules). It never reads Secrets; the only ConfigMap it may read is its restricted
// list, by name.

import type { PolicyRule, ScopedRules } from '../runtime/kube/policy-rule.ts';
import { GUARD_CONFIGMAP, VSPHERE_PLUGIN_BLOCKED_LIST } from '../vmgroup/names.ts';
import { PLUGIN_INTERNAL } from './restricted-list.ts';

/** One list rule per API group of the vSphere plugin's internal kinds (the handler lists them all). */
function pluginInternalRules(): PolicyRule[] {
  const byGroup = new Map<string, string[]>();
  for (const p of PLUGIN_INTERNAL) {
    const group = p.apiVersion.split('/')[0] as string;
    const plural = p.resource.slice(0, p.resource.indexOf('.'));
    byGroup.set(group, [...(byGroup.get(group) ?? []), plural]);
  }
  return [...byGroup].map(([group, resources]) => ({
    apiGroups: [group],
    resources,
    verbs: ['list'],
  }));
}

export const GUARD_RULES: ScopedRules = {
  // The Backups and Restores it judges (get: the live object and a Restore's Backup; list: the
  // resync tick; patch: the guard-reported annotation) and its report on them (get+patch bump a
  // repeated Event).
  velero: [
    {
      apiGroups: ['velero.io'],
      resources: ['backups', 'restores'],
      verbs: ['get', 'list', 'patch'],
    },
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'get', 'patch'] },
    // velero-plugin-for-vsphere's blocked list, only that one ConfigMap (it holds resource names).
    {
      apiGroups: [''],
      resources: ['configmaps'],
      resourceNames: [VSPHERE_PLUGIN_BLOCKED_LIST],
      verbs: ['get'],
    },
  ],
  // The optional restricted list, only that one ConfigMap.
  product: [
    {
      apiGroups: [''],
      resources: ['configmaps'],
      resourceNames: [GUARD_CONFIGMAP],
      verbs: ['get'],
    },
  ],
  // Plugin objects that lost `velero.io/exclude-from-backup`, wherever they are (none holds secret data).
  cluster: pluginInternalRules(),
};
