// Test support: what a restored VM's namespace must offer for the restore preflight to let it
// start (preflight.ts), for the VMs functions/vmgroup/test/builders.ts makes (class
// best-effort-small, storage class wcp-storage): the class in the namespace, the StorageClass,
// and the namespace's storage quota entry for it (how a Supervisor assigns a storage policy).
import type { Kube, KubeObject } from '../../runtime/kube/kube-api.ts';
import { VMOP } from '../handler.ts';

export const STORAGE_CLASS: KubeObject = {
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name: 'wcp-storage' },
  provisioner: 'csi.vsphere.vmware.com',
};
export const VM_CLASS = (namespace: string, name = 'best-effort-small'): KubeObject => ({
  apiVersion: VMOP,
  kind: 'VirtualMachineClass',
  metadata: { name, namespace },
  spec: { hardware: { cpus: 2, memory: '4Gi' } },
});
/** How a Supervisor assigns a storage policy to a namespace: a quota entry for its class. */
export const STORAGE_QUOTA = (namespace: string, storageClass = 'wcp-storage'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ResourceQuota',
  metadata: { name: `${storageClass}-quota`, namespace },
  spec: { hard: { [`${storageClass}.storageclass.storage.k8s.io/requests.storage`]: '1Ti' } },
});
/** The class and the storage quota the builders' VMs name, in `namespace`. */
export const offered = (namespace: string): KubeObject[] => [
  VM_CLASS(namespace),
  STORAGE_QUOTA(namespace),
];

/** Creates what the builders' VMs need in `namespace` (the StorageClass once per cluster). */
export async function offerWhatVmsName(
  admin: Pick<Kube, 'create'>,
  namespace: string,
): Promise<void> {
  await admin.create(STORAGE_CLASS).catch(() => undefined);
  for (const obj of offered(namespace)) await admin.create(obj);
}
