// Builders for test objects shared by the backup and restore tests: each returns a complete,
// schema-valid object with sensible defaults; pass overrides for what a test is about.
// Kept general on purpose (any namespace, either API version, labels/annotations/status).

import { ConflictError } from '../../runtime/errors.ts';
import type { Kube, KubeObject } from '../../runtime/kube/kube-api.ts';
import type { VirtualMachine } from '../../../schemas/generated/objects/virtualmachine.ts';
import type { VirtualMachineGroup } from '../../../schemas/generated/objects/virtualmachinegroup.ts';
import type { NamespaceState } from '../closure.ts';
import type { VmServiceLike } from '../app-objects.ts';

export const TEST_NAMESPACE = 'apps';

type VmSpec = NonNullable<VirtualMachine['spec']>;
type VmgSpec = NonNullable<VirtualMachineGroup['spec']>;
type Bootstrap = NonNullable<VmSpec['bootstrap']>;
type Volume = NonNullable<VmSpec['volumes']>[number];
type Member = NonNullable<NonNullable<VmgSpec['bootOrder']>[number]['members']>[number];

export interface MetaOverrides {
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  uid?: string;
}

function meta(name: string, o: MetaOverrides = {}): VirtualMachine['metadata'] {
  return {
    name,
    namespace: o.namespace ?? TEST_NAMESPACE,
    ...(o.uid ? { uid: o.uid } : {}),
    ...(o.resourceVersion ? { resourceVersion: o.resourceVersion } : {}),
    ...(o.labels ? { labels: { ...o.labels } } : {}),
    ...(o.annotations ? { annotations: { ...o.annotations } } : {}),
  };
}

export interface VmOverrides extends MetaOverrides {
  apiVersion?: VirtualMachine['apiVersion'];
  groupName?: string;
  powerState?: VmSpec['powerState'];
  bootstrap?: Bootstrap;
  volumes?: Volume[];
  network?: VmSpec['network'];
  status?: VirtualMachine['status'];
  /** Extra spec fields (className, imageName, ...). */
  spec?: Record<string, unknown>;
}

export function vm(name: string, o: VmOverrides = {}): VirtualMachine {
  const spec: VmSpec = {
    className: 'best-effort-small',
    imageName: 'vmi-0123456789abcdef0',
    storageClass: 'wcp-storage',
    ...(o.powerState !== undefined ? { powerState: o.powerState } : { powerState: 'PoweredOn' }),
    ...(o.groupName !== undefined ? { groupName: o.groupName } : {}),
    ...(o.bootstrap ? { bootstrap: o.bootstrap } : {}),
    ...(o.volumes ? { volumes: o.volumes } : {}),
    ...(o.network ? { network: o.network } : {}),
    ...o.spec,
  };
  return {
    apiVersion: o.apiVersion ?? 'vmoperator.vmware.com/v1alpha5',
    kind: 'VirtualMachine',
    metadata: meta(name, o),
    spec,
    ...(o.status ? { status: o.status } : {}),
  };
}

export interface VmgOverrides extends MetaOverrides {
  apiVersion?: VirtualMachineGroup['apiVersion'];
  groupName?: string;
  powerState?: VmgSpec['powerState'];
  /** Boot order stages; each stage is a list of members (see vmMember/groupMember). */
  bootOrder?: Array<Member[] | { members: Member[]; powerOnDelay?: string }>;
}

export function vmg(name: string, o: VmgOverrides = {}): VirtualMachineGroup {
  const bootOrder = (o.bootOrder ?? []).map((s) => (Array.isArray(s) ? { members: s } : s));
  return {
    apiVersion: o.apiVersion ?? 'vmoperator.vmware.com/v1alpha5',
    kind: 'VirtualMachineGroup',
    metadata: meta(name, o),
    spec: {
      ...(o.groupName !== undefined ? { groupName: o.groupName } : {}),
      ...(o.powerState !== undefined ? { powerState: o.powerState } : {}),
      bootOrder,
    },
  };
}

/** A VM member; kind omitted on purpose unless asked (VM Operator's default is VirtualMachine). */
export function vmMember(name: string, explicitKind = false): Member {
  return explicitKind ? { name, kind: 'VirtualMachine' } : { name };
}

export function groupMember(name: string): Member {
  return { name, kind: 'VirtualMachineGroup' };
}

export function pvcVolume(claimName: string, volumeName = claimName): Volume {
  return { name: volumeName, persistentVolumeClaim: { claimName } };
}

