// The labeler on the real control plane, through the real HTTP server, with real
// ApiServerSource-shaped events, acting as a service account bound to exactly LABELER_RULES.

import assert from 'node:assert/strict';
import type { KubeObject } from '../../runtime/kube/kube-api.ts';
import { loadValidators } from '../../runtime/schema/schema-source.ts';
import { violation } from '../../runtime/schema/validation.ts';
import { apiServerEvent, pingEvent, postEvent } from '../../../test/support/cloudevents.ts';
import {
  ANNOTATION_BACKUP_CLOSURE,
  ANNOTATION_CAPTURED_POWER_STATE,
  ANNOTATION_LABELLED_SECRETS,
  ANNOTATION_MEMBER_LABEL_KEY,
  EVENT_TYPE_BACKUP_EXPANDED,
  REASON_BACKUP_INCOMPLETE,
  SEED_GROUP_LABEL,
  memberLabelKey,
} from '../../vmgroup/names.ts';
import {
  asKube,
  bootstraps,
  configMap,
  encryptionClass,
  groupFixture,
  groupMember,
  pvc,
  pvcVolume,
  resourcePolicy,
  secret,
  vm,
  vmg,
  vmMember,
  vmService,
} from '../../vmgroup/test/builders.ts';
import { parseClosureRecord } from '../../vmgroup/closure-record.ts';
import type { BackupExpanded } from '../../../schemas/generated/events/backup-expanded.ts';
import { EXPANDED_SCHEMA } from '../handler.ts';
import { createAll, labelerEnv, labelsOn, ours, serveLabeler } from './support.ts';
import type { LabelerEnv } from './support.ts';

const V5 = 'vmoperator.vmware.com/v1alpha5';
const key = memberLabelKey;

