// Restore preflight on the real control plane (issue 15.2): a held VM whose namespace lacks what
// it names (image, class, storage class, encryption class, in VM Operator v1.10.0's sense:
// preflight.ts) gets a Warning on the Restore and on itself saying which and what to do; its
// group is reported `blocked` with the reason, not `waiting`, and stays held; once the target
// offers it (the test creates the object, as an administrator would), the next pass releases.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Kube, KubeObject } from '../../runtime/kube/kube-api.ts';
import {
  ANNOTATION_RESTORE_PROGRESS,
  EVENT_TYPE_RESTORE_GROUP_RELEASED,
  REASON_RESTORE_GROUP_BLOCKED,
  REASON_RESTORE_TARGET_MISSING,
} from '../../vmgroup/names.ts';
import { asKube, vm, vmg, vmMember } from '../../vmgroup/test/builders.ts';
import { VMOP } from '../handler.ts';
import {
  STORAGE_QUOTA,
  VM_CLASS,
  answer,
  sequencerPlane,
  type Scenario,
  type SequencerPlane,
} from './plane.ts';

const READY = (at: string) => ({
  type: 'Ready',
  status: 'True',
  reason: 'True',
  message: '',
  lastTransitionTime: at,
});
const NOT_READY = (at: string) => ({
  type: 'Ready',
  status: 'False',
  reason: 'ProviderItemNotFound',
  message: 'content library item not found',
  lastTransitionTime: at,
});
const NOW = '2026-11-21T10:00:00Z';

interface Case {
  what: string;
  /** web's spec fields that name it. */
  spec: (id: string) => Record<string, unknown>;
  /** What the target offers beforehand. */
  before?: (s: Scenario, id: string) => Promise<void>;
  /** The problem and fix, as the Warning words them. */
  says: (s: Scenario, id: string) => RegExp;
  /** What an administrator does to make it startable. */
  fix: (s: Scenario, id: string) => Promise<void>;
}

