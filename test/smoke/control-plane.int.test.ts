// Smoke test of the test control plane: real CRDs accept a VM Operator application, both
// storage labels serve it, and RBAC really restricts a service-account identity.
import assert from 'node:assert/strict';
import {
  AuthenticationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
} from '@kubernetes/client-node';
import { testCluster } from '../harness/index.ts';
import type { TestCluster } from '../harness/index.ts';

const GROUP = 'vmoperator.vmware.com';

const vm = (name: string) => ({
  apiVersion: `${GROUP}/v1alpha5`,
  kind: 'VirtualMachine',
  metadata: { name },
  spec: {
    className: 'best-effort-small',
    imageName: 'vmi-0123456789abcdef0',
    storageClass: 'wcpglobal-storage-profile',
    powerState: 'PoweredOn',
    groupName: 'app',
    bootstrap: { cloudInit: { rawCloudConfig: { name: 'app-cloud-init', key: 'user-data' } } },
    volumes: [{ name: 'data', persistentVolumeClaim: { claimName: `${name}-data` } }],
  },
});

const group = {
  apiVersion: `${GROUP}/v1alpha5`,
  kind: 'VirtualMachineGroup',
  metadata: { name: 'app' },
  spec: {
    powerState: 'PoweredOn',
    bootOrder: [
      { members: [{ kind: 'VirtualMachine', name: 'db' }] },
      { members: [{ kind: 'VirtualMachine', name: 'web' }], powerOnDelay: '10s' },
    ],
  },
};

function statusCode(err: unknown): number | undefined {
  return (err as { code?: number }).code;
}

describe('test control plane (smoke)', function () {
  let cluster: TestCluster;
  let ns: string;

  before(async function () {
    cluster = await testCluster();
    ns = await cluster.newNamespace('smoke');
  });

  it('stores a VirtualMachineGroup with two member VMs, a cloud-init Secret and PVCs', async function () {
    const core = cluster.kubeConfig().makeApiClient(CoreV1Api);
    await core.createNamespacedSecret({
      namespace: ns,
      body: {
        metadata: { name: 'app-cloud-init' },
        stringData: { 'user-data': '#cloud-config\n' },
      },
    });
    for (const name of ['db-data', 'web-data']) {
      await core.createNamespacedPersistentVolumeClaim({
        namespace: ns,
        body: {
          metadata: { name },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
        },
      });
    }
    const applied = await cluster.applyYaml(
      JSON.stringify(group) +
        '\n---\n' +
        [vm('db'), vm('web')].map((o) => JSON.stringify(o)).join('\n---\n'),
      ns,
    );
    assert.deepEqual(
      applied.map((o) => `${o.kind}/${o.metadata?.name}`),
      ['VirtualMachineGroup/app', 'VirtualMachine/db', 'VirtualMachine/web'],
    );
    const vms = (await cluster
      .kubeConfig()
      .makeApiClient(CustomObjectsApi)
      .listNamespacedCustomObject({
        group: GROUP,
        version: 'v1alpha5',
        namespace: ns,
        plural: 'virtualmachines',
      })) as {
      items: { metadata: { name: string }; spec: { groupName: string } }[];
    };
    assert.deepEqual(
      vms.items.map((v) => [v.metadata.name, v.spec.groupName]),
      [
        ['db', 'app'],
        ['web', 'app'],
      ],
    );
  });

  it('serves the group as v1alpha5 and as v1alpha6 (the storage version)', async function () {
    const custom = cluster.kubeConfig().makeApiClient(CustomObjectsApi);
    const read = async (version: string) =>
      (await custom.getNamespacedCustomObject({
        group: GROUP,
        version,
        namespace: ns,
        plural: 'virtualmachinegroups',
        name: 'app',
      })) as {
        apiVersion: string;
        metadata: { uid: string };
        spec: typeof group.spec;
      };
    const v5 = await read('v1alpha5');
    const v6 = await read('v1alpha6');
    assert.equal(v5.apiVersion, `${GROUP}/v1alpha5`);
    assert.equal(v6.apiVersion, `${GROUP}/v1alpha6`);
    assert.equal(v6.metadata.uid, v5.metadata.uid);
    assert.deepEqual(v6.spec, v5.spec);
    assert.deepEqual(v5.spec.bootOrder[1], {
      members: [{ kind: 'VirtualMachine', name: 'web' }],
      powerOnDelay: '10s',
    });
  });

  it('authenticates a service account and denies it what RBAC did not grant', async function () {
    await cluster.applyYaml(
      `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: vmg-reader}
rules:
- apiGroups: [${GROUP}]
  resources: [virtualmachinegroups]
  verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: vmg-reader}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: vmg-reader}
subjects:
- {kind: ServiceAccount, name: restricted, namespace: ${ns}}
`,
      ns,
    );
    const kc = new KubeConfig();
    kc.loadFromFile(await cluster.kubeconfigForServiceAccount(ns, 'restricted'));

    const review = await kc
      .makeApiClient(AuthenticationV1Api)
      .createSelfSubjectReview({ body: {} });
    assert.equal(review.status?.userInfo?.username, `system:serviceaccount:${ns}:restricted`);

    const custom = kc.makeApiClient(CustomObjectsApi);
    const groups = (await custom.listNamespacedCustomObject({
      group: GROUP,
      version: 'v1alpha5',
      namespace: ns,
      plural: 'virtualmachinegroups',
    })) as { items: unknown[] };
    assert.equal(groups.items.length, 1);

    await assert.rejects(
      kc.makeApiClient(CoreV1Api).readNamespacedSecret({ namespace: ns, name: 'app-cloud-init' }),
      (err) => statusCode(err) === 403,
    );
    await assert.rejects(
      custom.createNamespacedCustomObject({
        group: GROUP,
        version: 'v1alpha5',
        namespace: ns,
        plural: 'virtualmachines',
        body: vm('intruder'),
      }),
      (err) => statusCode(err) === 403,
    );
    await assert.rejects(
      kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'kube-system' }),
      (err) => statusCode(err) === 403,
    );
  });
});
