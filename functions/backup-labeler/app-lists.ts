// Listing the application objects of a namespace (issue 16 part 2): VirtualMachineServices whole
// (their selector decides), VirtualMachineSetResourcePolicies and EncryptionClasses as metadata
// (only names and labels are used). A kind whose CRD the cluster does not serve (a Supervisor
// without encryption.vmware.com) answers 404: the namespace then has none of it, and a VM naming
// one is reported missing. Anything else fails the reconcile (retried by the Broker).

import type { Kube, KubeObject } from '../runtime/kube/kube-api.ts';
import { apiVersionOfKind } from '../vmgroup/closure.ts';
import type { ClosureKind } from '../vmgroup/closure.ts';
import type { LiveNamespace, LiveObject, LiveService } from './plan.ts';
import { keptMeta, keptService } from './projection.ts';

function isStatus(err: unknown, status: number): boolean {
  return typeof err === 'object' && err !== null && (err as { status?: unknown }).status === status;
}

async function listServed<T extends LiveObject>(
  kube: Kube,
  kind: ClosureKind,
  namespace: string,
  metadataOnly: boolean,
): Promise<T[] | undefined> {
  try {
    const project = metadataOnly ? keptMeta : keptService;
    const list = await kube.list<T & KubeObject>(apiVersionOfKind(kind), kind, namespace, {
      metadataOnly,
      project,
    });
    return list.items;
  } catch (err) {
    if (isStatus(err, 404)) return undefined;
    throw err;
  }
}

export async function listAppObjects(
  kube: Kube,
  namespace: string,
): Promise<{
  reads: number;
  live: Pick<LiveNamespace, 'services' | 'resourcePolicies' | 'encryptionClasses'>;
}> {
  const [services, resourcePolicies, encryptionClasses] = await Promise.all([
    listServed<LiveService>(kube, 'VirtualMachineService', namespace, false),
    listServed(kube, 'VirtualMachineSetResourcePolicy', namespace, true),
    listServed(kube, 'EncryptionClass', namespace, true),
  ]);
  const live: Pick<LiveNamespace, 'services' | 'resourcePolicies' | 'encryptionClasses'> = {};
  if (services) live.services = services;
  if (resourcePolicies) live.resourcePolicies = resourcePolicies;
  if (encryptionClasses) live.encryptionClasses = encryptionClasses;
  return { reads: 3, live };
}