describe('restore sequencer: preflight (control plane)', function () {
  this.timeout(180_000);
  let admin: Kube;
  let scenario: SequencerPlane['scenario'];

  before(async function () {
    ({ admin, scenario } = await sequencerPlane());
  });

  /** A VirtualMachineImage (or the cluster-scoped kind) with its status as VM Operator reports it. */
  async function image(
    s: Scenario,
    kind: 'VirtualMachineImage' | 'ClusterVirtualMachineImage',
    name: string,
    status: Record<string, unknown>,
  ): Promise<void> {
    const namespaced = kind === 'VirtualMachineImage';
    await admin.create({
      apiVersion: VMOP,
      kind,
      metadata: { name, ...(namespaced ? { namespace: s.namespace } : {}) },
      spec: {
        providerRef: {
          apiVersion: 'imageregistry.vmware.com/v1alpha2',
          kind: 'ContentLibraryItem',
          name: `clitem-${name}`,
        },
      },
    } as KubeObject);
    const path = namespaced
      ? `namespaces/${s.namespace}/virtualmachineimages/${name}`
      : `clustervirtualmachineimages/${name}`;
    await s.patchStatus(path, status);
  }

  const CASES: Case[] = [
    {
      what: 'image is missing',
      spec: (id) => ({
        image: { kind: 'VirtualMachineImage', name: `vmi-${id}a` },
        imageName: 'ubuntu-24.04',
      }),
      // On this Supervisor the same content is another library item, so another hashed name.
      before: (s, id) =>
        image(s, 'VirtualMachineImage', `vmi-${id}b`, {
          name: 'ubuntu-24.04',
          conditions: [READY(NOW)],
        }),
      says: (s, id) =>
        new RegExp(
          `image VirtualMachineImage/vmi-${id}a not found in namespace ${s.namespace} \\(image names are hashes of content-library items and differ between Supervisors\\); associate the content library that holds it with namespace ${s.namespace}; image "ubuntu-24.04" here is vmi-${id}b: restore again with spec.image removed and spec.imageName kept`,
        ),
      fix: (s, id) =>
        image(s, 'VirtualMachineImage', `vmi-${id}a`, {
          name: 'ubuntu-24.04',
          conditions: [READY(NOW)],
        }),
    },
    {
      what: 'cluster image is not Ready',
      spec: (id) => ({ image: { kind: 'ClusterVirtualMachineImage', name: `vmi-${id}c` } }),
      before: (s, id) =>
        image(s, 'ClusterVirtualMachineImage', `vmi-${id}c`, { conditions: [NOT_READY(NOW)] }),
      says: (_s, id) =>
        new RegExp(
          `image ClusterVirtualMachineImage/vmi-${id}c exists but is not Ready; kubectl describe cvmi vmi-${id}c`,
        ),
      fix: (s, id) =>
        s.patchStatus(`clustervirtualmachineimages/vmi-${id}c`, { conditions: [READY(NOW)] }),
    },
    {
      what: 'class is missing',
      spec: () => ({ className: 'guaranteed-large' }),
      says: (s) =>
        new RegExp(
          `class guaranteed-large VirtualMachineClass not available in namespace ${s.namespace}; bind the class to the namespace .*kubectl get vmclass -n ${s.namespace} guaranteed-large`,
        ),
      fix: async (s) => void (await admin.create(VM_CLASS(s.namespace, 'guaranteed-large'))),
    },
    {
      what: 'storage class does not exist',
      spec: (id) => ({ storageClass: `gold-${id}` }),
      says: (s, id) =>
        new RegExp(
          `storage class gold-${id} StorageClass does not exist; add the storage policy to namespace ${s.namespace}, or map it on restore`,
        ),
      fix: async (s, id) => {
        await admin.create({
          apiVersion: 'storage.k8s.io/v1',
          kind: 'StorageClass',
          metadata: { name: `gold-${id}` },
          provisioner: 'csi.vsphere.vmware.com',
        } as KubeObject);
        await admin.create(STORAGE_QUOTA(s.namespace, `gold-${id}`));
      },
    },
    {
      what: 'storage class is not assigned to the namespace',
      spec: (id) => ({ storageClass: `silver-${id}` }),
      before: async (_s, id) =>
        void (await admin.create({
          apiVersion: 'storage.k8s.io/v1',
          kind: 'StorageClass',
          metadata: { name: `silver-${id}` },
          provisioner: 'csi.vsphere.vmware.com',
        } as KubeObject)),
      says: (s, id) =>
        new RegExp(
          `storage class silver-${id} not assigned to namespace ${s.namespace} \\(no ResourceQuota entry silver-${id}\\.storageclass\\.storage\\.k8s\\.io/\\.\\.\\.\\); add the storage policy to namespace ${s.namespace}`,
        ),
      fix: async (s, id) => void (await admin.create(STORAGE_QUOTA(s.namespace, `silver-${id}`))),
    },
    {
      what: 'encryption class is missing',
      spec: () => ({ crypto: { encryptionClassName: 'app-keys' } }),
      says: (s) =>
        new RegExp(
          `encryption class app-keys EncryptionClass not found in namespace ${s.namespace}; create it \\(kubectl get encryptionclass -n <source namespace> app-keys -o yaml, then apply it in ${s.namespace} with the target's key provider\\)`,
        ),
      fix: async (s) =>
        void (await admin.create({
          apiVersion: 'encryption.vmware.com/v1alpha1',
          kind: 'EncryptionClass',
          metadata: { name: 'app-keys', namespace: s.namespace },
          spec: { keyProvider: 'kms-target' },
        } as KubeObject)),
    },
  ];

  for (const [i, c] of CASES.entries())
    it(`a member whose ${c.what}: Warnings on the Restore and the VM, the group blocked (not waiting) until the target offers it`, async () => {
      const id = randomUUID().slice(0, 6);
      const s = await scenario(`pre-${i}`);
      await c.before?.(s, id);
      await s.create(
        asKube(
          vmg('app', { powerState: 'PoweredOn', bootOrder: [[vmMember('db')], [vmMember('web')]] }),
        ),
      );
      // web comes before db: its group is incomplete, but it can never start, so blocked it is.
      const first = await s.create(asKube(vm('web', { groupName: 'app', spec: c.spec(id) })));
      assert.equal(answer(first), 'held:blocked');
      const held = await s.create(asKube(vm('db', { groupName: 'app' })));
      assert.equal(answer(held), 'held:blocked');
      const data = held!.data as {
        reasons: string[];
        unstartable: Array<{ vm: string; what: string; blocks: boolean }>;
      };
      assert.match(data.reasons[0]!, new RegExp(`^VM web: ${c.says(s, id).source}`));
      assert.deepEqual(
        data.unstartable.map((u) => [u.vm, u.blocks]),
        [['web', true]],
      );

      const onRestore = (await s.events()).filter(
        (e) => e.reason === REASON_RESTORE_TARGET_MISSING,
      );
      const onVm = (await s.vmEvents('web')).filter(
        (e) => e.reason === REASON_RESTORE_TARGET_MISSING,
      );
      for (const e of [...onRestore, ...onVm]) {
        assert.equal(e.type, 'Warning');
        assert.match(e.message!, new RegExp(`VM ${s.namespace}/web: ${c.says(s, id).source}`));
        assert.match(
          e.message!,
          new RegExp(`Group ${s.namespace}/app stays held until it can start\\.$`),
        );
      }
      assert.equal(onRestore.length, 1, 'one Warning on the Restore, bumped on each pass');
      assert.equal(onVm.length, 1);
      assert.deepEqual(await s.vmEvents('db'), [], 'db lacks nothing');
      const blocked = (await s.events()).find((e) => e.reason === REASON_RESTORE_GROUP_BLOCKED);
      assert.equal(blocked?.type, 'Warning');
      assert.match(blocked!.message!, new RegExp(`Group ${s.namespace}/app stays held: VM web: `));
      assert.deepEqual(await s.powers('db', 'web'), ['PoweredOff', 'PoweredOff']);
      assert.equal((await s.group('app')).spec.powerState, undefined);

      // Each pass checks again; nothing changes while the target lacks it.
      await s.time.advance(60_000);
      assert.equal(await s.tick(), undefined);
      assert.equal(
        (await s.group('app')).metadata.annotations?.[ANNOTATION_RESTORE_PROGRESS],
        undefined,
      );
      assert.deepEqual(await s.powers('db', 'web'), ['PoweredOff', 'PoweredOff']);

      await c.fix(s, id);
      const released = await s.tick();
      assert.equal(released?.type, EVENT_TYPE_RESTORE_GROUP_RELEASED);
      assert.equal((await s.group('app')).spec.powerState, 'PoweredOn');
    });

  it('a member that was off at backup and lacks its class is reported, but does not hold the others', async () => {
    const s = await scenario('pre-off');
    await s.create(
      asKube(
        vmg('app', { powerState: 'PoweredOn', bootOrder: [[vmMember('db'), vmMember('spare')]] }),
      ),
    );
    await s.create(asKube(vm('db', { groupName: 'app' })));
    const reply = await s.broker(
      await s.create(
        asKube(
          vm('spare', {
            groupName: 'app',
            powerState: 'PoweredOff',
            spec: { className: 'gpu-xl' },
          }),
        ),
      ),
    );
    assert.equal(reply.at(-1)?.type, EVENT_TYPE_RESTORE_GROUP_RELEASED);
    assert.deepEqual(await s.powers('db', 'spare'), ['PoweredOn', 'PoweredOff']);
    const [warning] = (await s.vmEvents('spare')).filter(
      (e) => e.reason === REASON_RESTORE_TARGET_MISSING,
    );
    assert.match(
      warning!.message!,
      /class gpu-xl VirtualMachineClass not available.*It was not on at backup, so the others are released without it\./,
    );
  });

  it('a VM in no group is released at once, with the Warning when it cannot start', async () => {
    const s = await scenario('pre-loner', { offer: false });
    await s.create(asKube(vm('solo')));
    assert.deepEqual(await s.powers('solo'), ['PoweredOn']);
    for (const events of [await s.vmEvents('solo'), await s.events()]) {
      const [e] = events.filter((x) => x.reason === REASON_RESTORE_TARGET_MISSING);
      assert.equal(e?.type, 'Warning');
      assert.match(
        e!.message!,
        /class best-effort-small VirtualMachineClass not available in namespace/,
      );
      assert.match(e!.message!, /storage class wcp-storage not assigned to namespace/);
      assert.match(e!.message!, /VM Operator will not create it until then\.$/);
    }
  });
});
