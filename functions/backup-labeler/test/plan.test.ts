import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { KubeObject } from '../../runtime/kube/kube-api.ts';
import type { VirtualMachine } from '../../../schemas/generated/objects/virtualmachine.ts';
import type { VirtualMachineGroup } from '../../../schemas/generated/objects/virtualmachinegroup.ts';
import {
  ANNOTATION_CAPTURED_NETWORK,
  ANNOTATION_CAPTURED_POWER_STATE,
  ANNOTATION_LABELLED_INPUTS,
  ANNOTATION_LABELLED_SECRETS,
  ANNOTATION_MEMBER_LABEL_KEY,
  ANNOTATION_RESTORE_RELEASED,
  SEED_GROUP_LABEL,
  VELERO_RESTORE_NAME_LABEL,
  memberLabelKey,
} from '../../vmgroup/names.ts';
import {
  asKube,
  bootstraps,
  configMap,
  groupFixture,
  groupMember,
  pvc,
  pvcVolume,
  vm,
  vmg,
  vmMember,
} from '../../vmgroup/test/builders.ts';
import type { LiveNamespace, MapChange, Plan, PlanOptions } from '../plan.ts';
import { commitWrite, mergePatchBody, planNamespace } from '../plan.ts';
import { fingerprint } from '../fingerprint.ts';

const key = memberLabelKey;

function liveOf(objects: KubeObject[], namespace = 'apps'): LiveNamespace {
  let rv = 100;
  const withRv = (o: KubeObject): KubeObject => ({
    ...o,
    metadata: { ...o.metadata, resourceVersion: o.metadata.resourceVersion ?? String(rv++) },
  });
  const of = (kind: string) => objects.filter((o) => o.kind === kind).map(withRv);
  return {
    namespace,
    groups: of('VirtualMachineGroup') as unknown as VirtualMachineGroup[],
    vms: of('VirtualMachine') as unknown as VirtualMachine[],
    configMaps: of('ConfigMap'),
    pvcs: of('PersistentVolumeClaim'),
  };
}

