// Test support: backed-up VMs that VM Operator v1.10.0 refuses at create for a reason no resource
// modifier can strip, each with the API server's message for it as the real webhook gave it when
// the VM was created as Velero's (non-privileged) identity on the VM Operator test plane
// (test/vm-operator/admission.vmop.ts creates each again and asserts the message is still this
// one, so these strings cannot drift from the real webhook).

import type { KubeObject } from '../../runtime/kube/kube-api.ts';

type Spec = Record<string, unknown>;

export interface UnstrippableCase {
  title: string;
  /** Turns a clean backed-up VM (class, image, storage class, powered off) into the case. */
  apply(vm: KubeObject & { spec: Spec }): void;
  /** The field the webhook names. */
  field: string;
  /** The validator that refuses it (webhooks/virtualmachine/validation). */
  rule: string;
  /** The Status message the API server returned (what Velero records in the Restore's results). */
  message: string;
  /** A privileged identity may create it on the test plane (FSS as test/harness/vm-operator.ts sets them). */
  privilegedMayCreate: boolean;
}

const DENIED =
  'admission webhook "default.validating.virtualmachine.v1alpha5.vmoperator.vmware.com" denied the request: ';

export const UNSTRIPPABLE_CASES: readonly UnstrippableCase[] = [
  {
    title: 'required anti-affinity per host',
    apply: (vm) => {
      vm.spec['groupName'] = 'app';
      vm.spec['affinity'] = {
        vmAntiAffinity: {
          requiredDuringSchedulingPreferredDuringExecution: [
            {
              labelSelector: { matchLabels: { tier: 'web' } },
              topologyKey: 'kubernetes.io/hostname',
            },
          ],
        },
      };
    },
    field:
      'spec.affinity.vmAntiAffinity.requiredDuringSchedulingPreferredDuringExecution[0].topologyKey',
    rule: 'validateVMAffinity',
    message: `${DENIED}spec.affinity.vmAntiAffinity.requiredDuringSchedulingPreferredDuringExecution[0].topologyKey: Unsupported value: "kubernetes.io/hostname": supported values: "topology.kubernetes.io/zone"`,
    privilegedMayCreate: true,
  },
  {
    title: 'image-less VM',
    apply: (vm) => {
      delete vm.spec['imageName'];
      delete vm.spec['image'];
    },
    field: 'spec.image',
    rule: 'validateImageOnCreate',
    message: `${DENIED}spec.image: Forbidden: restricted to privileged users`,
    privilegedMayCreate: true,
  },
  {
    title: 'class-less VM',
    apply: (vm) => {
      delete vm.spec['className'];
    },
    field: 'spec.className',
    rule: 'validateClassOnCreate',
    message: `${DENIED}spec.className: Required value`,
    privilegedMayCreate: false,
  },
  {
    title: 'instance storage volume',
    apply: (vm) => {
      vm.spec['volumes'] = [
        {
          name: 'instance-pvc-0',
          persistentVolumeClaim: {
            claimName: `${vm.metadata.name}-instance-0`,
            instanceVolumeClaim: { storageClass: 'vsan-default', size: '1Gi' },
          },
        },
      ];
    },
    field: 'spec.volumes',
    rule: 'validateInstanceStorageVolumes',
    message: `${DENIED}spec.volumes: Forbidden: adding or modifying instance storage volume claim(s) is not allowed`,
    privilegedMayCreate: true,
  },
  {
    title: 'delete check annotation',
    apply: (vm) => {
      vm.metadata.annotations = {
        ...vm.metadata.annotations,
        'delete.check.vmoperator.vmware.com/backup-tool': 'a backup is running',
      };
    },
    field: 'metadata.annotations.delete.check.vmoperator.vmware.com/backup-tool',
    rule: 'validateChecksAnnotation',
    message: `${DENIED}metadata.annotations.delete.check.vmoperator.vmware.com/backup-tool: Forbidden: adding this annotation is restricted to privileged users`,
    privilegedMayCreate: true,
  },
];

/** The line Velero's restore adds to the results' per-namespace errors (pkg/restore `restoreItem`). */
export function veleroErrorLine(namespace: string, name: string, message: string): string {
  return `error restoring virtualmachines.vmoperator.vmware.com/${namespace}/${name}: ${message}`;
}
