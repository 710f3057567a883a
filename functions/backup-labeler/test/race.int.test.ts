// Two replicas racing on the real control plane. One is held (by a gate around its real Kube
// client, not a fake server) right after it listed the namespace, so it decides from a view that
// the user then changes and another replica acts on. Whatever order the writes land in, the
// result must be what the final state calls for — including on Secrets, which neither replica
// can read.

import assert from 'node:assert/strict';
import type { Kube } from '../../runtime/kube/kube-api.ts';
import { SEED_GROUP_LABEL, memberLabelKey } from '../../vmgroup/names.ts';
import {
  asKube,
  bootstraps,
  groupFixture,
  pvc,
  pvcVolume,
  secret,
  vm,
  vmg,
  vmMember,
} from '../../vmgroup/test/builders.ts';
import { reconcileNamespace } from '../reconcile.ts';
import { createAll, labelerEnv, labelsOn, ours } from './support.ts';
import type { LabelerEnv } from './support.ts';

const V5 = 'vmoperator.vmware.com/v1alpha5';
const key = memberLabelKey;

/** The same client, except the first VirtualMachine list waits for `gate` after it has its answer. */
function heldAfterFirstVmList(inner: Kube, gate: Promise<void>, listed: () => void): Kube {
  let held = false;
  return {
    get: (ref) => inner.get(ref),
    list: async (apiVersion, kind, namespace, options) => {
      const result = await inner.list(apiVersion, kind, namespace, options);
      if (kind === 'VirtualMachine' && !held) {
        held = true;
        listed();
        await gate;
      }
      return result as never;
    },
    patch: (ref, patch, options) => inner.patch(ref, patch, options),
    create: (obj) => inner.create(obj),
    delete: (ref) => inner.delete(ref),
    recordEvent: (involved, record) => inner.recordEvent(involved, record),
  };
}

describe('backup-labeler replicas racing (control plane)', function () {
  let env: LabelerEnv;
  before(async () => {
    env = await labelerEnv();
  });

  it('a replica acting on a stale view (VM still in its old group) loses nothing and leaves no stale label', async () => {
    const ns = await env.cluster.newNamespace('race-move');
    await createAll(env.admin, ns, [
      asKube(vmg('old', { bootOrder: [[vmMember('v')]] })),
      asKube(vmg('new', { bootOrder: [] })),
      asKube(
        vm('v', {
          groupName: 'old',
          bootstrap: bootstraps.cloudInitRaw('v-boot'),
          volumes: [pvcVolume('v-disk')],
        }),
      ),
      secret('v-boot'),
      pvc('v-disk'),
    ]);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let listed!: () => void;
    const hasListed = new Promise<void>((r) => (listed = r));
    const stale = reconcileNamespace(
      { ...env.deps, kube: heldAfterFirstVmList(env.kube, gate, listed) },
      ns,
    );
    await hasListed;

    // While the stale replica holds its view, the user moves v to `new` and a second replica acts.
    await env.admin.patch(
      { apiVersion: V5, kind: 'VirtualMachineGroup', namespace: ns, name: 'old' },
      { type: 'merge', body: { spec: { bootOrder: [] } } },
    );
    await env.admin.patch(
      { apiVersion: V5, kind: 'VirtualMachineGroup', namespace: ns, name: 'new' },
      { type: 'merge', body: { spec: { bootOrder: [{ members: [{ name: 'v' }] }] } } },
    );
    await env.admin.patch(
      { apiVersion: V5, kind: 'VirtualMachine', namespace: ns, name: 'v' },
      { type: 'merge', body: { spec: { groupName: 'new' } } },
    );
    const fresh = await reconcileNamespace(env.deps, ns);
    assert.deepEqual(ours(await labelsOn(env.admin, ns, 'v1', 'Secret', 'v-boot')), {
      [key('new')]: 'Secret',
    });

    // Now the stale replica writes what it decided from the old view: its Secret patch (no
    // precondition possible) lands after the fresh replica's, the rest fails with 409.
    release();
    const late = await stale;
    assert.ok(late.passes >= 2, `the stale replica re-decided (${late.passes} passes)`);
    assert.ok(fresh.passes >= 1);

    assert.deepEqual(ours(await labelsOn(env.admin, ns, 'v1', 'Secret', 'v-boot')), {
      [key('new')]: 'Secret',
    });
    assert.deepEqual(ours(await labelsOn(env.admin, ns, V5, 'VirtualMachine', 'v')), {
      [key('new')]: 'VirtualMachine',
      [SEED_GROUP_LABEL]: 'new',
    });
    assert.deepEqual(ours(await labelsOn(env.admin, ns, 'v1', 'PersistentVolumeClaim', 'v-disk')), {
      [key('new')]: 'PersistentVolumeClaim',
    });
    // And a third look finds nothing to do.
    env.log.reset();
    const again = await reconcileNamespace(env.deps, ns);
    assert.equal(again.writes, 0);
  });

  it('several replicas reconciling the same namespace at once converge to one consistent state', async () => {
    const ns = await env.cluster.newNamespace('race-many');
    await createAll(env.admin, ns, [...groupFixture('p', 5), ...groupFixture('q', 5)]);
    const results = await Promise.all([1, 2, 3].map(() => reconcileNamespace(env.deps, ns)));
    for (const r of results) assert.equal(r.closures.size, 2);
    for (const g of ['p', 'q']) {
      for (let i = 0; i < 5; i++) {
        assert.deepEqual(
          ours(await labelsOn(env.admin, ns, V5, 'VirtualMachine', `${g}-vm-${i}`)),
          { [key(g)]: 'VirtualMachine', [SEED_GROUP_LABEL]: g },
        );
        assert.deepEqual(ours(await labelsOn(env.admin, ns, 'v1', 'Secret', `${g}-vm-${i}-boot`)), {
          [key(g)]: 'Secret',
        });
      }
    }
    const again = await reconcileNamespace(env.deps, ns);
    assert.equal(again.writes, 0);
  });
});
