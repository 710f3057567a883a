// The scenario's objects: group `shop` (VM `db`, then after 2 s the nested group `web` with `web-1`
// and `web-2`, which was off at backup), and group `reports` next to it in the same namespace,
// plus objects no group references. The VMs carry what VM Operator's webhook refuses from Velero
// and the old infrastructure's identity, the PVC the old volume's health and CNS keys.
import type { KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import {
  bootstraps,
  configMap,
  groupMember,
  pvc,
  pvcVolume,
  secret,
  vm,
  vmg,
  vmMember,
} from '../../functions/vmgroup/test/builders.ts';

/** Keys the resource modifiers must strip before Velero creates a VM (and the PVC). */
export const STALE_VM_ANNOTATIONS = {
  'vmoperator.vmware.com/cloud-init-instance-id': 'a1b2c3d4-0000-4000-8000-00000000d001',
  'virtualmachine.vmoperator.vmware.com/first-boot-done': 'true',
  'vmoperator.vmware.com/manager-id': 'vc-old-7f3e',
  'vmoperator.vmware.com/backup-version': '42',
};
export const STALE_VM_SPEC = {
  instanceUUID: '4230b5a5-1111-4222-8333-944455556666',
  biosUUID: '4230b5a5-aaaa-4bbb-8ccc-9dddeeeeffff',
};
export const CNS_USED_BY = 'cns.vmware.com/usedby-vm-4230b5a5-1111-4222-8333-944455556666';
export const VOLUME_HEALTH = 'volumehealth.storage.kubernetes.io/health';

/** What VM Operator reports for web-1's interface (status.network.config). */
export const WEB1_NETWORK_STATUS = {
  network: {
    config: {
      interfaces: [{ name: 'eth0', ip: { addresses: ['10.20.0.21/24'], gateway4: '10.20.0.1' } }],
    },
  },
};

export interface Expected {
  /** Kind → names of everything in the closure of `shop`. */
  shop: Record<string, string[]>;
  reports: Record<string, string[]>;
  unrelated: Record<string, string[]>;
}

export function scenario(namespace: string): { objects: KubeObject[]; expected: Expected } {
  const ns = { namespace };
  const stale = (name: string) =>
    vm(name, {
      ...ns,
      annotations: { ...STALE_VM_ANNOTATIONS },
      spec: { ...STALE_VM_SPEC },
    });
  const db = stale('db');
  Object.assign(db.spec!, {
    groupName: 'shop',
    powerState: 'PoweredOn',
    bootstrap: bootstraps.cloudInitRaw('db-cloud-init'),
    volumes: [pvcVolume('db-data')],
  });
  const web1 = stale('web-1');
  Object.assign(web1.spec!, {
    groupName: 'web',
    powerState: 'PoweredOn',
    bootstrap: bootstraps.linuxPrep('web-1-password'),
    volumes: [pvcVolume('web-1-data')],
    // Addresses VM Operator assigned (status only): they must come back on the new VM.
    network: { interfaces: [{ name: 'eth0', network: { name: 'web-net' } }] },
  });
  const web2 = stale('web-2');
  Object.assign(web2.spec!, {
    groupName: 'web',
    powerState: 'PoweredOff',
    // A same-named ConfigMap stands in for a Secret (VM Operator's GetAdditionalResourcesForBackup).
    bootstrap: bootstraps.cloudInitRaw('web-cloud-config'),
  });
  const reports1 = vm('reports-1', {
    ...ns,
    groupName: 'reports',
    bootstrap: bootstraps.cloudInitRaw('reports-boot'),
    volumes: [pvcVolume('reports-data')],
  });
  const dbData = pvc('db-data', {
    ...ns,
    annotations: { [VOLUME_HEALTH]: 'accessible', [CNS_USED_BY]: 'true' },
  });
  const objects = [
    vmg('shop', {
      ...ns,
      powerState: 'PoweredOn',
      bootOrder: [[vmMember('db')], { members: [groupMember('web')], powerOnDelay: '2s' }],
    }),
    vmg('web', { ...ns, groupName: 'shop', bootOrder: [[vmMember('web-1'), vmMember('web-2')]] }),
    db,
    web1,
    web2,
    secret('db-cloud-init', ns),
    secret('web-1-password', ns),
    configMap('web-cloud-config', ns),
    dbData,
    pvc('web-1-data', ns),
    vmg('reports', { ...ns, powerState: 'PoweredOn', bootOrder: [[vmMember('reports-1')]] }),
    reports1,
    secret('reports-boot', ns),
    pvc('reports-data', ns),
    secret('unrelated', ns),
    configMap('unrelated', ns),
    pvc('scratch', ns),
  ] as unknown as KubeObject[];
  return {
    objects,
    expected: {
      shop: {
        VirtualMachineGroup: ['shop', 'web'],
        VirtualMachine: ['db', 'web-1', 'web-2'],
        Secret: ['db-cloud-init', 'web-1-password'],
        ConfigMap: ['web-cloud-config'],
        PersistentVolumeClaim: ['db-data', 'web-1-data'],
      },
      reports: {
        VirtualMachineGroup: ['reports'],
        VirtualMachine: ['reports-1'],
        Secret: ['reports-boot'],
        PersistentVolumeClaim: ['reports-data'],
      },
      unrelated: {
        Secret: ['unrelated'],
        ConfigMap: ['unrelated'],
        PersistentVolumeClaim: ['scratch'],
      },
    },
  };
}

export const API_VERSION: Record<string, string> = {
  VirtualMachineGroup: 'vmoperator.vmware.com/v1alpha5',
  VirtualMachine: 'vmoperator.vmware.com/v1alpha5',
  Secret: 'v1',
  ConfigMap: 'v1',
  PersistentVolumeClaim: 'v1',
};
