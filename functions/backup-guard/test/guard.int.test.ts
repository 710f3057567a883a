// The backup guard on the real control plane, through the real runtime server, as a service
// account granted exactly GUARD_RULES (functions/backup-guard/rbac.ts, which the deploy config
// must equal).
import assert from 'node:assert/strict';
import { testCluster } from '../../../test/harness/index.ts';
import type { TestCluster } from '../../../test/harness/index.ts';
import { rbacFromRules, serveAsServiceAccount } from '../../../test/support/serve-as-account.ts';
import { apiServerEvent, pingEvent, postEvent } from '../../../test/support/cloudevents.ts';
import type { RunningServer } from '../../runtime/http/server.ts';
import type { Kube, KubeObject } from '../../runtime/kube/kube-api.ts';
import {
  ANNOTATION_GUARD_REPORTED,
  EVENT_TYPE_GUARD_RESTRICTED,
  GUARD_CONFIGMAP,
  REASON_GUARD_RESTRICTED,
} from '../../vmgroup/names.ts';
import { createKube } from '../../runtime/kube/kube.ts';
import { createLogger } from '../../runtime/process/logger.ts';
import { DISCOVERY_TTL_MS, cachedResolver } from '../discovery.ts';
import backupGuard from '../index.ts';
import { GUARD_RULES } from '../rbac.ts';
import type { GuardRestrictedResources } from '../../../schemas/generated/events/guard-restricted-resources.ts';

