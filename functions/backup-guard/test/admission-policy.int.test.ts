// The optional ValidatingAdmissionPolicy on the real control plane: the committed component is
// what the generator produces, it admits clean Backups/Restores and rejects each restricted case
// with a clear message, and for every case it agrees with the guard function's own decision
// (plan.ts): for a Backup its decision; for a Restore (admission cannot read its Backup) the
// findings its own filters cause when judged against a Backup that holds everything.
// failurePolicy is Fail, so a CEL error at runtime would show up as a rejection of an
// admitted case. (The policy's typeChecking status is written by kube-controller-manager, which
// the test plane does not run.)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { testCluster } from '../../../test/harness/index.ts';
import type { TestCluster } from '../../../test/harness/index.ts';
import { createKube } from '../../runtime/kube/kube.ts';
import type { Kube, KubeObject } from '../../runtime/kube/kube-api.ts';
import { GUARD_CONFIGMAP } from '../../vmgroup/names.ts';
import { admissionPolicyObjects } from '../admission-policy.ts';
import { decide } from '../plan.ts';
import type { FilterSpec } from '../../velero/resource-filter.ts';
import { defaultRestrictedData, parseRestrictedList } from '../restricted-list.ts';

const membership = { matchLabels: { 'member.vmgroup-backup.dev/app': 'VirtualMachineGroup' } };

type Case = { name: string; kind: 'Backup' | 'Restore'; spec: FilterSpec; reject?: RegExp };

const cases = (ns: string): Case[] => [
  {
    name: 'the product backup (namespace + membership selector)',
    kind: 'Backup',
    spec: { includedNamespaces: [ns], labelSelector: membership },
  },
  {
    name: 'several groups through orLabelSelectors',
    kind: 'Backup',
    spec: {
      includedNamespaces: [ns],
      orLabelSelectors: [
        membership,
        { matchExpressions: [{ key: 'member.vmgroup-backup.dev/db', operator: 'Exists' }] },
      ],
    },
  },
  {
    name: 'a narrow include of unrestricted kinds',
    kind: 'Backup',
    spec: { includedNamespaces: [ns], includedResources: ['pods', 'configmaps'] },
  },
  {
    name: 'scoped filters of unrestricted kinds',
    kind: 'Backup',
    spec: {
      includedNamespaces: [ns],
      includedNamespaceScopedResources: ['deployments.apps', 'secrets'],
      includedClusterScopedResources: ['persistentvolumes'],
    },
  },
  {
    name: 'a group restore by membership',
    kind: 'Restore',
    spec: { includedNamespaces: [ns], labelSelector: membership },
  },
  {
    name: 'explicit includedResources',
    kind: 'Backup',
    spec: { includedNamespaces: [ns], includedResources: ['machines.cluster.x-k8s.io', 'pods'] },
    reject:
      /^.*Backup would touch Supervisor-restricted resources: machines\.cluster\.x-k8s\.io\. Exclude them with --exclude-resources/,
  },
  {
    name: 'a plural without group',
    kind: 'Backup',
    spec: { includedNamespaces: [ns], includedResources: ['tanzukubernetesclusters'] },
    reject: /tanzukubernetesclusters\.run\.tanzu\.vmware\.com/,
  },
  {
    name: 'a glob',
    kind: 'Backup',
    spec: { includedNamespaces: [ns], includedResources: ['*.cert-manager.io'] },
    reject:
      /restricted resources: (?=.*certificates\.cert-manager\.io)(?=.*orders\.acme\.cert-manager\.io)/,
  },
  {
    name: 'wildcard scope (plain namespace backup)',
    kind: 'Backup',
    spec: { includedNamespaces: [ns] },
    reject:
      /restricted resources: .*clusters\.cluster\.x-k8s\.io.*--exclude-namespace-scoped-resources/,
  },
  {
    name: 'wildcard scope with an unrelated label selector',
    kind: 'Backup',
    spec: { includedNamespaces: [ns], labelSelector: { matchLabels: { app: 'web' } } },
    reject: /without their group closure: virtualmachinegroups/,
  },
  {
    name: 'cluster-scoped inclusion (includeClusterResources)',
    kind: 'Backup',
    spec: {
      includedNamespaces: [ns],
      includeClusterResources: true,
      includedResources: ['clusterissuers.cert-manager.io', 'pods'],
    },
    reject: /clusterissuers\.cert-manager\.io/,
  },
  {
    name: 'cluster-scoped inclusion (scoped filter)',
    kind: 'Backup',
    spec: {
      includedNamespaces: [ns],
      includedNamespaceScopedResources: ['pods'],
      includedClusterScopedResources: ['storagepools.cns.vmware.com'],
    },
    reject:
      /restricted resources: storagepools\.cns\.vmware\.com\. Exclude them with --exclude-namespace-scoped-resources/,
  },
  {
    name: 'a full-cluster backup',
    kind: 'Backup',
    spec: {},
    reject: /clusterissuers\.cert-manager\.io/,
  },
  {
    name: 'VMs without their group closure',
    kind: 'Backup',
    spec: { includedNamespaces: [ns], includedResources: ['virtualmachines'] },
    reject:
      /Backup selects VM Operator kinds without their group closure: virtualmachines\.vmoperator\.vmware\.com\. Select by the membership label/,
  },
  {
    // The README's restore: its scope is whatever its Backup holds, which admission cannot see.
    name: 'a restore of everything in a namespace',
    kind: 'Restore',
    spec: { includedNamespaces: [ns] },
  },
  {
    name: 'a restore of everything',
    kind: 'Restore',
    spec: {},
  },
  {
    name: 'a restore naming a restricted resource',
    kind: 'Restore',
    spec: { includedNamespaces: [ns], includedResources: ['virtualmachineimages', 'pods'] },
    reject:
      /Restore would touch Supervisor-restricted resources: virtualmachineimages\.vmoperator\.vmware\.com\. Exclude them with --exclude-resources/,
  },
  {
    name: 'a restore naming a cluster-scoped restricted resource',
    kind: 'Restore',
    spec: { includeClusterResources: true, includedResources: ['clusterissuers', 'pods'] },
    reject: /restricted resources: clusterissuers\.cert-manager\.io\./,
  },
  {
    name: 'a restore of VMs alone',
    kind: 'Restore',
    spec: { includedNamespaces: [ns], includedResources: ['virtualmachine'] },
    reject: /Restore selects VM Operator kinds without their group closure/,
  },
];

