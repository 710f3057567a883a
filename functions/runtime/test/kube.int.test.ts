// The Kube adapter against the real kube-apiserver of the test plane (RBAC on).

import assert from 'node:assert/strict';
import { testCluster } from '../../../test/harness/index.ts';
import type { TestCluster } from '../../../test/harness/index.ts';
import { KubeApiError, createKube } from '../kube/kube.ts';
import type { Kube, KubeObject } from '../kube/kube-api.ts';
import { ConflictError, TransientError } from '../errors.ts';
import { schemaId } from '../schema/schema-files.ts';
import { startTestServer } from '../../../test/support/runtime.ts';
import { apiServerEvent, postEvent } from '../../../test/support/cloudevents.ts';
import { veleroBackup } from '../../../test/support/objects.ts';
import type { FunctionDefinition } from '../function.ts';

interface Call {
  verb: string;
  resource: string;
  outcome: string;
}

describe('Kube adapter on a real API server', function () {
  this.timeout(300_000);
  let cluster: TestCluster;
  let kube: Kube;
  let ns: string;
  const calls: Call[] = [];

  before(async () => {
    cluster = await testCluster();
    kube = createKube(
      cluster.kubeconfigPath,
      { kubeCall: (verb, resource, outcome) => calls.push({ verb, resource, outcome }) },
      { eventLabels: { 'velero.io/exclude-from-backup': 'true' } },
    );
    ns = await cluster.newNamespace('kube-adapter');
  });

  const configMap = (name: string, labels: Record<string, string> = {}): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns, labels },
    data: { 'user-data': '#cloud-config' },
  });

  it('get: an existing object, and undefined for a missing one', async () => {
    const created = await kube.create(configMap('present'));
    assert.equal(created.metadata.namespace, ns);
    const got = await kube.get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: ns,
      name: 'present',
    });
    assert.equal(got?.metadata.uid, created.metadata.uid);
    assert.equal(
      await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'absent' }),
      undefined,
    );
  });

  it('list: label selector, full objects (apiVersion/kind filled), a resourceVersion', async () => {
    await kube.create(configMap('member-a', { 'member.vmgroup-backup.dev/g': 'ConfigMap' }));
    await kube.create(configMap('member-b', { 'member.vmgroup-backup.dev/g': 'ConfigMap' }));
    const list = await kube.list('v1', 'ConfigMap', ns, {
      labelSelector: 'member.vmgroup-backup.dev/g',
    });
    assert.deepEqual(list.items.map((i) => i.metadata.name).sort(), ['member-a', 'member-b']);
    assert.ok(list.items.every((i) => i.apiVersion === 'v1' && i.kind === 'ConfigMap'));
    assert.match(list.resourceVersion, /^\d+$/);
  });

  it('list metadataOnly: names, labels and resourceVersions typed as the kind asked for, no data', async () => {
    const list = await kube.list('v1', 'ConfigMap', ns, {
      labelSelector: 'member.vmgroup-backup.dev/g',
      metadataOnly: true,
    });
    assert.deepEqual(list.items.map((i) => i.metadata.name).sort(), ['member-a', 'member-b']);
    for (const i of list.items) {
      assert.equal(i.apiVersion, 'v1');
      assert.equal(i.kind, 'ConfigMap');
      assert.equal(i.metadata.labels?.['member.vmgroup-backup.dev/g'], 'ConfigMap');
      assert.match(i.metadata.resourceVersion ?? '', /^\d+$/);
      assert.equal((i as { data?: unknown }).data, undefined, 'metadata only');
    }
  });

  it('CRDs are found by discovery (velero.io/v1 Backup)', async () => {
    const backup = veleroBackup('adapter-test') as unknown as KubeObject;
    delete (backup as { status?: unknown }).status;
    await kube.create({ ...backup, metadata: { name: 'adapter-test', namespace: ns } });
    const got = await kube.get({
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      namespace: ns,
      name: 'adapter-test',
    });
    assert.deepEqual((got?.spec as { includedNamespaces: string[] }).includedNamespaces, [
      'payments',
    ]);
  });

  it('patch: merge with the current resourceVersion succeeds, a stale one is a ConflictError', async () => {
    const cm = await kube.create(configMap('occ'));
    const patched = await kube.patch(
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'occ' },
      {
        type: 'merge',
        body: { metadata: { resourceVersion: cm.metadata.resourceVersion, labels: { a: 'b' } } },
      },
    );
    assert.equal(patched.metadata.labels?.a, 'b');
    await assert.rejects(
      kube.patch(
        { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'occ' },
        {
          type: 'merge',
          body: { metadata: { resourceVersion: cm.metadata.resourceVersion, labels: { a: 'c' } } },
        },
      ),
      ConflictError,
    );
    const json = await kube.patch(
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'occ' },
      { type: 'json', body: [{ op: 'add', path: '/metadata/annotations', value: { x: 'y' } }] },
    );
    assert.equal(json.metadata.annotations?.x, 'y');
  });

  it('patch metadataOnly: labelling a Secret never brings its data back', async () => {
    await kube.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'bootstrap', namespace: ns },
      stringData: { password: 'hunter2' },
    } as KubeObject);
    const answer = await kube.patch(
      { apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'bootstrap' },
      {
        type: 'merge',
        body: { metadata: { labels: { 'member.vmgroup-backup.dev/g': 'Secret' } } },
      },
      { metadataOnly: true },
    );
    assert.equal(answer.kind, 'PartialObjectMetadata');
    assert.equal(answer.metadata.labels?.['member.vmgroup-backup.dev/g'], 'Secret');
    assert.equal('data' in answer, false);
    assert.doesNotMatch(JSON.stringify(answer), /aHVudGVyMg|hunter2/);
  });

  it('delete: removes, and deleting again is not an error', async () => {
    await kube.create(configMap('doomed'));
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'doomed' };
    await kube.delete(ref);
    await kube.delete(ref);
    assert.equal(await kube.get(ref), undefined);
  });

  it('recordEvent: the same dedupeKey updates one Event; no key adds one each time', async () => {
    const involved = await kube.create(configMap('subject'));
    const record = {
      type: 'Warning' as const,
      reason: 'MissingMember',
      message: 'vm-3 is missing',
      dedupeKey: 'missing:vm-3',
    };
    await kube.recordEvent(involved, record);
    await kube.recordEvent(involved, { ...record, message: 'vm-3 is still missing' });
    await kube.recordEvent(involved, {
      type: 'Normal',
      reason: 'Labelled',
      message: 'labelled 3 objects',
    });
    await kube.recordEvent(involved, {
      type: 'Normal',
      reason: 'Labelled',
      message: 'labelled 3 objects',
    });
    const events = await kube.list<KubeObject & { reason: string; count: number; message: string }>(
      'v1',
      'Event',
      ns,
      {
        fieldSelector: `involvedObject.name=subject`,
      },
    );
    const missing = events.items.filter((e) => e.reason === 'MissingMember');
    assert.equal(missing.length, 1);
    assert.equal(missing[0]?.count, 2);
    assert.equal(missing[0]?.message, 'vm-3 is still missing');
    assert.equal(missing[0]?.metadata.labels?.['velero.io/exclude-from-backup'], 'true');
    assert.equal(events.items.filter((e) => e.reason === 'Labelled').length, 2);
  });

  it('errors: forbidden is a KubeApiError with status 403 (not transient); a closed port is transient', async () => {
    const path = await cluster.kubeconfigForServiceAccount(ns, 'nobody');
    const nobody = createKube(path);
    await assert.rejects(
      nobody.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'present' }),
      (err: unknown) =>
        err instanceof KubeApiError && err.status === 403 && !(err instanceof TransientError),
    );
    const closed = createKube({ server: 'https://127.0.0.1:9' }, undefined, { attempts: 1 });
    await assert.rejects(
      closed.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'x' }),
      TransientError,
    );
  });

  it('a client-node KubeConfig works as well (exec/auth-provider kubeconfigs go this way)', async () => {
    const viaLibrary = createKube(cluster.kubeConfig());
    const got = await viaLibrary.get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: ns,
      name: 'present',
    });
    assert.equal(got?.metadata.name, 'present');
  });

  it('counts calls by verb, resource and outcome', () => {
    const seen = (verb: string, resource: string, outcome: string) =>
      calls.some((c) => c.verb === verb && c.resource === resource && c.outcome === outcome);
    assert.ok(seen('get', 'configmaps', 'success'));
    assert.ok(seen('get', 'configmaps', 'not_found'));
    assert.ok(seen('patch', 'configmaps', 'conflict'));
    assert.ok(seen('create', 'backups.velero.io', 'success'));
    assert.ok(seen('patch', 'secrets', 'success'));
  });

  it('through the runtime: a conflict that persists after retries answers 503', async () => {
    const def: FunctionDefinition<Kube> = {
      name: 'stale-writer',
      bindings: [
        {
          type: 'dev.knative.apiserver.resource.add',
          kind: 'Backup',
          dataSchema: schemaId('objects/backup'),
        },
      ],
      deps: (ctx) => ctx.kube,
      // Always writes with a resourceVersion that is no longer current.
      handle: async (_event, k) => {
        await k.patch(
          { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'occ' },
          {
            type: 'merge',
            body: { metadata: { resourceVersion: '1', labels: { stale: 'write' } } },
          },
        );
      },
    };
    const server = await startTestServer(def, { kube });
    try {
      const before = calls.filter((c) => c.verb === 'patch' && c.outcome === 'conflict').length;
      const res = await postEvent(server.url, apiServerEvent('add', veleroBackup()));
      assert.equal(res.status, 503);
      assert.equal(
        calls.filter((c) => c.verb === 'patch' && c.outcome === 'conflict').length - before,
        3,
      );
    } finally {
      await server.close();
    }
  });
});
