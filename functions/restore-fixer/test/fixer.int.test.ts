// The restore fixer on the real control plane: restored objects created as Velero creates them,
// with and without the resource modifier; the handler called with real ApiServerSource payloads,
// acting as a service account bound to exactly FIXER_RULES.

import assert from 'node:assert/strict';
import type { TestCluster } from '../../../test/harness/index.ts';
import { apiServerEvent, pingEvent } from '../../../test/support/cloudevents.ts';
import type { Kube, KubeObject } from '../../runtime/kube/kube-api.ts';
import {
  REASON_RESTORE_MEMBERS_MISSING,
  REASON_RESTORE_MODIFIER_MISSING,
  REASON_RESTORE_STRIP_INCOMPLETE,
  RESOURCE_MODIFIER_CONFIGMAP,
} from '../../vmgroup/names.ts';
import { asKube, vm, vmg, vmMember } from '../../vmgroup/test/builders.ts';
import type { FixerDeps } from '../handler.ts';
import restoreFixer from '../index.ts';
import { deliver } from '../../runtime/events/match.ts';
import { veleroLabelValue } from '../../velero/restore-lookup.ts';
import { dirtyPvc, dirtyVm } from './dirty-objects.ts';
import { restoreObject, veleroCreate } from '../../velero/test/velero-create.ts';
import { fixerOnPlane } from './fixer-plane.ts';

interface CoreEvent extends KubeObject {
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  involvedObject?: { name?: string; kind?: string };
}