describe('backup-labeler on the control plane', function () {
  let env: LabelerEnv;
  let server: { url: string; close(): Promise<void> };
  /** How far the function's clock runs ahead of real time (to age what it remembers). */
  let clockAheadMs = 0;

  before(async function () {
    env = await labelerEnv();
    server = await serveLabeler(env.kube, { now: () => new Date(Date.now() + clockAheadMs) });
  });
  after(async () => server?.close());

  async function deliver(
    verb: 'add' | 'update' | 'delete',
    obj: KubeObject,
  ): Promise<Awaited<ReturnType<typeof postEvent>>> {
    const res = await postEvent(server.url, apiServerEvent(verb, obj));
    assert.ok(res.status < 300, `status ${res.status}: ${JSON.stringify(res.body)}`);
    return res;
  }

  const get = async (
    ns: string,
    apiVersion: string,
    kind: string,
    name: string,
  ): Promise<KubeObject> => {
    const o = await env.admin.get({ apiVersion, kind, namespace: ns, name });
    assert.ok(o, `${kind} ${name}`);
    return o;
  };

  it('application objects: the selecting service, named policy and encryption class are labelled; a link that goes away is unlabelled', async () => {
    const ns = await env.cluster.newNamespace('lab-apps');
    const created = await createAll(env.admin, ns, [
      asKube(vmg('shop', { bootOrder: [[vmMember('web')]] })),
      asKube(
        vm('web', {
          groupName: 'shop',
          labels: { app: 'shop' },
          spec: {
            reserved: { resourcePolicyName: 'shop-rp' },
            crypto: { encryptionClassName: 'shop-ec' },
          },
        }),
      ),
      vmService('shop-lb', { app: 'shop' }),
      vmService('other-lb', { app: 'other' }),
      resourcePolicy('shop-rp'),
      encryptionClass('shop-ec'),
    ]);
    await deliver('add', created.get('VirtualMachineGroup/shop')!);
    const on = (apiVersion: string, kind: string, name: string) =>
      labelsOn(env.admin, ns, apiVersion, kind, name);
    assert.equal(
      (await on(V5, 'VirtualMachineService', 'shop-lb'))[key('shop')],
      'VirtualMachineService',
    );
    assert.equal((await on(V5, 'VirtualMachineService', 'other-lb'))[key('shop')], undefined);
    assert.equal(
      (await on(V5, 'VirtualMachineSetResourcePolicy', 'shop-rp'))[key('shop')],
      'VirtualMachineSetResourcePolicy',
    );
    assert.equal(
      (await on('encryption.vmware.com/v1alpha1', 'EncryptionClass', 'shop-ec'))[key('shop')],
      'EncryptionClass',
    );
    // The VM's labels change so the service no longer selects it: the next event removes its label.
    const web = await env.admin.patch(
      { apiVersion: V5, kind: 'VirtualMachine', namespace: ns, name: 'web' },
      { type: 'merge', body: { metadata: { labels: { app: 'moved' } }, spec: { crypto: null } } },
    );
    await deliver('update', web);
    assert.equal((await on(V5, 'VirtualMachineService', 'shop-lb'))[key('shop')], undefined);
    assert.equal(
      (await on('encryption.vmware.com/v1alpha1', 'EncryptionClass', 'shop-ec'))[key('shop')],
      undefined,
    );
    assert.equal(
      (await on(V5, 'VirtualMachineSetResourcePolicy', 'shop-rp'))[key('shop')],
      'VirtualMachineSetResourcePolicy',
    );
  });

  it('labels appear on the group, VMs (v1alpha5 and v1alpha6), Secrets and PVCs; a second delivery writes nothing', async () => {
    const ns = await env.cluster.newNamespace('lab-appear');
    const objects = groupFixture('app', 3);
    // One VM written as v1alpha6: the test plane's CRDs relabel versions, the labeler reads v1alpha5.
    const v6 = objects.findIndex((o) => o.metadata.name === 'app-vm-2');
    objects[v6] = { ...objects[v6]!, apiVersion: 'vmoperator.vmware.com/v1alpha6' };
    const created = await createAll(env.admin, ns, objects);
    env.log.reset();
    await deliver('add', created.get('VirtualMachineGroup/app')!);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(ours(await labelsOn(env.admin, ns, V5, 'VirtualMachine', `app-vm-${i}`)), {
        [key('app')]: 'VirtualMachine',
        [SEED_GROUP_LABEL]: 'app',
      });
      assert.deepEqual(ours(await labelsOn(env.admin, ns, 'v1', 'Secret', `app-vm-${i}-boot`)), {
        [key('app')]: 'Secret',
      });
      for (const d of [0, 1])
        assert.deepEqual(
          ours(
            await labelsOn(env.admin, ns, 'v1', 'PersistentVolumeClaim', `app-vm-${i}-disk-${d}`),
          ),
          { [key('app')]: 'PersistentVolumeClaim' },
        );
    }
    const group = await get(ns, V5, 'VirtualMachineGroup', 'app');
    assert.equal(group.metadata.labels?.[key('app')], 'VirtualMachineGroup');
    assert.equal(
      group.metadata.annotations?.[ANNOTATION_LABELLED_SECRETS],
      '["app-vm-0-boot","app-vm-1-boot","app-vm-2-boot"]',
    );
    assert.equal(group.metadata.annotations?.[ANNOTATION_CAPTURED_POWER_STATE], 'PoweredOn');
    // 3 Secrets + 3 VMs + 6 PVCs + the group = 13 writes; reads: one list per kind per pass.
    assert.equal(env.log.writes(), 13);
    assert.equal(
      env.log.count('list'),
      9,
      'one pass of seven lists (four kinds, three application kinds), then a check of groups and VMs',
    );
    // Secrets: patched, never read.
    assert.equal(
      env.log.calls.filter((c) => c.resource === 'secrets' && c.verb !== 'patch').length,
      0,
    );

    env.log.reset();
    await deliver('update', created.get('VirtualMachine/app-vm-1')!);
    await deliver('add', created.get('VirtualMachineGroup/app')!);
    assert.equal(env.log.writes(), 0, 'a repeated event writes nothing');
    assert.equal(env.log.count('patch'), 0);

    // VM Operator updating status (an update event per change) costs not even a list.
    env.log.reset();
    const current = await get(ns, V5, 'VirtualMachine', 'app-vm-0');
    await deliver('update', { ...current, status: { powerState: 'PoweredOn', conditions: [] } });
    assert.equal(env.log.calls.length, 0, JSON.stringify(env.log.calls));
  });

  it('nested groups (a v1alpha6 parent): everything below carries the parent key too', async () => {
    const ns = await env.cluster.newNamespace('lab-nested');
    const created = await createAll(env.admin, ns, [
      {
        ...asKube(vmg('top', { bootOrder: [[groupMember('tier')], [vmMember('front')]] })),
        apiVersion: 'vmoperator.vmware.com/v1alpha6',
      },
      asKube(vmg('tier', { groupName: 'top', bootOrder: [[vmMember('db')]] })),
      asKube(
        vm('db', {
          groupName: 'tier',
          bootstrap: bootstraps.vAppProperties('db-props'),
          volumes: [pvcVolume('db-data')],
        }),
      ),
      asKube(vm('front', { groupName: 'top' })),
      secret('db-props'),
      pvc('db-data'),
    ]);
    await deliver('add', created.get('VirtualMachineGroup/top')!);
    const both = (kind: string) => ({ [key('top')]: kind, [key('tier')]: kind });
    assert.deepEqual(ours(await labelsOn(env.admin, ns, V5, 'VirtualMachine', 'db')), {
      ...both('VirtualMachine'),
      [SEED_GROUP_LABEL]: 'tier',
    });
    assert.deepEqual(
      ours(await labelsOn(env.admin, ns, 'v1', 'Secret', 'db-props')),
      both('Secret'),
    );
    assert.deepEqual(
      ours(await labelsOn(env.admin, ns, 'v1', 'PersistentVolumeClaim', 'db-data')),
      both('PersistentVolumeClaim'),
    );
    assert.deepEqual(
      ours(await labelsOn(env.admin, ns, V5, 'VirtualMachineGroup', 'tier')),
      both('VirtualMachineGroup'),
    );
    assert.deepEqual(ours(await labelsOn(env.admin, ns, V5, 'VirtualMachine', 'front')), {
      [key('top')]: 'VirtualMachine',
      [SEED_GROUP_LABEL]: 'top',
    });
    const top = await get(ns, V5, 'VirtualMachineGroup', 'top');
    assert.equal(top.metadata.annotations?.[ANNOTATION_LABELLED_SECRETS], '["db-props"]');
  });

  it('labels move when a VM changes group, Secret labels included', async () => {
    const ns = await env.cluster.newNamespace('lab-move');
    const created = await createAll(env.admin, ns, [
      asKube(vmg('a', { bootOrder: [[vmMember('v')]] })),
      asKube(vmg('b', { bootOrder: [[vmMember('w')]] })),
      asKube(
        vm('v', {
          groupName: 'a',
          bootstrap: bootstraps.linuxPrep('v-pw', 'v-script'),
          volumes: [pvcVolume('v-disk')],
        }),
      ),
      asKube(vm('w', { groupName: 'b' })),
      secret('v-pw'),
      secret('v-script'),
      pvc('v-disk'),
    ]);
    await deliver('add', created.get('VirtualMachine/v')!);
    assert.deepEqual(ours(await labelsOn(env.admin, ns, 'v1', 'Secret', 'v-pw')), {
      [key('a')]: 'Secret',
    });

    await env.admin.patch(
      { apiVersion: V5, kind: 'VirtualMachineGroup', namespace: ns, name: 'a' },
      { type: 'merge', body: { spec: { bootOrder: [] } } },
    );
    await env.admin.patch(
      { apiVersion: V5, kind: 'VirtualMachineGroup', namespace: ns, name: 'b' },
      {
        type: 'merge',
        body: { spec: { bootOrder: [{ members: [{ name: 'w' }, { name: 'v' }] }] } },
      },
    );
    const moved = await env.admin.patch(
      { apiVersion: V5, kind: 'VirtualMachine', namespace: ns, name: 'v' },
      { type: 'merge', body: { spec: { groupName: 'b' } } },
    );
    await deliver('update', moved);

    assert.deepEqual(ours(await labelsOn(env.admin, ns, V5, 'VirtualMachine', 'v')), {
      [key('b')]: 'VirtualMachine',
      [SEED_GROUP_LABEL]: 'b',
    });
    for (const s of ['v-pw', 'v-script'])
      assert.deepEqual(ours(await labelsOn(env.admin, ns, 'v1', 'Secret', s)), {
        [key('b')]: 'Secret',
      });
    assert.deepEqual(ours(await labelsOn(env.admin, ns, 'v1', 'PersistentVolumeClaim', 'v-disk')), {
      [key('b')]: 'PersistentVolumeClaim',
    });
    const a = await get(ns, V5, 'VirtualMachineGroup', 'a');
    assert.equal(a.metadata.annotations?.[ANNOTATION_LABELLED_SECRETS], undefined);
    const b = await get(ns, V5, 'VirtualMachineGroup', 'b');
    assert.equal(b.metadata.annotations?.[ANNOTATION_LABELLED_SECRETS], '["v-pw","v-script"]');
  });

  it('labels disappear when a group is deleted (delete event carries its record); user labels stay', async () => {
    const ns = await env.cluster.newNamespace('lab-delete');
    const objects = groupFixture('gone', 2, { pvcsPerVm: 1 });
    objects[1] = {
      ...objects[1]!,
      metadata: { ...objects[1]!.metadata, labels: { team: 'payments' } },
    };
    const created = await createAll(env.admin, ns, objects);
    await deliver('add', created.get('VirtualMachineGroup/gone')!);
    const last = await get(ns, V5, 'VirtualMachineGroup', 'gone');
    // A Secret referenced once, recorded on the group, no longer named by any VM.
    await env.admin.patch(
      { apiVersion: V5, kind: 'VirtualMachine', namespace: ns, name: 'gone-vm-1' },
      { type: 'merge', body: { spec: { bootstrap: null } } },
    );
    await env.admin.delete({
      apiVersion: V5,
      kind: 'VirtualMachineGroup',
      namespace: ns,
      name: 'gone',
    });
    env.log.reset();
    await deliver('delete', last);
    const vm0 = await labelsOn(env.admin, ns, V5, 'VirtualMachine', 'gone-vm-0');
    assert.deepEqual(ours(vm0), {});
    assert.equal(vm0.team, 'payments');
    for (const s of ['gone-vm-0-boot', 'gone-vm-1-boot'])
      assert.deepEqual(ours(await labelsOn(env.admin, ns, 'v1', 'Secret', s)), {});
    assert.deepEqual(
      ours(await labelsOn(env.admin, ns, 'v1', 'PersistentVolumeClaim', 'gone-vm-1-disk-0')),
      {},
    );
    env.log.reset();
    await deliver('delete', last);
    assert.equal(env.log.count('patch'), 0, 'a repeated delete event writes nothing');
  });

  it('under the restricted role: Secrets cannot be read, yet get labelled (metadata-only patches)', async () => {
    const ns = await env.cluster.newNamespace('lab-secrets');
    await createAll(env.admin, ns, [secret('probe')]);
    await assert.rejects(
      env.kube.get({ apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'probe' }),
      (err: Error & { status?: number }) => err.status === 403,
    );
    await assert.rejects(
      env.kube.list('v1', 'Secret', ns),
      (err: Error & { status?: number }) => err.status === 403,
    );
    const long = `long-${'n'.repeat(70)}`;
    const created = await createAll(env.admin, ns, [
      asKube(vmg(long, { bootOrder: [[vmMember('v')]] })),
      asKube(
        vm('v', {
          groupName: long,
          bootstrap: bootstraps.sysprep({ password: 'pw', domain: 'dom', productID: 'pid' }),
        }),
      ),
      secret('pw'),
      secret('dom'),
    ]);
    const res = await deliver('add', created.get(`VirtualMachineGroup/${long}`)!);
    assert.equal(res.status, 204);
    for (const s of ['pw', 'dom'])
      assert.deepEqual(ours(await labelsOn(env.admin, ns, 'v1', 'Secret', s)), {
        [key(long)]: 'Secret',
      });
    const g = await get(ns, V5, 'VirtualMachineGroup', long);
    assert.equal(g.metadata.annotations?.[ANNOTATION_MEMBER_LABEL_KEY], key(long));
    // `pid` does not exist: probed (404), not recorded, nothing created.
    assert.equal(g.metadata.annotations?.[ANNOTATION_LABELLED_SECRETS], '["dom","pw"]');
    assert.equal(
      await env.admin.get({ apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'pid' }),
      undefined,
    );
  });

  it('a Backup: reconciles its scope, records an Event on it and replies backup.expanded', async () => {
    const ns = await env.cluster.newNamespace('lab-backup');
    const veleroNs = await env.cluster.newNamespace('lab-velero');
    await createAll(env.admin, ns, [
      ...groupFixture('shop', 2),
      asKube(vmg('broken', { bootOrder: [[vmMember('ghost'), groupMember('broken')]] })),
    ]);
    const backup = await env.admin.create({
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: { name: 'b1', namespace: veleroNs },
      spec: {
        includedNamespaces: [ns],
        orLabelSelectors: [
          { matchExpressions: [{ key: key('shop'), operator: 'Exists' }] },
          { matchExpressions: [{ key: key('broken'), operator: 'Exists' }] },
        ],
      },
    });
    // No VM/VMG event was ever delivered: the Backup alone brings the labels.
    const res = await deliver('add', backup);
    assert.equal(res.status, 200);
    assert.equal(res.reply?.type, EVENT_TYPE_BACKUP_EXPANDED);
    const data = res.reply?.data as BackupExpanded;
    assert.equal(violation(await loadValidators(), EXPANDED_SCHEMA, data), undefined);
    assert.deepEqual(
      data.groups.map((g) => [g.name, g.coverage]),
      [
        ['broken', 'complete'],
        ['shop', 'complete'],
      ],
    );
    assert.deepEqual(data.totals, {
      virtualMachineGroups: 2,
      virtualMachines: 2,
      secrets: 2,
      configMaps: 0,
      persistentVolumeClaims: 4,
      virtualMachineServices: 0,
      virtualMachineSetResourcePolicies: 0,
      encryptionClasses: 0,
    });
    assert.ok(data.labelsChanged >= 10);
    assert.deepEqual(data.groups[0]!.cycles, [['broken', 'broken']]);
    assert.deepEqual(ours(await labelsOn(env.admin, ns, V5, 'VirtualMachine', 'shop-vm-0')), {
      [key('shop')]: 'VirtualMachine',
      [SEED_GROUP_LABEL]: 'shop',
    });
    const events = await env.admin.list('v1', 'Event', veleroNs);
    const ev = events.items.find(
      (e) => (e as { involvedObject?: { name?: string } }).involvedObject?.name === 'b1',
    ) as (KubeObject & { reason?: string; message?: string; type?: string }) | undefined;
    assert.ok(ev, 'an Event on the Backup');
    assert.equal(ev.reason, REASON_BACKUP_INCOMPLETE);
    assert.equal(ev.type, 'Warning');
    assert.match(
      ev.message ?? '',
      /covers 2 VirtualMachineGroup\(s\) .*missing VirtualMachine ghost.*cycle broken → broken/,
    );
    // What was labelled for this Backup, recorded on it for the backup verifier.
    const live = await env.admin.get({ ...backup, namespace: veleroNs, name: 'b1' });
    const record = parseClosureRecord(live?.metadata.annotations?.[ANNOTATION_BACKUP_CLOSURE]);
    assert.ok(record && 'record' in record, JSON.stringify(record));
    assert.deepEqual(
      record.record.groups.map((g) => [g.namespace, g.name, g.objects.length, g.cut.length]),
      [
        [ns, 'broken', 1, 0],
        [ns, 'shop', 9, 0],
      ],
    );
  });

  it('a Secret re-created since it was labelled is relabelled when a Backup comes; intact Secrets are only probed', async () => {
    const ns = await env.cluster.newNamespace('lab-rotate');
    const veleroNs = await env.cluster.newNamespace('lab-velero');
    const created = await createAll(env.admin, ns, groupFixture('rot', 2));
    await deliver('add', created.get('VirtualMachineGroup/rot')!);
    // Rotation by delete + create: the new Secret has no label, the group's record still names it.
    await env.admin.delete({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: ns,
      name: 'rot-vm-0-boot',
    });
    await createAll(env.admin, ns, [secret('rot-vm-0-boot')]);
    await deliver('update', created.get('VirtualMachine/rot-vm-0')!);
    assert.deepEqual(
      ours(await labelsOn(env.admin, ns, 'v1', 'Secret', 'rot-vm-0-boot')),
      {},
      'events alone cannot see it',
    );
    const backup = await env.admin.create({
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: { name: 'rot', namespace: veleroNs },
      spec: {
        includedNamespaces: [ns],
        labelSelector: { matchExpressions: [{ key: key('rot'), operator: 'Exists' }] },
      },
    });
    await deliver('add', backup);
    assert.deepEqual(ours(await labelsOn(env.admin, ns, 'v1', 'Secret', 'rot-vm-0-boot')), {
      [key('rot')]: 'Secret',
    });
    // Delivered again: the probes are test-only JSON patches, so no Secret changes.
    const before = await Promise.all(
      ['rot-vm-0-boot', 'rot-vm-1-boot'].map((n) => get(ns, 'v1', 'Secret', n)),
    );
    const again = await deliver('add', backup);
    assert.equal((again.reply?.data as BackupExpanded).writes, 0);
    const after = await Promise.all(
      ['rot-vm-0-boot', 'rot-vm-1-boot'].map((n) => get(ns, 'v1', 'Secret', n)),
    );
    assert.deepEqual(
      after.map((o) => o.metadata.resourceVersion),
      before.map((o) => o.metadata.resourceVersion),
    );
  });

  it('a Secret found absent: probed again at once at first (applied just after its VM), then at growing intervals; a Backup and the tick always probe', async () => {
    const ns = await env.cluster.newNamespace('lab-absent');
    const veleroNs = await env.cluster.newNamespace('lab-absent-velero');
    const created = await createAll(env.admin, ns, [
      asKube(vmg('late', { bootOrder: [[vmMember('v'), vmMember('w')]] })),
      asKube(
        vm('v', { groupName: 'late', bootstrap: bootstraps.linuxPrep('late-pw', 'late-script') }),
      ),
      asKube(vm('w', { groupName: 'late', bootstrap: bootstraps.linuxPrep('tick-pw') })),
    ]);
    const probed = async (event: () => Promise<unknown>): Promise<string[]> => {
      env.log.reset();
      await event();
      return env.log.calls
        .filter((c) => c.verb === 'patch' && c.resource === 'secrets')
        .map((c) => c.outcome);
    };
    const vmAdded = () => deliver('add', created.get('VirtualMachine/v')!);
    const labelled = async (name: string) =>
      ours(await labelsOn(env.admin, ns, 'v1', 'Secret', name))[key('late')] === 'Secret';

    assert.deepEqual(await probed(() => deliver('add', created.get('VirtualMachineGroup/late')!)), [
      'not_found',
      'not_found',
      'not_found',
    ]);
    await createAll(env.admin, ns, [secret('late-pw')]);
    assert.deepEqual((await probed(vmAdded)).sort(), ['not_found', 'not_found', 'success']);
    assert.ok(await labelled('late-pw'), 'applied just after its VM: labelled on the next event');

    // Absent for a minute now: not probed for the next minute.
    clockAheadMs += 60_000;
    assert.deepEqual(await probed(vmAdded), ['not_found', 'not_found']);
    assert.deepEqual(await probed(vmAdded), [], 'remembered absent');
    await createAll(env.admin, ns, [secret('late-script')]);
    await vmAdded();
    assert.equal(await labelled('late-script'), false, 'events rely on the memory');
    const backup = await env.admin.create({
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: { name: 'late', namespace: veleroNs },
      spec: { includedNamespaces: [ns] },
    });
    await deliver('add', backup);
    assert.ok(await labelled('late-script'), 'a Backup probes every Secret');
    assert.equal(
      (await get(ns, V5, 'VirtualMachineGroup', 'late')).metadata.annotations?.[
        ANNOTATION_LABELLED_SECRETS
      ],
      '["late-pw","late-script"]',
    );

    await createAll(env.admin, ns, [secret('tick-pw')]);
    await vmAdded();
    assert.equal(await labelled('tick-pw'), false);
    assert.equal((await postEvent(server.url, pingEvent())).status, 204);
    assert.ok(await labelled('tick-pw'), 'the tick probes every Secret');
    clockAheadMs = 0;
  });

  it('lists VMs page by page (LABELER_VM_PAGE_SIZE): a group spanning several pages is labelled whole, by its event and by the tick', async () => {
    const paged = await serveLabeler(env.kube, { env: { LABELER_VM_PAGE_SIZE: '2' } });
    try {
      const VMS = 5;
      const allLabelled = async (ns: string, group: string) => {
        for (let i = 0; i < VMS; i++)
          for (const [apiVersion, kind, name] of [
            [V5, 'VirtualMachine', `${group}-vm-${i}`],
            ['v1', 'Secret', `${group}-vm-${i}-boot`],
          ] as const)
            assert.equal(
              (await labelsOn(env.admin, ns, apiVersion, kind, name))[key(group)],
              kind,
              `${kind} ${name}`,
            );
      };
      const byEvent = await env.cluster.newNamespace('lab-paged');
      await createAll(env.admin, byEvent, groupFixture('pages', VMS));
      const group = await get(byEvent, V5, 'VirtualMachineGroup', 'pages');
      const res = await postEvent(paged.url, apiServerEvent('add', group));
      assert.ok(res.status < 300, `status ${res.status}`);
      await allLabelled(byEvent, 'pages');
      const byTick = await env.cluster.newNamespace('lab-paged-tick');
      await createAll(env.admin, byTick, groupFixture('ticked', VMS));
      assert.equal((await postEvent(paged.url, pingEvent())).status, 204);
      await allLabelled(byTick, 'ticked');
    } finally {
      await paged.close();
    }
  });

  it('the periodic tick labels what no event announced and cleans labels of groups deleted unseen', async () => {
    const ns = await env.cluster.newNamespace('lab-tick');
    await createAll(env.admin, ns, [
      ...groupFixture('quiet', 2),
      asKube(
        vm('stray', {
          labels: { [key('vanished')]: 'VirtualMachine', [SEED_GROUP_LABEL]: 'vanished' },
        }),
      ),
    ]);
    const res = await postEvent(server.url, pingEvent());
    assert.equal(res.status, 204);
    assert.deepEqual(ours(await labelsOn(env.admin, ns, 'v1', 'Secret', 'quiet-vm-1-boot')), {
      [key('quiet')]: 'Secret',
    });
    assert.deepEqual(ours(await labelsOn(env.admin, ns, V5, 'VirtualMachine', 'stray')), {});
  });

  it("the tick also cleans a namespace where only ConfigMaps/PVCs still carry a vanished group's label", async () => {
    const ns = await env.cluster.newNamespace('lab-tick-leftover');
    await createAll(env.admin, ns, [
      configMap('left-cm', { labels: { [key('gone')]: 'ConfigMap', team: 'a' } }),
      pvc('left-disk', { labels: { [key('gone')]: 'PersistentVolumeClaim' } }),
    ]);
    env.log.reset();
    assert.equal((await postEvent(server.url, pingEvent())).status, 204);
    assert.deepEqual(await labelsOn(env.admin, ns, 'v1', 'ConfigMap', 'left-cm'), { team: 'a' });
    assert.deepEqual(
      ours(await labelsOn(env.admin, ns, 'v1', 'PersistentVolumeClaim', 'left-disk')),
      {},
    );
    // The tick walks namespaces: their names once, then each namespace's ConfigMaps and PVCs
    // once; never the cluster's objects in one list.
    const namespaces = (await env.admin.list('v1', 'Namespace', undefined)).items.length;
    assert.equal(env.log.count('list', 'namespaces'), 1);
    assert.equal(env.log.count('list', 'configmaps'), namespaces);
    assert.equal(env.log.count('list', 'persistentvolumeclaims'), namespaces);
  });

  it('ticks arriving while a resync runs join it (one resync), each answered when it is done; a later tick runs again', async () => {
    const ns = await env.cluster.newNamespace('lab-tick-join');
    await createAll(env.admin, ns, groupFixture('joined', 3));
    // A resync lists namespaces once (as the test above shows): count resyncs by it.
    const resyncs = () =>
      env.log.calls.filter((c) => c.verb === 'list' && c.resource === 'namespaces').length;
    env.log.reset();
    const answers = await Promise.all([1, 2, 3].map(() => postEvent(server.url, pingEvent())));
    assert.deepEqual(
      answers.map((a) => a.status),
      [204, 204, 204],
    );
    assert.equal(resyncs(), 1, 'three ticks at once ran more than one resync');
    // Each was answered after the joined resync's writes: the labels are there.
    assert.deepEqual(ours(await labelsOn(env.admin, ns, 'v1', 'Secret', 'joined-vm-2-boot')), {
      [key('joined')]: 'Secret',
    });
    // A tick after it ended is not joined to a finished run: it resyncs again.
    env.log.reset();
    assert.equal((await postEvent(server.url, pingEvent())).status, 204);
    assert.equal((await postEvent(server.url, pingEvent())).status, 204);
    assert.equal(resyncs(), 2);
  });

  it('the closure CLI --live agrees with what was labelled', async () => {
    const ns = await env.cluster.newNamespace('lab-cli');
    await createAll(env.admin, ns, groupFixture('cli', 2));
    const { run } = await import('../../cli/closure.ts');
    let out = '';
    const code = await run(['--group', `${ns}/cli`, '--live', '--json'], {
      out: (t) => void (out += t),
      err: () => {},
      env: { KUBECONFIG: env.cluster.kubeconfigPath },
    });
    assert.equal(code, 0);
    const report = JSON.parse(out) as {
      objects: Array<{ kind: string; name: string; unverified?: boolean }>;
    };
    assert.equal(report.objects.length, 1 + 2 + 2 + 4);
    assert.ok(
      report.objects.filter((o) => o.kind === 'Secret').every((o) => o.unverified === true),
    );
  });
});