function applyChange(
  current: Record<string, string> | undefined,
  change: MapChange,
): Record<string, string> | undefined {
  const out = { ...current };
  for (const [k, v] of Object.entries(change)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** What the API server would hold after the plan's writes (Secrets tracked in `secrets`). */
function applyPlan(
  live: LiveNamespace,
  plan: Plan,
  secrets: Map<string, Record<string, string>>,
  absent = new Set<string>(),
): LiveNamespace {
  for (const w of plan.secretWrites) {
    if (absent.has(w.name)) continue;
    secrets.set(w.name, applyChange(secrets.get(w.name), w.labels) ?? {});
  }
  const writes = [
    ...plan.objectWrites,
    ...plan.groupCommits.map((c) => commitWrite(c, absent)).filter((w) => w !== undefined),
  ];
  const patch = <T extends { kind: string; metadata: KubeObject['metadata'] }>(o: T): T => {
    const w = writes.find((x) => x.ref.kind === o.kind && x.ref.name === o.metadata.name);
    if (!w) return o;
    const metadata = { ...o.metadata, resourceVersion: `${o.metadata.resourceVersion}+` };
    const labels = applyChange(o.metadata.labels, w.labels);
    const annotations = applyChange(o.metadata.annotations, w.annotations);
    if (labels) metadata.labels = labels;
    else delete metadata.labels;
    if (annotations) metadata.annotations = annotations;
    else delete metadata.annotations;
    return { ...o, metadata };
  };
  return {
    ...live,
    groups: live.groups.map(patch),
    vms: live.vms.map(patch),
    configMaps: live.configMaps.map(patch),
    pvcs: live.pvcs.map(patch),
  };
}

function writeCount(p: Plan, absent = new Set<string>()): number {
  return (
    p.secretWrites.length +
    p.objectWrites.length +
    p.groupCommits.filter((c) => commitWrite(c, absent)).length
  );
}

/** Plans and applies until stable; returns the final state and the Secret labels. */
function converge(
  live: LiveNamespace,
  secrets = new Map<string, Record<string, string>>(),
  o: PlanOptions = {},
  absent = new Set<string>(),
): { live: LiveNamespace; secrets: Map<string, Record<string, string>>; rounds: number } {
  for (let rounds = 1; rounds <= 5; rounds++) {
    const plan = planNamespace(live, rounds === 1 ? o : {});
    if (writeCount(plan, absent) === 0) return { live, secrets, rounds };
    live = applyPlan(live, plan, secrets, absent);
  }
  throw new Error('did not converge');
}

const labelsOf = (
  live: LiveNamespace,
  kind: string,
  name: string,
): Record<string, string> | undefined =>
  [...live.groups, ...live.vms, ...live.configMaps, ...live.pvcs].find(
    (o) => o.kind === kind && o.metadata.name === name,
  )?.metadata.labels;
const annotationsOf = (
  live: LiveNamespace,
  kind: string,
  name: string,
): Record<string, string> | undefined =>
  [...live.groups, ...live.vms].find((o) => o.kind === kind && o.metadata.name === name)?.metadata
    .annotations;

describe('backup-labeler plan', () => {
  it('labels a fresh group: every closure object, seed label, Secret record; then nothing to do', () => {
    const live = liveOf([
      ...groupFixture('app', 2, { pvcsPerVm: 1 }),
      configMap('unrelated'),
      pvc('unrelated-disk'),
    ]);
    const plan = planNamespace(live);
    assert.deepEqual(
      plan.secretWrites.map((w) => [w.name, w.labels]),
      [
        ['app-vm-0-boot', { [key('app')]: 'Secret' }],
        ['app-vm-1-boot', { [key('app')]: 'Secret' }],
      ],
    );
    assert.deepEqual(
      plan.objectWrites.map((w) => [w.ref.kind, w.ref.name, w.labels]),
      [
        [
          'VirtualMachine',
          'app-vm-0',
          { [key('app')]: 'VirtualMachine', [SEED_GROUP_LABEL]: 'app' },
        ],
        [
          'VirtualMachine',
          'app-vm-1',
          { [key('app')]: 'VirtualMachine', [SEED_GROUP_LABEL]: 'app' },
        ],
        ['PersistentVolumeClaim', 'app-vm-0-disk-0', { [key('app')]: 'PersistentVolumeClaim' }],
        ['PersistentVolumeClaim', 'app-vm-1-disk-0', { [key('app')]: 'PersistentVolumeClaim' }],
      ],
    );
    const commit = commitWrite(plan.groupCommits[0]!, new Set());
    assert.deepEqual(commit?.labels, { [key('app')]: 'VirtualMachineGroup' });
    assert.equal(
      commit?.annotations[ANNOTATION_LABELLED_SECRETS],
      '["app-vm-0-boot","app-vm-1-boot"]',
    );
    assert.equal(commit?.annotations[ANNOTATION_CAPTURED_POWER_STATE], 'PoweredOn');
    assert.equal(commit?.resourceVersion, live.groups[0]!.metadata.resourceVersion);
    const done = converge(live);
    assert.equal(done.rounds, 2, 'one round of writes, then a plan with zero writes');
  });

  it('a merge patch names only our keys and carries the resourceVersion precondition', () => {
    const live = liveOf([
      asKube(vmg('g', { bootOrder: [[vmMember('v')]] })),
      asKube(vm('v', { groupName: 'g', labels: { app: 'shop', [key('gone')]: 'VirtualMachine' } })),
    ]);
    const w = planNamespace(live).objectWrites.find((x) => x.ref.name === 'v')!;
    assert.deepEqual(mergePatchBody(w), {
      metadata: {
        resourceVersion: w.resourceVersion,
        labels: { [key('g')]: 'VirtualMachine', [SEED_GROUP_LABEL]: 'g', [key('gone')]: null },
        annotations: {
          [ANNOTATION_LABELLED_INPUTS]: fingerprint(live.vms[0]!, {
            app: 'shop',
            [key('g')]: 'VirtualMachine',
            [SEED_GROUP_LABEL]: 'g',
          }),
          [ANNOTATION_CAPTURED_POWER_STATE]: 'PoweredOn',
        },
      },
    });
  });

  it('nested groups: nested objects carry every ancestor key; the seed label names the direct group', () => {
    const live = liveOf([
      asKube(vmg('top', { bootOrder: [[groupMember('mid')]] })),
      asKube(vmg('mid', { groupName: 'top', bootOrder: [[vmMember('v')]] })),
      asKube(vm('v', { groupName: 'mid', volumes: [pvcVolume('d')] })),
      pvc('d'),
    ]);
    const { live: after } = converge(live);
    assert.deepEqual(labelsOf(after, 'VirtualMachine', 'v'), {
      [key('top')]: 'VirtualMachine',
      [key('mid')]: 'VirtualMachine',
      [SEED_GROUP_LABEL]: 'mid',
    });
    assert.deepEqual(labelsOf(after, 'PersistentVolumeClaim', 'd'), {
      [key('top')]: 'PersistentVolumeClaim',
      [key('mid')]: 'PersistentVolumeClaim',
    });
    assert.deepEqual(labelsOf(after, 'VirtualMachineGroup', 'mid'), {
      [key('top')]: 'VirtualMachineGroup',
      [key('mid')]: 'VirtualMachineGroup',
    });
    assert.deepEqual(labelsOf(after, 'VirtualMachineGroup', 'top'), {
      [key('top')]: 'VirtualMachineGroup',
    });
  });

  it('a VM moving to another group: labels and Secret labels move, records follow', () => {
    const before = [
      asKube(vmg('a', { bootOrder: [[vmMember('v')]] })),
      asKube(vmg('b', { bootOrder: [] })),
      asKube(
        vm('v', {
          groupName: 'a',
          bootstrap: bootstraps.cloudInitRaw('v-boot'),
          volumes: [pvcVolume('v-disk')],
        }),
      ),
      pvc('v-disk'),
    ];
    const first = converge(liveOf(before));
    assert.deepEqual(first.secrets.get('v-boot'), { [key('a')]: 'Secret' });
    // The user moves v: a stops listing it, b lists it, v names b.
    const moved: LiveNamespace = {
      ...first.live,
      groups: first.live.groups.map((g) => ({
        ...g,
        spec: { bootOrder: g.metadata.name === 'b' ? [{ members: [{ name: 'v' }] }] : [] },
      })),
      vms: first.live.vms.map((v) => ({ ...v, spec: { ...v.spec, groupName: 'b' } })),
    };
    const plan = planNamespace(moved);
    assert.deepEqual(plan.secretWrites, [
      { name: 'v-boot', labels: { [key('b')]: 'Secret', [key('a')]: null } },
    ]);
    const second = converge(moved, first.secrets);
    assert.deepEqual(second.secrets.get('v-boot'), { [key('b')]: 'Secret' });
    assert.deepEqual(labelsOf(second.live, 'VirtualMachine', 'v'), {
      [key('b')]: 'VirtualMachine',
      [SEED_GROUP_LABEL]: 'b',
    });
    assert.deepEqual(labelsOf(second.live, 'PersistentVolumeClaim', 'v-disk'), {
      [key('b')]: 'PersistentVolumeClaim',
    });
    assert.equal(
      annotationsOf(second.live, 'VirtualMachineGroup', 'a')?.[ANNOTATION_LABELLED_SECRETS],
      undefined,
    );
    assert.equal(
      annotationsOf(second.live, 'VirtualMachineGroup', 'b')?.[ANNOTATION_LABELLED_SECRETS],
      '["v-boot"]',
    );
  });

  it('a deleted group: its key leaves every object; its Secrets come from the last record and member bootstraps', () => {
    const first = converge(liveOf([...groupFixture('app', 2, { pvcsPerVm: 1 })]));
    const record = annotationsOf(first.live, 'VirtualMachineGroup', 'app')?.[
      ANNOTATION_LABELLED_SECRETS
    ];
    assert.equal(record, '["app-vm-0-boot","app-vm-1-boot"]');
    const gone: LiveNamespace = { ...first.live, groups: [] };
    // Without the delete event's record, the bootstraps of VMs still carrying the key are used.
    const fromVms = planNamespace(gone);
    assert.deepEqual(
      fromVms.secretWrites.map((w) => [w.name, w.labels]),
      [
        ['app-vm-0-boot', { [key('app')]: null }],
        ['app-vm-1-boot', { [key('app')]: null }],
      ],
    );
    // With the record of the deleted group (delete event data), a Secret no VM names any more is found too.
    const withRecord = planNamespace(gone, {
      deletedRecords: new Map([[key('app'), ['app-vm-0-boot', 'app-vm-1-boot', 'old-secret']]]),
    });
    assert.deepEqual(
      withRecord.secretWrites.map((w) => w.name),
      ['app-vm-0-boot', 'app-vm-1-boot', 'old-secret'],
    );
    const after = converge(gone, first.secrets);
    for (const vmName of ['app-vm-0', 'app-vm-1'])
      assert.equal(labelsOf(after.live, 'VirtualMachine', vmName), undefined);
    assert.equal(labelsOf(after.live, 'PersistentVolumeClaim', 'app-vm-0-disk-0'), undefined);
    assert.deepEqual(after.secrets.get('app-vm-0-boot'), {});
    assert.equal(
      annotationsOf(after.live, 'VirtualMachine', 'app-vm-0')?.[ANNOTATION_CAPTURED_POWER_STATE],
      undefined,
    );
    // A repeated delete event, once nothing carries the key: nothing to do.
    assert.equal(
      writeCount(
        planNamespace(after.live, { deletedRecords: new Map([[key('app'), ['old-secret']]]) }),
      ),
      0,
    );
  });

  it('a Secret shared by two groups gets both keys in one patch; dropping one keeps the other', () => {
    const objects = [
      asKube(vmg('a', { bootOrder: [[vmMember('va')]] })),
      asKube(vmg('b', { bootOrder: [[vmMember('vb')]] })),
      asKube(vm('va', { groupName: 'a', bootstrap: bootstraps.cloudInitRaw('shared') })),
      asKube(vm('vb', { groupName: 'b', bootstrap: bootstraps.linuxPrep('shared') })),
    ];
    const plan = planNamespace(liveOf(objects));
    assert.deepEqual(plan.secretWrites, [
      { name: 'shared', labels: { [key('a')]: 'Secret', [key('b')]: 'Secret' } },
    ]);
    const first = converge(liveOf(objects));
    const changed: LiveNamespace = {
      ...first.live,
      vms: first.live.vms.map((v) =>
        v.metadata.name === 'vb' ? { ...v, spec: { ...v.spec, bootstrap: undefined } } : v,
      ),
    };
    assert.deepEqual(planNamespace(changed).secretWrites, [
      { name: 'shared', labels: { [key('b')]: null } },
    ]);
    assert.deepEqual(converge(changed, first.secrets).secrets.get('shared'), {
      [key('a')]: 'Secret',
    });
  });

  it('long group names: truncated key on everything, the key recorded on the group', () => {
    const long = `payments-${'x'.repeat(70)}`;
    const { live } = converge(liveOf(groupFixture(long, 1)));
    const k = key(long);
    assert.notEqual(k, `member.vmgroup-backup.dev/${long}`);
    assert.equal(labelsOf(live, 'VirtualMachine', `${long}-vm-0`)?.[k], 'VirtualMachine');
    assert.equal(
      annotationsOf(live, 'VirtualMachineGroup', long)?.[ANNOTATION_MEMBER_LABEL_KEY],
      k,
    );
  });

  it('a Secret patch that found no Secret is not recorded, so it is probed again', () => {
    const live = liveOf(groupFixture('app', 1));
    const plan = planNamespace(live);
    const absent = new Set(['app-vm-0-boot']);
    assert.equal(
      commitWrite(plan.groupCommits[0]!, absent)?.annotations[ANNOTATION_LABELLED_SECRETS],
      undefined,
    );
    const after = applyPlan(live, plan, new Map(), absent);
    assert.deepEqual(planNamespace(after).secretWrites, [
      { name: 'app-vm-0-boot', labels: { [key('app')]: 'Secret' } },
    ]);
  });

  it('force re-asserts the current decision on the Secrets given', () => {
    const { live, secrets } = converge(liveOf(groupFixture('app', 1)));
    assert.deepEqual(planNamespace(live).secretWrites, []);
    const forced = planNamespace(live, {
      force: new Map([
        ['app-vm-0-boot', new Set([key('app')])],
        ['stale', new Set([key('app'), key('gone')])],
      ]),
    });
    assert.deepEqual(forced.secretWrites, [
      { name: 'app-vm-0-boot', labels: { [key('app')]: 'Secret' } },
      { name: 'stale', labels: { [key('app')]: null, [key('gone')]: null } },
    ]);
    assert.ok(secrets.size > 0);
  });

  describe('captured state', () => {
    const network = {
      status: {
        network: {
          hostName: 'db',
          primaryIP4: '10.0.0.5',
          interfaces: [
            {
              name: 'eth0',
              ip: {
                macAddr: '00:50:56:aa:bb:cc',
                addresses: [{ address: '10.0.0.5/24' }, { address: 'fe80::1/64' }],
              },
            },
          ],
          config: {
            interfaces: [
              {
                name: 'eth0',
                ip: {
                  addresses: ['10.0.0.5/24'],
                  gateway4: '10.0.0.1',
                  dhcp: { ip4: { enabled: false } },
                },
                dns: { nameservers: ['10.0.0.2'] },
              },
            ],
          },
        },
      },
      network: { interfaces: [{ name: 'eth0', network: { name: 'primary' } }] },
    };

    it('writes power state and network identity on member VMs, once', () => {
      const live = liveOf([
        asKube(vmg('g', { bootOrder: [[vmMember('db')]] })),
        asKube(vm('db', { groupName: 'g', powerState: 'PoweredOff', ...network })),
      ]);
      const w = planNamespace(live).objectWrites[0]!;
      assert.equal(w.annotations[ANNOTATION_CAPTURED_POWER_STATE], 'PoweredOff');
      assert.deepEqual(JSON.parse(w.annotations[ANNOTATION_CAPTURED_NETWORK]!), {
        version: 1,
        interfaces: [
          {
            name: 'eth0',
            addresses: ['10.0.0.5/24'],
            macAddr: '00:50:56:aa:bb:cc',
            gateway4: '10.0.0.1',
            dhcp4: false,
            nameservers: ['10.0.0.2'],
          },
        ],
        hostName: 'db',
        primaryIP4: '10.0.0.5',
      });
      const { live: after } = converge(live);
      assert.equal(writeCount(planNamespace(after)), 0);
    });

    it('keeps the last capture when status has no network now; updates it when it changes', () => {
      const { live } = converge(
        liveOf([
          asKube(vmg('g', { bootOrder: [[vmMember('db')]] })),
          asKube(vm('db', { groupName: 'g', ...network })),
        ]),
      );
      const noStatus: LiveNamespace = { ...live, vms: live.vms.map((v) => ({ ...v, status: {} })) };
      assert.equal(writeCount(planNamespace(noStatus)), 0);
      const readdressed: LiveNamespace = {
        ...live,
        vms: live.vms.map((v) => ({
          ...v,
          status: {
            network: {
              ...network.status.network,
              config: { interfaces: [{ name: 'eth0', ip: { addresses: ['10.0.0.9/24'] } }] },
            },
          },
        })),
      };
      const w = planNamespace(readdressed).objectWrites[0]!;
      assert.deepEqual(Object.keys(w.annotations), [ANNOTATION_CAPTURED_NETWORK]);
      assert.match(w.annotations[ANNOTATION_CAPTURED_NETWORK]!, /10\.0\.0\.9\/24/);
    });

    it('objects created by a restore keep the captures they came with', () => {
      const live = liveOf([
        asKube(
          vmg('g', {
            powerState: 'PoweredOff',
            labels: { [VELERO_RESTORE_NAME_LABEL]: 'r1' },
            annotations: { [ANNOTATION_CAPTURED_POWER_STATE]: 'PoweredOn' },
            bootOrder: [[vmMember('db')]],
          }),
        ),
        asKube(
          vm('db', {
            groupName: 'g',
            powerState: 'PoweredOff',
            labels: { [VELERO_RESTORE_NAME_LABEL]: 'r1' },
            annotations: { [ANNOTATION_CAPTURED_POWER_STATE]: 'PoweredOn' },
          }),
        ),
      ]);
      const plan = planNamespace(live);
      assert.equal(plan.objectWrites[0]!.annotations[ANNOTATION_CAPTURED_POWER_STATE], undefined);
      assert.equal(
        commitWrite(plan.groupCommits[0]!, new Set())?.annotations[ANNOTATION_CAPTURED_POWER_STATE],
        undefined,
      );
      // Once the restore sequencer marks them released, captures follow the user's spec again.
      const released = <T extends { metadata: { annotations?: Record<string, string> } }>(
        o: T,
      ): T => ({
        ...o,
        metadata: {
          ...o.metadata,
          annotations: { ...o.metadata.annotations, [ANNOTATION_RESTORE_RELEASED]: 'r1' },
        },
      });
      const after = planNamespace({
        ...live,
        groups: live.groups.map(released),
        vms: live.vms.map(released),
      });
      assert.equal(
        after.objectWrites[0]!.annotations[ANNOTATION_CAPTURED_POWER_STATE],
        'PoweredOff',
      );
      assert.equal(
        commitWrite(after.groupCommits[0]!, new Set())?.annotations[
          ANNOTATION_CAPTURED_POWER_STATE
        ],
        'PoweredOff',
      );
    });

    it('a VM that leaves every group loses its captures and seed label', () => {
      const { live } = converge(
        liveOf([
          asKube(vmg('g', { bootOrder: [[vmMember('db')]] })),
          asKube(vm('db', { groupName: 'g', ...network })),
        ]),
      );
      const left: LiveNamespace = {
        ...live,
        groups: live.groups.map((g) => ({ ...g, spec: { bootOrder: [] } })),
      };
      const w = planNamespace(left).objectWrites.find((x) => x.ref.kind === 'VirtualMachine')!;
      assert.deepEqual(w.labels, { [key('g')]: null, [SEED_GROUP_LABEL]: null });
      assert.deepEqual(w.annotations, {
        [ANNOTATION_CAPTURED_POWER_STATE]: null,
        [ANNOTATION_CAPTURED_NETWORK]: null,
        [ANNOTATION_LABELLED_INPUTS]: null,
      });
    });
  });

  it('property: any namespace converges in two rounds and stays put', () => {
    const arb = fc.record({
      groups: fc.integer({ min: 1, max: 4 }),
      vms: fc.integer({ min: 0, max: 8 }),
      links: fc.array(fc.tuple(fc.nat(7), fc.nat(3), fc.boolean()), { maxLength: 12 }),
      nests: fc.array(fc.tuple(fc.nat(3), fc.nat(3)), { maxLength: 4 }),
      secrets: fc.array(fc.tuple(fc.nat(7), fc.nat(3)), { maxLength: 8 }),
    });
    fc.assert(
      fc.property(arb, (s) => {
        const members: Array<Array<{ name: string; kind?: 'VirtualMachineGroup' }>> = Array.from(
          { length: s.groups },
          () => [],
        );
        const groupOf = new Map<number, number>();
        for (const [v, g, named] of s.links) {
          if (v >= s.vms || g >= s.groups) continue;
          members[g]!.push({ name: `v${v}` });
          if (named) groupOf.set(v, g);
        }
        for (const [parent, child] of s.nests)
          if (parent < s.groups && child < s.groups)
            members[parent]!.push({ name: `g${child}`, kind: 'VirtualMachineGroup' });
        const objects: KubeObject[] = [];
        for (let g = 0; g < s.groups; g++)
          objects.push(
            asKube(
              vmg(`g${g}`, {
                bootOrder: [
                  [...new Map(members[g]!.map((m) => [`${m.kind}/${m.name}`, m])).values()],
                ],
              }),
            ),
          );
        for (let v = 0; v < s.vms; v++) {
          const secret = s.secrets.find(([sv]) => sv === v);
          objects.push(
            asKube(
              vm(`v${v}`, {
                ...(groupOf.has(v) ? { groupName: `g${groupOf.get(v)}` } : {}),
                ...(secret ? { bootstrap: bootstraps.cloudInitRaw(`s${secret[1]}`) } : {}),
                volumes: [pvcVolume(`v${v}-d`)],
              }),
            ),
          );
          objects.push(pvc(`v${v}-d`));
        }
        const done = converge(liveOf(objects));
        assert.ok(done.rounds <= 2, `rounds ${done.rounds}`);
        // Every Secret label matches a closure that names the Secret.
        const plan = planNamespace(done.live);
        for (const [name, labels] of done.secrets) {
          for (const k of Object.keys(labels)) {
            const group = plan.keys.get(k);
            assert.ok(
              group &&
                plan.closures
                  .get(group)
                  ?.objects.some((o) => o.kind === 'Secret' && o.name === name),
              `${name} ${k}`,
            );
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