describe('restore fixer (control plane)', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let kube: Kube;
  let deps: FixerDeps;
  let veleroNs: string;

  before(async function () {
    // Restores here end without errors: their results are never read.
    ({ cluster, admin: kube, veleroNs, deps } = await fixerOnPlane());
  });

  async function eventsFor(restore: string): Promise<CoreEvent[]> {
    const list = await kube.list<CoreEvent>('v1', 'Event', veleroNs);
    return list.items.filter(
      (e) => e.involvedObject?.name === restore && e.involvedObject.kind === 'Restore',
    );
  }

  async function newRestore(
    name: string,
    spec: Record<string, unknown>,
    phase = 'InProgress',
  ): Promise<KubeObject> {
    return kube.create(restoreObject(name, veleroNs, spec, phase));
  }

  it('removes per-VM CNS keys and the old CNS finalizer from a restored PVC, once', async () => {
    const ns = await cluster.newNamespace('fix-pvc');
    await newRestore('r-pvc', {
      backupName: 'b1',
      resourceModifier: { kind: 'configmap', name: RESOURCE_MODIFIER_CONFIGMAP },
    });
    const created = await veleroCreate(kube, dirtyPvc('disk-0'), {
      restore: 'r-pvc',
      backup: 'b1',
      namespace: ns,
    });
    assert.ok(
      Object.keys(created.metadata.annotations ?? {}).some((k) =>
        k.startsWith('cns.vmware.com/usedby-vm-'),
      ),
    );

    await deliver(restoreFixer, apiServerEvent('add', created), deps);
    const after = await kube.get({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      namespace: ns,
      name: 'disk-0',
    });
    assert.deepEqual(
      Object.keys(after!.metadata.annotations ?? {}).filter((k) => k.startsWith('cns.vmware.com/')),
      [],
    );
    assert.ok(!(after!.metadata.finalizers ?? []).includes('cns.vmware.com/pvc-protection'));
    assert.ok((after!.metadata.finalizers ?? []).includes('kubernetes.io/pvc-protection'));
    assert.equal(
      after!.metadata.annotations?.['volume.kubernetes.io/storage-provisioner'],
      'csi.vsphere.vmware.com',
    );

    // A stale event copy (old resourceVersion) re-reads and writes nothing more.
    await deliver(restoreFixer, apiServerEvent('update', created), deps);
    const again = await kube.get({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      namespace: ns,
      name: 'disk-0',
    });
    assert.equal(again!.metadata.resourceVersion, after!.metadata.resourceVersion);
    assert.deepEqual(await eventsFor('r-pvc'), []);
  });

  it('says nothing about objects the modifier stripped, and makes no call for them', async () => {
    const ns = await cluster.newNamespace('fix-ok');
    await newRestore('r-ok', {
      backupName: 'b1',
      resourceModifier: { kind: 'configmap', name: RESOURCE_MODIFIER_CONFIGMAP },
    });
    const v = await veleroCreate(kube, dirtyVm('web-1', { groupName: 'app' }), {
      restore: 'r-ok',
      backup: 'b1',
      namespace: ns,
    });
    const g = await veleroCreate(
      kube,
      asKube(vmg('app', { powerState: 'PoweredOn', bootOrder: [[vmMember('web-1')]] })),
      { restore: 'r-ok', backup: 'b1', namespace: ns },
    );
    let calls = 0;
    const counting: FixerDeps = {
      ...deps,
      kube: new Proxy(deps.kube, { get: (t, p) => (calls++, Reflect.get(t, p)) }),
    };
    await deliver(restoreFixer, apiServerEvent('add', v), counting);
    await deliver(restoreFixer, apiServerEvent('add', g), counting);
    assert.equal(calls, 0);
    assert.deepEqual(await eventsFor('r-ok'), []);
  });

  it('warns on a group Restore without the modifier as it starts, with the command that restores correctly', async () => {
    const r = await newRestore('r-bare', {
      backupName: 'b2',
      includedNamespaces: ['apps'],
      namespaceMapping: { apps: 'apps-restored' },
      labelSelector: { matchLabels: { 'member.vmgroup-backup.dev/app': 'VirtualMachineGroup' } },
    });
    await deliver(restoreFixer, apiServerEvent('add', r), deps);
    const [e] = await eventsFor('r-bare');
    assert.equal(e?.type, 'Warning');
    assert.equal(e?.reason, REASON_RESTORE_MODIFIER_MISSING);
    assert.match(e!.message!, /spec\.resourceModifier is unset/);
    assert.match(e!.message!, /vmoperator\.vmware\.com\/restored-vm/);
    assert.ok(
      e!.message!.endsWith(
        `velero restore create --from-backup b2 --include-namespaces apps --namespace-mappings apps:apps-restored --selector member.vmgroup-backup.dev/app=VirtualMachineGroup --resource-modifier-configmap ${RESOURCE_MODIFIER_CONFIGMAP}`,
      ),
      e!.message,
    );
    // Seen again (Restore updates): the same Event, counted, not another one.
    await deliver(restoreFixer, apiServerEvent('update', r), deps);
    const events = await eventsFor('r-bare');
    assert.equal(events.length, 1);
    assert.equal(events[0]?.count, 2);
  });

  it('stays quiet about a plain namespace Restore until a VM comes back unstripped', async () => {
    const r = await newRestore('r-plain', { backupName: 'b7', includedNamespaces: ['web'] });
    await deliver(restoreFixer, apiServerEvent('add', r), deps);
    assert.deepEqual(await eventsFor('r-plain'), []);
  });

  it('lists which restored VMs carry what VM Operator rejects, and why, when the strip did not happen', async () => {
    const ns = await cluster.newNamespace('fix-bare');
    await newRestore('r-dirty', { backupName: 'b3' });
    const item = { restore: 'r-dirty', backup: 'b3', namespace: ns, modifier: false };
    const v1 = await veleroCreate(kube, dirtyVm('db', { groupName: 'app' }), item);
    await veleroCreate(
      kube,
      asKube(vm('web', { groupName: 'app', powerState: 'Suspended' })),
      item,
    );
    await deliver(restoreFixer, apiServerEvent('add', v1), deps);
    const strip = (await eventsFor('r-dirty')).find(
      (e) => e.reason === REASON_RESTORE_STRIP_INCOMPLETE,
    );
    assert.ok(strip, 'a strip-incomplete Warning');
    assert.match(strip.message!, new RegExp(`2 object\\(s\\) restored into ${ns}`));
    assert.match(
      strip.message!,
      new RegExp(
        `VirtualMachine ${ns}/db: rejected by VM Operator for a non-privileged creator: vmoperator.vmware.com/cloud-init-instance-id, virtualmachine.vmoperator.vmware.com/first-boot-done, `,
      ),
    );
    assert.match(
      strip.message!,
      /label vmoperator\.vmware\.com\/paused, spec\.instanceUUID \(only privileged users may set it/,
    );
    assert.match(
      strip.message!,
      /spec\.currentSnapshotName \(creating a VM with a current snapshot is not allowed\)/,
    );
    assert.match(strip.message!, /old identity kept: spec\.biosUUID and 8 more/);
    assert.match(
      strip.message!,
      new RegExp(
        `VirtualMachine ${ns}/web: rejected .*spec.powerState Suspended \\(a VM cannot be created Suspended\\); not held powered off`,
      ),
    );
    assert.match(strip.message!, /--resource-modifier-configmap vmgroup-backup-restore-modifiers$/);
  });

  it('after a restore without the modifier ended, names the group members it did not create', async () => {
    const ns = await cluster.newNamespace('fix-missing');
    const item = { restore: 'r-ended', backup: 'b4', namespace: ns, modifier: false };
    await veleroCreate(
      kube,
      asKube(
        vmg('app', {
          powerState: 'PoweredOn',
          bootOrder: [[vmMember('db')], [vmMember('web-1'), vmMember('web-2')]],
        }),
      ),
      item,
    );
    await veleroCreate(kube, asKube(vm('web-1', { groupName: 'app' })), item);
    const r = await newRestore('r-ended', { backupName: 'b4' }, 'PartiallyFailed');
    await deliver(restoreFixer, apiServerEvent('update', r), deps);
    const missing = (await eventsFor('r-ended')).find(
      (e) => e.reason === REASON_RESTORE_MEMBERS_MISSING,
    );
    assert.ok(missing, 'a members-missing Warning');
    assert.match(
      missing.message!,
      new RegExp(
        `2 group member\\(s\\) in ${ns}: VirtualMachine ${ns}/db \\(group app\\), VirtualMachine ${ns}/web-2 \\(group app\\)`,
      ),
    );
  });

  it('finds a Restore whose name is too long for the label Velero puts on what it restores', async () => {
    const ns = await cluster.newNamespace('fix-long');
    const name = `nightly-restore-of-the-applications-namespace-${'x'.repeat(30)}`;
    await newRestore(name, { backupName: 'b6' });
    const label = veleroLabelValue(name);
    assert.equal(label.length, 63);
    const v = await veleroCreate(kube, dirtyVm('db'), {
      restore: label,
      backup: 'b6',
      namespace: ns,
      modifier: false,
    });
    await deliver(restoreFixer, apiServerEvent('add', v), deps);
    assert.deepEqual(
      (await eventsFor(name)).map((e) => e.reason),
      [REASON_RESTORE_STRIP_INCOMPLETE],
    );
  });

  it('catches up on the tick with PVCs whose events were lost', async () => {
    const ns = await cluster.newNamespace('fix-tick');
    await newRestore('r-tick', {
      backupName: 'b5',
      resourceModifier: { kind: 'configmap', name: RESOURCE_MODIFIER_CONFIGMAP },
    });
    await veleroCreate(kube, dirtyPvc('lost'), { restore: 'r-tick', backup: 'b5', namespace: ns });
    await deliver(restoreFixer, pingEvent(), deps);
    const after = await kube.get({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      namespace: ns,
      name: 'lost',
    });
    assert.deepEqual(
      Object.keys(after!.metadata.annotations ?? {}).filter((k) => k.startsWith('cns.vmware.com/')),
      [],
    );
  });
});
