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
  const net = variant.network === false ? {} : { network };
  const volumes = (claim: string) =>
    variant.volumes === false ? {} : { volumes: [pvcVolume(claim)] };
  const spec = variant.storageClass ? { spec: { storageClass: variant.storageClass } } : {};
  return {
    // The web VMs' raw cloud-config names no Secret: VM Operator then reads the same-named
    // ConfigMap, so the group's closure holds that ConfigMap.
    configMaps: [
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'web-cloud-config', namespace: ns },
        data: { 'user-data': '#cloud-config\npackages: [nginx]\n' },
      },
    ],
    pvcs: ['db-data', 'web-1-data', 'web-2-data', 'jumpbox-home'].map((n) => pvc(n, ns)),
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
    vms: [
      vm('db', {
        ...o,
        groupName: TOP_GROUP,
        bootstrap: bootstraps.cloudInitRaw('db-cloud-init'),
        ...volumes('db-data'),
        ...net,
        ...spec,
      }),
      vm('web-1', {
        ...o,
        labels: WEB_TIER,
        groupName: NESTED_GROUP,
        bootstrap: bootstraps.cloudInitRaw('web-cloud-config'),
        ...volumes('web-1-data'),
        ...net,
        ...spec,
      }),
      vm('web-2', {
        ...o,
        labels: WEB_TIER,
        groupName: NESTED_GROUP,
        bootstrap: bootstraps.cloudInitRaw('web-cloud-config'),
        ...volumes('web-2-data'),
        ...net,
        ...spec,
      }),
      vm('web-canary', {
        ...o,
        labels: WEB_TIER,
        groupName: NESTED_GROUP,
        powerState: 'PoweredOff',
        bootstrap: bootstraps.cloudInitRaw('web-cloud-config'),
        ...net,
        ...spec,
      }),
      vm(OUTSIDE.vm, {
        ...o,
        bootstrap: bootstraps.cloudInitRaw(OUTSIDE.secret),
        ...volumes('jumpbox-home'),
        ...net,
        ...spec,
      }),
    ] as unknown as KubeObject[],
    services: [vmService(WEB_SERVICE, WEB_TIER, o)],
  };
}