export const bootstraps = {
  cloudInitRaw: (secret: string): Bootstrap => ({
    cloudInit: { rawCloudConfig: { name: secret, key: 'user-data' } },
  }),
  cloudInitUsers: (...secrets: string[]): Bootstrap => ({
    cloudInit: {
      cloudConfig: {
        users: secrets.map((s, i) =>
          i % 2 === 0
            ? { name: `u${i}`, passwd: { name: s, key: 'pw' } }
            : { name: `u${i}`, hashed_passwd: { name: s, key: 'hash' } },
        ),
      },
    },
  }),
  cloudInitWriteFile: (secret: string): Bootstrap => ({
    cloudInit: {
      cloudConfig: {
        write_files: [
          { path: '/etc/inline', content: 'inline text' },
          { path: '/etc/from-secret', content: { name: secret, key: 'file' } },
        ],
      },
    },
  }),
  linuxPrep: (password: string, script?: string): Bootstrap => ({
    linuxPrep: {
      password: { name: password, key: 'password' },
      ...(script ? { scriptText: { from: { name: script, key: 'script' } } } : {}),
    },
  }),
  sysprepRaw: (secret: string): Bootstrap => ({
    sysprep: { rawSysprep: { name: secret, key: 'unattend' } },
  }),
  sysprep: (s: {
    password?: string;
    domain?: string;
    productID?: string;
    script?: string;
  }): Bootstrap => ({
    sysprep: {
      sysprep: {
        ...(s.password ? { guiUnattended: { password: { name: s.password, key: 'pw' } } } : {}),
        ...(s.domain
          ? { identification: { domainAdminPassword: { name: s.domain, key: 'pw' } } }
          : {}),
        userData: {
          fullName: 'Ops',
          orgName: 'Example',
          ...(s.productID ? { productID: { name: s.productID, key: 'key' } } : {}),
        },
        ...(s.script ? { scriptText: { from: { name: s.script, key: 'script' } } } : {}),
      },
    },
  }),
  vAppProperties: (...secrets: string[]): Bootstrap => ({
    vAppConfig: {
      properties: [
        { key: 'plain', value: { value: 'x' } },
        ...secrets.map((s, i) => ({ key: `k${i}`, value: { from: { name: s, key: 'v' } } })),
      ],
    },
  }),
  vAppRaw: (name: string): Bootstrap => ({ vAppConfig: { rawProperties: name } }),
};

function core(
  kind: string,
  name: string,
  o: MetaOverrides = {},
  extra: Record<string, unknown> = {},
): KubeObject {
  return { apiVersion: 'v1', kind, metadata: meta(name, o), ...extra };
}

export function secret(name: string, o: MetaOverrides = {}): KubeObject {
  return core('Secret', name, o, { type: 'Opaque', stringData: { key: 'not-a-real-secret' } });
}

export function configMap(name: string, o: MetaOverrides = {}): KubeObject {
  return core('ConfigMap', name, o, { data: { 'user-data': '#cloud-config\n' } });
}

export function pvc(name: string, o: MetaOverrides = {}): KubeObject {
  return core('PersistentVolumeClaim', name, o, {
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '1Gi' } },
      storageClassName: 'wcp-storage',
    },
  });
}

/** A VirtualMachineService fronting the VMs its selector matches (docs/concepts/services-networking/vm-service.md). */
export function vmService(
  name: string,
  selector: Record<string, string> | undefined,
  o: MetaOverrides = {},
): KubeObject {
  return {
    apiVersion: 'vmoperator.vmware.com/v1alpha5',
    kind: 'VirtualMachineService',
    metadata: meta(name, o),
    spec: {
      type: 'LoadBalancer',
      ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }],
      ...(selector ? { selector } : {}),
    },
  };
}

export function resourcePolicy(name: string, o: MetaOverrides = {}): KubeObject {
  return {
    apiVersion: 'vmoperator.vmware.com/v1alpha5',
    kind: 'VirtualMachineSetResourcePolicy',
    metadata: meta(name, o),
    spec: { resourcePool: { name }, folder: name },
  };
}

export function encryptionClass(name: string, o: MetaOverrides = {}): KubeObject {
  return {
    apiVersion: 'encryption.vmware.com/v1alpha1',
    kind: 'EncryptionClass',
    metadata: meta(name, o),
    spec: { keyProvider: 'local-kp' },
  };
}