describe('guard admission policy (optional blocking) on the control plane', function () {
  let cluster: TestCluster;
  let admin: Kube;
  let api: CustomObjectsApi;
  let veleroNs: string;
  let paramNs: string;
  const applied: Array<{ kind: string; name: string }> = [];

  /** Dry-run create: admission runs in full, nothing is stored. Returns the rejection message. */
  async function tryCreate(
    kind: 'Backup' | 'Restore',
    spec: FilterSpec,
  ): Promise<string | undefined> {
    try {
      await api.createNamespacedCustomObject({
        group: 'velero.io',
        version: 'v1',
        namespace: veleroNs,
        plural: kind === 'Backup' ? 'backups' : 'restores',
        dryRun: 'All',
        body: {
          apiVersion: 'velero.io/v1',
          kind,
          metadata: { generateName: 'guard-' },
          spec: kind === 'Restore' ? { backupName: 'b', ...spec } : spec,
        },
      });
      return undefined;
    } catch (err) {
      const body = (err as { body?: string }).body;
      const message =
        typeof body === 'string' ? (JSON.parse(body) as { message?: string }).message : String(err);
      return message ?? String(err);
    }
  }

  before(async function () {
    this.timeout(120_000);
    cluster = await testCluster();
    admin = createKube(cluster.kubeconfigPath);
    api = cluster.kubeConfig().makeApiClient(CustomObjectsApi);
    veleroNs = await cluster.newNamespace('velero');
    paramNs = await cluster.newNamespace('vmgroup-backup');
    const cm = JSON.parse(
      readFileSync(new URL('../restricted-resources.configmap.json', import.meta.url), 'utf8'),
    ) as KubeObject;
    await admin.create({ ...cm, metadata: { ...cm.metadata, namespace: paramNs } });
    for (const obj of admissionPolicyObjects(paramNs)) {
      // Other suites share this control plane: bind only to this suite's namespace.
      if (obj.kind === 'ValidatingAdmissionPolicyBinding') {
        (obj.spec as Record<string, unknown>).matchResources = {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': veleroNs } },
        };
      }
      const created = await admin.create(obj as KubeObject);
      applied.push({ kind: created.kind, name: created.metadata.name });
    }
    // Policies and bindings load asynchronously, each on its own; wait until a known-bad Backup
    // and a known-bad Restore are both rejected.
    const deadline = Date.now() + 60_000;
    for (const kind of ['Backup', 'Restore'] as const) {
      while ((await tryCreate(kind, { includedResources: ['machines'] })) === undefined) {
        if (Date.now() > deadline)
          throw new Error(`the ${kind} admission policy never took effect`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  });

  after(async () => {
    for (const { kind, name } of applied.reverse()) {
      await admin.delete({ apiVersion: 'admissionregistration.k8s.io/v1', kind, name });
    }
  });

  const restricted = parseRestrictedList(defaultRestrictedData()).entries;
  for (const c of cases('apps')) {
    it(`${c.reject ? 'rejects' : 'admits'} ${c.kind === 'Restore' ? 'a Restore: ' : ''}${c.name}`, async () => {
      const spec = JSON.parse(
        JSON.stringify(c.spec).replaceAll('"apps"', JSON.stringify(veleroNs)),
      ) as FilterSpec;
      const message = await tryCreate(c.kind, spec);
      if (c.reject) {
        assert.ok(message, 'expected a rejection');
        assert.match(message, /denied request: /);
        assert.match(message, c.reject);
      } else {
        assert.equal(message, undefined);
      }
      // The function and the policy decide the same way where both can judge.
      const findings =
        c.kind === 'Backup'
          ? decide(spec, c.kind, restricted).findings
          : decide(spec, c.kind, restricted, [], { backup: {} }).findings.filter(
              (f) => f.reason === 'included-by-name' || f.reason === 'without-group-closure',
            );
      assert.equal(findings.length > 0, c.reject !== undefined, JSON.stringify(findings));
    });
  }

  it('names exactly the resources the function reports', async () => {
    const spec: FilterSpec = {
      includedNamespaces: [veleroNs],
      includeClusterResources: true,
      excludedResources: ['*.cluster.x-k8s.io', '*.cert-manager.io'],
    };
    const message = (await tryCreate('Backup', spec)) ?? '';
    const listed =
      /restricted resources: ([^ ]+(?:, [^ ]+)*)\. Exclude/.exec(message)?.[1]?.split(', ') ?? [];
    const fromFunction = decide(spec, 'Backup', restricted).findings.map((f) => f.resource);
    assert.deepEqual([...listed].sort(), [...fromFunction].sort());
  });

  it('names exactly the resources a Restore names that the function reports (full Backup)', async () => {
    const spec: FilterSpec = {
      includeClusterResources: true,
      includedResources: ['*.cert-manager.io', 'machines', 'pods'],
      excludedResources: ['orders.acme.cert-manager.io'],
    };
    const message = (await tryCreate('Restore', spec)) ?? '';
    const listed =
      /restricted resources: ([^ ]+(?:, [^ ]+)*)\. Exclude/.exec(message)?.[1]?.split(', ') ?? [];
    const fromFunction = decide(spec, 'Restore', restricted, [], { backup: {} }).findings.map(
      (f) => f.resource,
    );
    assert.ok(listed.includes('clusterissuers.cert-manager.io'), message);
    assert.deepEqual([...listed].sort(), [...fromFunction].sort());
  });

  it('follows the restricted-list ConfigMap', async () => {
    await admin.patch(
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: paramNs, name: GUARD_CONFIGMAP },
      { type: 'merge', body: { data: { 'machines.cluster.x-k8s.io': 'false' } } },
    );
    const deadline = Date.now() + 30_000;
    while (
      (await tryCreate('Backup', {
        includedNamespaces: [veleroNs],
        includedResources: ['machines', 'pods'],
      })) !== undefined
    ) {
      assert.ok(Date.now() < deadline, 'a switched-off entry is still enforced');
      await new Promise((r) => setTimeout(r, 250));
    }
  });
});