describe('backup-guard on the control plane', function () {
  let cluster: TestCluster;
  let admin: Kube;
  let server: RunningServer;
  let veleroNs: string;
  let productNs: string;
  let appNs: string;
  let n = 0;

  before(async function () {
    cluster = await testCluster();
    ({ admin, server, veleroNs, productNs, appNs } = await serveAsServiceAccount(
      cluster,
      backupGuard as never,
      {
        rbac: rbacFromRules(GUARD_RULES),
        env: ({ productNs, veleroNs }) => ({
          GUARD_CONFIGMAP_NAMESPACE: productNs,
          VELERO_NAMESPACE: veleroNs,
        }),
      },
    ));
  });

  after(async () => server?.close());

  const create = async (
    kind: 'Backup' | 'Restore',
    spec: Record<string, unknown>,
    status?: Record<string, unknown>,
  ) =>
    admin.create<KubeObject>({
      apiVersion: 'velero.io/v1',
      kind,
      metadata: { name: `${kind.toLowerCase()}-${++n}`, namespace: veleroNs },
      spec: kind === 'Restore' ? { backupName: 'b', ...spec } : spec,
      ...(status ? { status } : {}),
    });
  const deliver = (obj: KubeObject, verb: 'add' | 'update' = 'add') =>
    postEvent(server.url, apiServerEvent(verb, obj));
  const live = (obj: KubeObject) =>
    admin.get<KubeObject>({
      apiVersion: 'velero.io/v1',
      kind: obj.kind,
      namespace: veleroNs,
      name: obj.metadata.name,
    });
  /** Runs `fn` with the guard's restricted-list ConfigMap holding `data`, removed afterwards. */
  const withRestrictedList = async (
    data: Record<string, string>,
    fn: () => Promise<void>,
  ): Promise<void> => {
    const ref = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: productNs,
      name: GUARD_CONFIGMAP,
    };
    await admin.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: ref.name, namespace: ref.namespace },
      data,
    });
    try {
      await fn();
    } finally {
      await admin.delete(ref);
    }
  };
  const warnings = async (obj: KubeObject) =>
    (
      await admin.list<KubeObject & { reason?: string; message?: string; count?: number }>(
        'v1',
        'Event',
        veleroNs,
        {
          fieldSelector: `involvedObject.name=${obj.metadata.name}`,
        },
      )
    ).items.filter((e) => e.reason === REASON_GUARD_RESTRICTED);
  const replyData = (res: Awaited<ReturnType<typeof deliver>>) => {
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.reply?.type, EVENT_TYPE_GUARD_RESTRICTED);
    return res.reply?.data as GuardRestrictedResources;
  };

  it('accepts the product backup (namespace + membership selector) silently', async () => {
    const b = await create('Backup', {
      includedNamespaces: [appNs],
      labelSelector: { matchLabels: { 'member.vmgroup-backup.dev/app': 'VirtualMachineGroup' } },
    });
    const res = await deliver(b);
    assert.equal(res.status, 204);
    assert.equal((await live(b))?.metadata.annotations?.[ANNOTATION_GUARD_REPORTED], undefined);
    assert.deepEqual(await warnings(b), []);
  });

  it('warns once about explicitly included restricted resources, with the remedy', async () => {
    const b = await create('Backup', {
      includedNamespaces: [appNs],
      includedResources: ['machines.cluster.x-k8s.io', 'pods'],
    });
    const data = replyData(await deliver(b));
    assert.deepEqual(data.findings, [
      { resource: 'machines.cluster.x-k8s.io', scopes: ['Namespaced'], reason: 'included-by-name' },
    ]);
    assert.deepEqual(data.avoidWith, [
      {
        field: 'spec.includedResources',
        flag: '--include-resources',
        action: 'remove',
        values: ['machines.cluster.x-k8s.io'],
      },
    ]);
    assert.deepEqual(data.object, {
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      namespace: veleroNs,
      name: b.metadata.name,
      uid: b.metadata.uid,
    });
    const events = await warnings(b);
    assert.equal(events.length, 1);
    assert.match(
      events[0]?.message ?? '',
      /machines\.cluster\.x-k8s\.io \(included-by-name\).*--include-resources \(remove\)/,
    );
    assert.ok((await live(b))?.metadata.annotations?.[ANNOTATION_GUARD_REPORTED]);

    // Duplicated and later update events: nothing new.
    for (const verb of ['add', 'update', 'update'] as const)
      assert.equal((await deliver(b, verb)).status, 204);
    const after = await warnings(b);
    assert.equal(after.length, 1);
    assert.equal(after[0]?.count, 1);
  });

  it('warns about wildcard scope: a plain namespace backup', async () => {
    const b = await create('Backup', { includedNamespaces: [appNs] });
    const data = replyData(await deliver(b));
    const resources = data.findings.map((f) => f.resource);
    assert.ok(resources.includes('clusters.cluster.x-k8s.io'));
    assert.ok(!resources.includes('clusterissuers.cert-manager.io'));
    assert.ok(data.findings.every((f) => f.reason === 'wildcard-scope'));
    assert.equal(data.avoidWith[0]?.flag, '--exclude-namespace-scoped-resources');
  });

  it('warns about cluster-scoped inclusion', async () => {
    const b = await create('Backup', {
      includedNamespaces: [appNs],
      includeClusterResources: true,
      excludedResources: ['*.cluster.x-k8s.io'],
    });
    const data = replyData(await deliver(b));
    const cluster = data.findings
      .filter((f) => f.reason === 'cluster-scoped-inclusion')
      .map((f) => f.resource);
    assert.ok(cluster.includes('clusterissuers.cert-manager.io'));
    assert.ok(cluster.includes('storagepools.cns.vmware.com'));
    assert.ok(
      !data.findings.some((f) => f.resource.endsWith('.cluster.x-k8s.io')),
      'the exclusion glob is honoured',
    );
  });

  it('warns about a Restore of VMs without their group closure', async () => {
    const r = await create('Restore', {
      includedNamespaces: [appNs],
      includedResources: ['virtualmachines'],
    });
    const data = replyData(await deliver(r));
    assert.deepEqual(data.findings, [
      {
        resource: 'virtualmachines.vmoperator.vmware.com',
        scopes: ['Namespaced'],
        reason: 'without-group-closure',
      },
    ]);
    assert.equal(data.object.kind, 'Restore');
    assert.equal((await warnings(r)).length, 1);
  });

  describe('a Restore is judged with the Backup it restores from', () => {
    const restoreOf = (backup: KubeObject, spec: Record<string, unknown> = {}) =>
      create('Restore', {
        backupName: backup.metadata.name,
        // The README's restore: `--resource-modifier-configmap`, no resource filter.
        resourceModifier: { kind: 'ConfigMap', name: 'vmgroup-backup-restore-modifiers' },
        ...spec,
      });

    it('the README restore of a membership-label backup is clean', async () => {
      const b = await create(
        'Backup',
        {
          includedNamespaces: [appNs],
          labelSelector: {
            matchLabels: { 'member.vmgroup-backup.dev/app': 'VirtualMachineGroup' },
          },
        },
        { phase: 'Completed' },
      );
      const r = await restoreOf(b);
      for (const verb of ['add', 'update'] as const)
        assert.equal((await deliver(r, verb)).status, 204);
      assert.deepEqual(await warnings(r), []);
      assert.equal((await live(r))?.metadata.annotations?.[ANNOTATION_GUARD_REPORTED], undefined);
    });

    it('an unfiltered restore of a full-namespace backup reports what the backup holds', async () => {
      const b = await create('Backup', { includedNamespaces: [appNs] }, { phase: 'Completed' });
      const r = await restoreOf(b);
      const data = replyData(await deliver(r));
      const resources = data.findings.map((f) => f.resource);
      assert.ok(resources.includes('clusters.cluster.x-k8s.io'));
      assert.ok(
        !resources.includes('clusterissuers.cert-manager.io'),
        'the backup holds no cluster-scoped types',
      );
      assert.ok(data.findings.every((f) => f.reason === 'wildcard-scope'));
      assert.equal(data.avoidWith[0]?.flag, '--exclude-resources');
      assert.doesNotMatch(data.message, /not found/);
      assert.equal((await warnings(r)).length, 1);
    });

    it('a restore filter that narrows a wide backup is clean', async () => {
      const b = await create('Backup', {}, { phase: 'Completed' });
      const r = await restoreOf(b, {
        includedNamespaces: [appNs],
        includedResources: ['pods', 'services'],
      });
      assert.equal((await deliver(r)).status, 204);
      assert.deepEqual(await warnings(r), []);
    });

    it('a missing backup: judged alone, and the message says so', async () => {
      const r = await create('Restore', { backupName: `gone-${++n}` });
      const data = replyData(await deliver(r));
      assert.ok(data.findings.some((f) => f.resource === 'clusters.cluster.x-k8s.io'));
      assert.match(data.message, /^Backup gone-\d+ not found: judged by the Restore's own filters/);
      assert.match((await warnings(r))[0]?.message ?? '', /not found/);
    });

    it('a restore from a schedule is judged once Velero names its Backup', async () => {
      const b = await create('Backup', { includedNamespaces: [appNs] }, { phase: 'Completed' });
      const r = await admin.create<KubeObject>({
        apiVersion: 'velero.io/v1',
        kind: 'Restore',
        metadata: { name: `restore-${++n}`, namespace: veleroNs },
        spec: { scheduleName: 'nightly' },
      });
      assert.equal((await deliver(r)).status, 204);
      assert.deepEqual(await warnings(r), []);
      // What Velero's restore controller writes when it validates the Restore.
      const resolved = await admin.patch<KubeObject>(
        { apiVersion: 'velero.io/v1', kind: 'Restore', namespace: veleroNs, name: r.metadata.name },
        { type: 'merge', body: { spec: { backupName: b.metadata.name } } },
      );
      const data = replyData(await deliver(resolved, 'update'));
      assert.ok(data.findings.some((f) => f.resource === 'clusters.cluster.x-k8s.io'));
    });
  });

  it('ignores finished Backups and deleted ones', async () => {
    const done = await create(
      'Backup',
      { includedResources: ['machines'] },
      { phase: 'Completed' },
    );
    assert.equal((await deliver(done)).status, 204);
    const gone = await create('Backup', { includedResources: ['machines'] });
    await admin.delete({
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      namespace: veleroNs,
      name: gone.metadata.name,
    });
    assert.equal((await deliver(gone)).status, 204);
  });

  it('flags plugin-internal objects that lost their exclude label', async () => {
    const upload = (name: string, labels: Record<string, string>) =>
      admin.create<KubeObject>({
        apiVersion: 'datamover.cnsdp.vmware.com/v1alpha1',
        kind: 'Upload',
        metadata: { name, namespace: veleroNs, labels },
        spec: { snapshotID: 'ivd:1', snapshotReference: `${appNs}/s` },
      });
    await upload('labelled', { 'velero.io/exclude-from-backup': 'true' });
    await upload('unlabelled', {});
    const b = await create('Backup', {
      includedNamespaces: [veleroNs],
      includedNamespaceScopedResources: ['uploads.datamover.cnsdp.vmware.com', 'pods'],
    });
    const data = replyData(await deliver(b));
    assert.deepEqual(data.findings, []);
    assert.deepEqual(data.unlabelledInternal, [
      { resource: 'uploads.datamover.cnsdp.vmware.com', namespace: veleroNs, name: 'unlabelled' },
    ]);
    assert.match(
      (await warnings(b))[0]?.message ?? '',
      /lost velero\.io\/exclude-from-backup: uploads\.datamover\.cnsdp\.vmware\.com .*\/unlabelled/,
    );
  });

  it('reads the restricted list from its ConfigMap (plugin true/false format)', async () => {
    await withRestrictedList(
      {
        'clusters.cluster.x-k8s.io': 'true',
        'machines.cluster.x-k8s.io': 'false',
        'widgets.example.com': 'Namespaced',
      },
      async () => {
        const b = await create('Backup', { includedNamespaces: [appNs] });
        const data = replyData(await deliver(b));
        assert.deepEqual(
          data.findings.map((f) => `${f.resource}:${f.scopes.join('+')}`),
          ['clusters.cluster.x-k8s.io:Namespaced', 'widgets.example.com:Namespaced'],
        );
      },
    );
  });

  it('reports again when the findings change', async () => {
    const b = await create('Backup', {
      includedNamespaces: [appNs],
      includedResources: ['machines'],
    });
    replyData(await deliver(b));
    const updated = await admin.patch<KubeObject>(
      { apiVersion: 'velero.io/v1', kind: 'Backup', namespace: veleroNs, name: b.metadata.name },
      { type: 'merge', body: { spec: { includedResources: ['machinesets'] } } },
    );
    const data = replyData(await deliver(updated, 'update'));
    assert.deepEqual(
      data.findings.map((f) => f.resource),
      ['machinesets.cluster.x-k8s.io'],
    );
    assert.equal((await warnings(b)).length, 2);
    // Out of order: the stale add event (old spec) arrives last; the live object decides.
    assert.equal((await deliver(b, 'add')).status, 204);
    assert.equal((await warnings(b)).length, 2);
  });
  describe('names as users type them, resolved through the real API discovery', () => {
    const VM = 'virtualmachines.vmoperator.vmware.com';
    const VMG = 'virtualmachinegroups.vmoperator.vmware.com';

    it("discovers as the guard's own identity (no RBAC of its own), once per refresh period", async () => {
      const calls: string[] = [];
      const sa = createKube(await cluster.kubeconfigForServiceAccount(productNs, 'backup-guard'), {
        kubeCall: (verb, _resource, outcome) => void calls.push(`${verb}:${outcome}`),
      });
      let now = Date.now();
      const resolver = cachedResolver(sa, { now: () => new Date(now) }, createLogger('silent'));
      const resolve = await resolver();
      // The shortNames and singulars of the CRDs the harness installed, and core ones.
      const table: Array<[string, string, string]> = [
        ['vm', VM, 'Namespaced'],
        ['vmg', VMG, 'Namespaced'],
        // Velero's copy of the shortcut expander keeps the group as typed (none), so Knative's
        // `ksvc` means whichever `services` comes first: the core one.
        ['ksvc', 'services', 'Namespaced'],
        ['ksvc.serving.knative.dev', 'services.serving.knative.dev', 'Namespaced'],
        ['virtualmachine', VM, 'Namespaced'],
        ['VirtualMachineGroup', VMG, 'Namespaced'],
        ['virtualmachines.vmoperator', VM, 'Namespaced'],
        ['pvc', 'persistentvolumeclaims', 'Namespaced'],
        ['persistentvolumeclaims.', 'persistentvolumeclaims', 'Namespaced'],
        ['secret', 'secrets', 'Namespaced'],
        ['cm', 'configmaps', 'Namespaced'],
        ['ns', 'namespaces', 'Cluster'],
        ['backup', 'backups.velero.io', 'Namespaced'],
        ['bsl', 'backupstoragelocations.velero.io', 'Namespaced'],
      ];
      for (const [item, resource, scope] of table)
        assert.deepEqual(resolve(item), { resource, scope }, item);
      assert.equal(resolve('machines'), undefined, 'Cluster API is not installed here');
      await resolver();
      assert.deepEqual(calls, ['discover:success', 'discover:success'], '/api and /apis, once');
      now += DISCOVERY_TTL_MS;
      await resolver();
      assert.equal(calls.length, 4, 'refreshed after the period');
    });

    const pairs: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
      [
        'VMs without their closure',
        { includedResources: ['vm', 'pod'] },
        { includedResources: [VM, 'pods'] },
      ],
      [
        'product kinds excluded from a wide backup by short name',
        { excludedResources: ['vm', 'VirtualMachineGroup'] },
        { excludedResources: [VM, VMG] },
      ],
      [
        'scoped filters with a singular, a kind and a trailing dot',
        {
          includedNamespaceScopedResources: [
            'virtualmachinegroup',
            'Secret',
            'persistentvolumeclaims.',
          ],
        },
        { includedNamespaceScopedResources: [VMG, 'secrets', 'persistentvolumeclaims'] },
      ],
    ];
    for (const [name, short, full] of pairs) {
      it(`a Backup naming resources by short name is judged like one using full names: ${name}`, async () => {
        const a = await create('Backup', { includedNamespaces: [appNs], ...short });
        const b = await create('Backup', { includedNamespaces: [appNs], ...full });
        const [byShort, byFull] = [replyData(await deliver(a)), replyData(await deliver(b))];
        assert.ok(byFull.findings.length > 0);
        assert.deepEqual(byShort.findings, byFull.findings);
        assert.equal(byShort.selection, byFull.selection);
        assert.equal(byShort.filterStyle, byFull.filterStyle);
        // A remedy that removes a name removes it as the user wrote it.
        const removed = (d: GuardRestrictedResources) =>
          d.avoidWith.filter((r) => r.action === 'remove').flatMap((r) => r.values);
        const shortList = Object.values(short)[0] as string[];
        for (const value of removed(byShort)) assert.ok(shortList.includes(value), value);
        assert.equal(removed(byShort).length, removed(byFull).length);
      });
    }

    it('a restricted kind named by short name (the harness serves only VMs and groups of VM Operator, so the list names a Velero kind)', async () => {
      await withRestrictedList({ 'backupstoragelocations.velero.io': 'Namespaced' }, async () => {
        const a = await create('Backup', {
          includedNamespaces: [appNs],
          includedResources: ['bsl', 'pods'],
        });
        const b = await create('Backup', {
          includedNamespaces: [appNs],
          includedResources: ['backupstoragelocations.velero.io', 'pods'],
        });
        const [byShort, byFull] = [replyData(await deliver(a)), replyData(await deliver(b))];
        const expected = [
          {
            resource: 'backupstoragelocations.velero.io',
            scopes: ['Namespaced'],
            reason: 'included-by-name',
          },
        ];
        assert.deepEqual(byFull.findings, expected);
        assert.deepEqual(byShort.findings, expected);
        assert.deepEqual(byShort.avoidWith[0]?.values, ['bsl']);
      });
    });

    it('the product backup written with short names is clean, as with full names', async () => {
      const b = await create('Backup', {
        includedNamespaces: [appNs],
        includedResources: ['vm', 'vmg', 'secret', 'cm', 'pvc'],
        labelSelector: { matchLabels: { 'member.vmgroup-backup.dev/app': 'VirtualMachineGroup' } },
      });
      assert.equal((await deliver(b)).status, 204);
      assert.deepEqual(await warnings(b), []);
    });
  });

  describe('the periodic resync (its own Velero namespace, no events delivered)', () => {
    let tick: RunningServer;
    let ns: { veleroNs: string; productNs: string; appNs: string };
    before(async () => {
      const served = await serveAsServiceAccount(cluster, backupGuard as never, {
        rbac: rbacFromRules(GUARD_RULES),
        env: ({ veleroNs, productNs }) => ({
          GUARD_CONFIGMAP_NAMESPACE: productNs,
          VELERO_NAMESPACE: veleroNs,
        }),
      });
      tick = served.server;
      ns = served;
    });
    after(async () => tick?.close());

    const put = (
      kind: 'Backup' | 'Restore',
      name: string,
      spec: Record<string, unknown>,
      phase?: string,
    ) =>
      admin.create<KubeObject>({
        apiVersion: 'velero.io/v1',
        kind,
        metadata: { name, namespace: ns.veleroNs },
        spec,
        ...(phase ? { status: { phase } } : {}),
      });
    const warningsIn = async (name: string) =>
      (
        await admin.list<KubeObject & { reason?: string; count?: number }>(
          'v1',
          'Event',
          ns.veleroNs,
          { fieldSelector: `involvedObject.name=${name}` },
        )
      ).items.filter((e) => e.reason === REASON_GUARD_RESTRICTED);
    const reported = async (kind: string, name: string) =>
      (
        await admin.get<KubeObject>({
          apiVersion: 'velero.io/v1',
          kind,
          namespace: ns.veleroNs,
          name,
        })
      )?.metadata.annotations?.[ANNOTATION_GUARD_REPORTED];

    it('judges what no event announced, leaves finished ones alone, and reports once', async () => {
      const restricted = { includedNamespaces: [ns.appNs], includedResources: ['machines'] };
      await put('Backup', 'a-restricted', restricted);
      await put('Backup', 'b-done', restricted, 'Completed');
      await put('Backup', 'c-clean', {
        includedNamespaces: [ns.appNs],
        labelSelector: { matchLabels: { 'member.vmgroup-backup.dev/app': 'VirtualMachineGroup' } },
      });
      await put('Backup', 'd-wide', { includedNamespaces: [ns.appNs] }, 'Completed');
      await put('Restore', 'r-wide', { backupName: 'd-wide' }, 'InProgress');
      await put('Restore', 'r-schedule', { scheduleName: 'nightly' }, 'New');

      const first = await postEvent(tick.url, pingEvent());
      // One reply per HTTP answer: the first object reported (Backups first, by name).
      const data = replyData(first);
      assert.equal(data.object.name, 'a-restricted');
      assert.deepEqual(
        data.findings.map((f) => f.resource),
        ['machines.cluster.x-k8s.io'],
      );
      assert.equal((await warningsIn('a-restricted')).length, 1);
      assert.ok((await warningsIn('r-wide'))[0], 'the in-flight Restore is judged too');
      assert.ok(await reported('Restore', 'r-wide'));
      for (const quiet of ['b-done', 'c-clean', 'd-wide', 'r-schedule'])
        assert.deepEqual(await warningsIn(quiet), [], quiet);

      // Ticks are periodic: the next one finds nothing new.
      assert.equal((await postEvent(tick.url, pingEvent())).status, 204);
      for (const name of ['a-restricted', 'r-wide']) {
        const events = await warningsIn(name);
        assert.equal(events.length, 1, name);
        assert.equal(events[0]?.count, 1, name);
      }
    });

    it('brings a changed restricted list to the objects still in flight', async () => {
      await admin.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: GUARD_CONFIGMAP, namespace: ns.productNs },
        data: { 'machines.cluster.x-k8s.io': 'false', 'widgets.example.com': 'Namespaced' },
      });
      const before = await reported('Restore', 'r-wide');
      const data = replyData(await postEvent(tick.url, pingEvent()));
      // a-restricted now has no findings (nothing new to say); the wide Restore has new ones.
      assert.equal(data.object.name, 'r-wide');
      assert.deepEqual(
        data.findings.map((f) => f.resource),
        ['widgets.example.com'],
      );
      assert.notEqual(await reported('Restore', 'r-wide'), before);
      assert.equal((await warningsIn('r-wide')).length, 2);
      assert.equal((await warningsIn('a-restricted')).length, 1);
      assert.deepEqual(await warningsIn('b-done'), []);
    });
  });
});