/** A namespace state from a mixed list of objects (Secrets known unless `secretsUnknown`). */
export function stateOf(
  objects: readonly KubeObject[],
  o: { namespace?: string; secretsUnknown?: boolean } = {},
): NamespaceState {
  const names = (kind: string): Set<string> =>
    new Set(objects.filter((x) => x.kind === kind).map((x) => x.metadata.name));
  return {
    namespace: o.namespace ?? TEST_NAMESPACE,
    groups: objects.filter(
      (x) => x.kind === 'VirtualMachineGroup',
    ) as unknown as VirtualMachineGroup[],
    vms: objects.filter((x) => x.kind === 'VirtualMachine') as unknown as VirtualMachine[],
    configMaps: names('ConfigMap'),
    pvcs: names('PersistentVolumeClaim'),
    ...(o.secretsUnknown ? {} : { secrets: names('Secret') }),
    services: objects.filter((x) => x.kind === 'VirtualMachineService') as VmServiceLike[],
    resourcePolicies: names('VirtualMachineSetResourcePolicy'),
    encryptionClasses: names('EncryptionClass'),
    pvcStorageClasses: new Map(
      objects
        .filter((x) => x.kind === 'PersistentVolumeClaim')
        .map((x) => [x.metadata.name, (x.spec as { storageClassName?: string })?.storageClassName])
        .filter((e): e is [string, string] => typeof e[1] === 'string'),
    ),
  };
}

/**
 * A group of `size` VMs named `<group>-vm-<i>`, each with a bootstrap Secret `<vm>-boot` and
 * `pvcsPerVm` PVCs `<vm>-disk-<j>` — the shape the benchmarks and scale tests use.
 */
export function groupFixture(
  group: string,
  size: number,
  o: { pvcsPerVm?: number; namespace?: string } = {},
): KubeObject[] {
  const ns = { namespace: o.namespace ?? TEST_NAMESPACE };
  const out: KubeObject[] = [];
  const members: Member[] = [];
  for (let i = 0; i < size; i++) {
    const name = `${group}-vm-${i}`;
    const claims = Array.from({ length: o.pvcsPerVm ?? 2 }, (_, j) => `${name}-disk-${j}`);
    members.push(vmMember(name));
    out.push(
      vm(name, {
        ...ns,
        groupName: group,
        bootstrap: bootstraps.cloudInitRaw(`${name}-boot`),
        volumes: claims.map((c) => pvcVolume(c)),
      }),
    );
    out.push(secret(`${name}-boot`, ns));
    for (const c of claims) out.push(pvc(c, ns));
  }
  out.unshift(vmg(group, { ...ns, powerState: 'PoweredOn', bootOrder: [members] }));
  return out as KubeObject[];
}

/** as unknown as KubeObject, for passing typed VM Operator objects where KubeObject is expected. */
export function asKube(o: VirtualMachine | VirtualMachineGroup): KubeObject {
  return o as unknown as KubeObject;
}

/** The StorageClass the builders' VMs and PVCs name (cluster-scoped: create it once). */
export const BUILDER_STORAGE_CLASS: KubeObject = {
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name: 'wcp-storage' },
  provisioner: 'csi.vsphere.vmware.com',
};

/**
 * What a target namespace must offer the builders' VMs for the restore preflight to let them
 * start: their class bound to the namespace, and their storage class assigned by quota (as a
 * vSphere Namespace does). BUILDER_STORAGE_CLASS must exist too.
 */
export function builderOffer(namespace: string): KubeObject[] {
  return [vmClass(namespace), storageQuota(namespace)];
}

/** A VirtualMachineClass bound to `namespace` (the builders' VMs name best-effort-small). */
export function vmClass(namespace: string, name = 'best-effort-small'): KubeObject {
  return {
    apiVersion: 'vmoperator.vmware.com/v1alpha5',
    kind: 'VirtualMachineClass',
    metadata: { name, namespace },
    spec: { hardware: { cpus: 2, memory: '4Gi' } },
  };
}

/** How a Supervisor assigns a storage policy to a namespace: a quota entry for its class. */
export function storageQuota(namespace: string, storageClass = 'wcp-storage'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: `${storageClass}-quota`, namespace },
    spec: { hard: { [`${storageClass}.storageclass.storage.k8s.io/requests.storage`]: '1Ti' } },
  };
}

/** Creates what builderOffer names in `namespace`, and the StorageClass unless it exists. */
export async function offerBuilderTarget(
  kube: Pick<Kube, 'create'>,
  namespace: string,
): Promise<KubeObject[]> {
  // A StorageClass is cluster-scoped: another test may have created it.
  await kube.create(BUILDER_STORAGE_CLASS).catch((err: unknown) => {
    if (!(err instanceof ConflictError)) throw err;
  });
  const offer = builderOffer(namespace);
  for (const obj of offer) await kube.create(obj);
  return offer;
}
