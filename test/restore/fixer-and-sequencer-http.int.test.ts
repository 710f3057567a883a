// Both restore functions behind the real runtime: binary-mode CloudEvents over HTTP, validated,
// handled as their least-privilege service accounts, replies as binary-mode CloudEvents.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { testCluster, type TestCluster } from '../harness/index.ts';
import { apiServerEvent, pingEvent, postEvent } from '../support/cloudevents.ts';
import restoreFixer from '../../functions/restore-fixer/index.ts';
import { FIXER_RULES } from '../../functions/restore-fixer/rbac.ts';
import { dirtyPvc } from '../../functions/restore-fixer/test/dirty-objects.ts';
import { kubeAs } from '../harness/identity.ts';
import { restoreObject, veleroCreate } from '../../functions/velero/test/velero-create.ts';
import { createKube } from '../../functions/runtime/kube/kube.ts';
import type { Kube, KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import { createLogger } from '../../functions/runtime/process/logger.ts';
import { startServer, type RunningServer } from '../../functions/runtime/http/server.ts';
import { EVENT_SOURCE, RESOURCE_MODIFIER_CONFIGMAP } from '../../functions/vmgroup/names.ts';
import {
  asKube,
  offerBuilderTarget,
  vm,
  vmg,
  vmMember,
} from '../../functions/vmgroup/test/builders.ts';
import restoreSequencer from '../../functions/restore-sequencer/index.ts';
import { SEQUENCER_RULES } from '../../functions/restore-sequencer/rbac.ts';
import { PRODUCT } from '../../functions/product.ts';

describe('restore functions over HTTP (control plane)', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let admin: Kube;
  let veleroNs: string;
  let fixer: RunningServer;
  let sequencer: RunningServer;

  before(async () => {
    cluster = await testCluster();
    admin = createKube(cluster.kubeconfigPath);
    veleroNs = await cluster.newNamespace('velero');
    const ctx = (kube: Kube) => ({
      kube,
      clock: { now: () => new Date() },
      logger: createLogger('silent'),
      env: { VELERO_NAMESPACE: veleroNs, RESTORE_MAX_WAIT_SECONDS: '5' },
    });
    fixer = await startServer(restoreFixer as never, {
      port: 0,
      host: '127.0.0.1',
      product: PRODUCT,
      ctx: ctx(await kubeAs(cluster, 'restore-fixer', FIXER_RULES)),
    });
    sequencer = await startServer(restoreSequencer as never, {
      port: 0,
      host: '127.0.0.1',
      product: PRODUCT,
      ctx: ctx(await kubeAs(cluster, 'restore-sequencer', SEQUENCER_RULES)),
    });
  });

  after(async () => {
    await fixer?.close();
    await sequencer?.close();
  });

  it('a staged group: group-ready reply, its continuation sleeps for the delay, group-released reply', async () => {
    const namespace = await cluster.newNamespace('http-seq');
    await offerBuilderTarget(admin, namespace);
    const restore = `http-${randomUUID().slice(0, 6)}`;
    await admin.create(
      restoreObject(restore, veleroNs, {
        backupName: 'b',
        resourceModifier: { kind: 'configmap', name: RESOURCE_MODIFIER_CONFIGMAP },
      }),
    );
    const item = { restore, backup: 'b', namespace };
    await veleroCreate(
      admin,
      asKube(
        vmg('app', {
          powerState: 'PoweredOn',
          bootOrder: [
            [vmMember('a'), vmMember('off')],
            { members: [vmMember('b')], powerOnDelay: '1s' },
          ],
        }),
      ),
      item,
    );
    await veleroCreate(
      admin,
      asKube(vm('off', { groupName: 'app', powerState: 'PoweredOff' })),
      item,
    );
    await veleroCreate(admin, asKube(vm('b', { groupName: 'app' })), item);
    const last = await veleroCreate(admin, asKube(vm('a', { groupName: 'app' })), item);

    const first = await postEvent(sequencer.url, apiServerEvent('add', last));
    assert.equal(first.status, 200);
    assert.equal(first.headers['ce-type'], 'dev.vmgroup-backup.restore.group-ready');
    assert.equal(first.headers['ce-source'], EVENT_SOURCE);
    assert.equal(
      first.headers['ce-dataschema'],
      'https://vmgroup-backup.dev/schemas/events/restore-group-ready.schema.json',
    );
    assert.equal(first.headers['ce-subject'], `namespaces/${namespace}/virtualmachinegroups/app`);

    // The Broker delivers the reply back (the Trigger on the sequencer's own types).
    const second = await postEvent(sequencer.url, { ...first.reply!, id: randomUUID() });
    assert.equal(second.headers['ce-type'], 'dev.vmgroup-backup.restore.group-released');
    const { readyAt, releasedAt } = second.body as { readyAt: string; releasedAt: string };
    assert.ok(
      Date.parse(releasedAt) - Date.parse(readyAt) >= 1000,
      'the continuation slept until stage 2 was due',
    );
    const b = await admin.get<{ spec: { powerState: string } } & KubeObject>({
      apiVersion: 'vmoperator.vmware.com/v1alpha5',
      kind: 'VirtualMachine',
      namespace,
      name: 'b',
    });
    assert.equal(b?.spec.powerState, 'PoweredOn');
    // A tick (cluster-wide: it may act on other tests' restores) leaves this finished group alone.
    assert.ok((await postEvent(sequencer.url, pingEvent())).status < 300);
    const again = await admin.get<KubeObject>({
      apiVersion: 'vmoperator.vmware.com/v1alpha5',
      kind: 'VirtualMachine',
      namespace,
      name: 'b',
    });
    assert.equal(again?.metadata.resourceVersion, b?.metadata.resourceVersion);
  });

  it('the fixer cleans a restored PVC and answers 204', async () => {
    const namespace = await cluster.newNamespace('http-fix');
    const created = await veleroCreate(admin, dirtyPvc('disk'), {
      restore: 'r-http',
      backup: 'b',
      namespace,
    });
    const res = await postEvent(fixer.url, apiServerEvent('add', created));
    assert.equal(res.status, 204);
    const after = await admin.get({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      namespace,
      name: 'disk',
    });
    assert.ok(
      !Object.keys(after!.metadata.annotations ?? {}).some((k) =>
        k.startsWith('cns.vmware.com/usedby-vm-'),
      ),
    );
  });

  it('rejects an event whose object breaks the schema with 422-class problem, before any API call', async () => {
    const bad = apiServerEvent('add', {
      apiVersion: 'vmoperator.vmware.com/v1alpha5',
      kind: 'VirtualMachine',
      metadata: { name: 'x', namespace: 'y' },
      spec: { powerState: 'Sideways' },
    });
    const res = await postEvent(sequencer.url, bad);
    assert.ok(res.status >= 400 && res.status < 500, String(res.status));
  });
});
