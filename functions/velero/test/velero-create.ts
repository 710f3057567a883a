// Test support: create an object on the test control plane the way a Velero restore item loop
// does (pkg/restore/restore.go): reset metadata, drop status, apply the resource modifiers (or
// not), map the namespace, add the restore labels, create.

import type { Kube, KubeObject } from '../../runtime/kube/kube-api.ts';
import { VELERO_BACKUP_NAME_LABEL, VELERO_RESTORE_NAME_LABEL } from '../../vmgroup/names.ts';
import {
  applyModifiers,
  groupResourceOf,
  modifierDocument,
  readConfigMap,
} from './velero-modifiers.ts';

const PLURALS: Record<string, string> = {
  VirtualMachine: 'virtualmachines',
  VirtualMachineGroup: 'virtualmachinegroups',
  PersistentVolumeClaim: 'persistentvolumeclaims',
  Secret: 'secrets',
  ConfigMap: 'configmaps',
};

const RESET = [
  'generateName',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'ownerReferences',
];

export interface VeleroRestoreItem {
  restore: string;
  backup: string;
  namespace: string;
  /** Apply config/base/velero-resource-modifiers (default true). */
  modifier?: boolean;
  /** A variant's ConfigMap file to apply instead of the default one. */
  modifierConfigMap?: URL;
}

const defaultDoc = modifierDocument(readConfigMap());

/** The object as Velero would create it (without creating it). */
export function asRestored<T extends KubeObject>(obj: T, item: VeleroRestoreItem): T {
  let o = structuredClone(obj) as KubeObject;
  for (const k of RESET) delete (o.metadata as Record<string, unknown>)[k];
  delete (o as Record<string, unknown>).status;
  if (item.modifier !== false)
    o = applyModifiers(
      item.modifierConfigMap ? modifierDocument(readConfigMap(item.modifierConfigMap)) : defaultDoc,
      o,
      groupResourceOf(o.apiVersion, PLURALS[o.kind] ?? `${o.kind.toLowerCase()}s`),
    );
  o.metadata.namespace = item.namespace;
  o.metadata.labels = {
    ...o.metadata.labels,
    [VELERO_BACKUP_NAME_LABEL]: item.backup,
    [VELERO_RESTORE_NAME_LABEL]: item.restore,
  };
  return o as T;
}

export async function veleroCreate<T extends KubeObject>(
  kube: Pick<Kube, 'create'>,
  obj: T,
  item: VeleroRestoreItem,
): Promise<T> {
  return kube.create(asRestored(obj, item));
}

export function restoreObject(
  name: string,
  namespace: string,
  spec: Record<string, unknown>,
  phase = 'InProgress',
): KubeObject {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Restore',
    metadata: { name, namespace },
    spec,
    status: { phase },
  };
}
