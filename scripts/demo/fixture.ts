// The demo's application: namespace `shop` with a group `shop` (database first, then the nested
// group `web` 3 s later) and `web` (web-1, then 2 s later web-2 and web-canary, which was
// powered off on purpose). Their bootstrap Secret and ConfigMap and their PVCs belong to the
// groups, and so does the VirtualMachineService `shop-web` in front of the web VMs (its selector
// matches them); a `jumpbox` VM with its own Secret and PVC does not, and must stay out of the
// backup. The top group asks for a readiness gate (`has-ip`): on restore, the web tier starts
// only once db reports an IP address, then its 3 s delay later.
import type { KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import { ANNOTATION_READINESS_GATE } from '../../functions/vmgroup/names.ts';
import {
  bootstraps,
  groupMember,
  pvcVolume,
  vm,
  vmg,
  vmMember,
  vmService,
} from '../../functions/vmgroup/test/builders.ts';

export const NAMESPACE = 'shop';
export const TOP_GROUP = 'shop';
export const NESTED_GROUP = 'web';
/** The powerOnDelay of each stage, as the boot order says; the summary checks the restore kept them. */
export const EXPECTED_ORDER = [
  { vm: 'db', afterMs: 0 },
  { vm: 'web-1', afterMs: 3000 },
  { vm: 'web-2', afterMs: 5000 },
] as const;
export const KEPT_OFF = ['web-canary'];
export const OUTSIDE = { vm: 'jumpbox', secret: 'jumpbox-ssh' };
/** The load balancer in front of the web tier: in the closure because its selector matches members. */
export const WEB_SERVICE = 'shop-web';
export const READINESS = 'has-ip';
const WEB_TIER = { 'shop.example/tier': 'web' };

/** Secrets are written, never read back: the demo restores them from this definition. */
export function secrets(ns = NAMESPACE): KubeObject[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db-cloud-init', namespace: ns },
      stringData: { 'user-data': '#cloud-config\nhostname: db\n' },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: OUTSIDE.secret, namespace: ns },
      stringData: { 'user-data': '#cloud-config\nhostname: jumpbox\n' },
    },
  ];
}

const pvc = (name: string, ns: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name, namespace: ns },
  spec: {
    accessModes: ['ReadWriteOnce'],
    resources: { requests: { storage: '10Gi' } },
    storageClassName: 'wcp-storage',
  },
});

/** Network as VM Operator would report it once a VM runs; the labeler copies it for the restore. */
export function networkStatus(index: number): Record<string, unknown> {
  const ip = `10.10.0.${10 + index}`;
  return {
    network: {
      primaryIP4: ip,
      interfaces: [
        {
          name: 'eth0',
          ip: {
            macAddr: `00:50:56:aa:00:${(10 + index).toString(16).padStart(2, '0')}`,
            addresses: [{ address: `${ip}/24` }],
          },
        },
      ],
    },
  };
}

const network = { interfaces: [{ name: 'eth0', network: { name: 'shop-net' } }] };

/** What the VM Operator mode changes (scripts/demo/vm-operator.ts says why in the output). */
export interface Variant {
  /** The VMs' storage class (the plane's STORAGE_CLASS, backed by the simulator's policy). */
  storageClass?: string;
  /** The custom network `shop-net` (the simulator has none by that name): false leaves VM Operator's default. */
  network?: boolean;
  /** The VMs' PVC volumes (attaching them takes CSI, which the simulator plane lacks). */
  volumes?: boolean;
  /** The top group's readiness gate (default READINESS). */
  readiness?: string;
}

/**
 * VM Operator's v1alpha1 compatibility annotation: bootstrap data from a ConfigMap, not a Secret.
 * VM Operator v1.10.0 boots a raw cloud-config from a ConfigMap only when the VM carries it
 * (pkg/providers/vsphere/vmprovider_vm_utils.go getSecretData; a Secret otherwise), so the web
 * VMs, whose bootstrap is a ConfigMap, carry it in every mode.
 */
export const CONFIGMAP_TRANSPORT = 'vmoperator.vmware.com/v1a1-configmap-md-transport';
const BOOT_CONFIGMAP = 'web-cloud-config';

/** The VMs: name, group, bootstrap object, PVC, web-tier label, off at backup. */
const MACHINES: Array<[string, string | undefined, string, string | undefined, boolean, boolean?]> =
  [
    ['db', TOP_GROUP, 'db-cloud-init', 'db-data', false],
    ['web-1', NESTED_GROUP, 'web-cloud-config', 'web-1-data', true],
    ['web-2', NESTED_GROUP, 'web-cloud-config', 'web-2-data', true],
    ['web-canary', NESTED_GROUP, 'web-cloud-config', undefined, true, true],
    [OUTSIDE.vm, undefined, OUTSIDE.secret, 'jumpbox-home', false],
  ];

function machines(namespace: string, variant: Variant): KubeObject[] {
  return MACHINES.map(([name, groupName, boot, claim, web, off]) =>
    vm(name, {
      namespace,
      ...(web ? { labels: WEB_TIER } : {}),
      ...(groupName ? { groupName } : {}),
      ...(off ? { powerState: 'PoweredOff' as const } : {}),
      ...(boot === BOOT_CONFIGMAP ? { annotations: { [CONFIGMAP_TRANSPORT]: 'true' } } : {}),
      bootstrap: bootstraps.cloudInitRaw(boot),
      ...(claim && variant.volumes !== false ? { volumes: [pvcVolume(claim)] } : {}),
      ...(variant.network === false ? {} : { network }),
      ...(variant.storageClass ? { spec: { storageClass: variant.storageClass } } : {}),
    }),
  ) as unknown as KubeObject[];
}

export function application(
  ns = NAMESPACE,
  variant: Variant = {},
): {
  configMaps: KubeObject[];
  pvcs: KubeObject[];
  groups: KubeObject[];
  vms: KubeObject[];
  services: KubeObject[];
} {
  const o = { namespace: ns };
  return {
    // The web VMs' raw cloud-config names no Secret: VM Operator's backup then takes the
    // same-named ConfigMap, so the group's closure holds it (to boot from it, VM Operator
    // v1.10.0 also wants CONFIGMAP_TRANSPORT on the VM).
    configMaps: [
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'web-cloud-config', namespace: ns },
        data: { 'user-data': '#cloud-config\npackages: [nginx]\n' },
      },
    ],
    pvcs:
      variant.volumes === false
        ? []
        : ['db-data', 'web-1-data', 'web-2-data', 'jumpbox-home'].map((n) => pvc(n, ns)),
    groups: [
      vmg(TOP_GROUP, {
        ...o,
        annotations: { [ANNOTATION_READINESS_GATE]: variant.readiness ?? READINESS },
        bootOrder: [[vmMember('db')], { members: [groupMember(NESTED_GROUP)], powerOnDelay: '3s' }],
      }),
      vmg(NESTED_GROUP, {
        ...o,
        groupName: TOP_GROUP,
        bootOrder: [
          [vmMember('web-1')],
          { members: [vmMember('web-2'), vmMember('web-canary')], powerOnDelay: '2s' },
        ],
      }),
    ] as unknown as KubeObject[],
    vms: machines(ns, variant),
    services: [vmService(WEB_SERVICE, WEB_TIER, o)],
  };
}
