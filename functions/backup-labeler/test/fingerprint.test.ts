import assert from 'node:assert/strict';
import type { VirtualMachine } from '../../../schemas/generated/objects/virtualmachine.ts';
import type { VirtualMachineGroup } from '../../../schemas/generated/objects/virtualmachinegroup.ts';
import {
  ANNOTATION_CAPTURED_NETWORK,
  ANNOTATION_CAPTURED_POWER_STATE,
  ANNOTATION_LABELLED_INPUTS,
  ANNOTATION_RESTORE_RELEASED,
  SEED_GROUP_LABEL,
  VELERO_RESTORE_NAME_LABEL,
  memberLabelKey,
} from '../../vmgroup/names.ts';
import {
  bootstraps,
  groupMember,
  pvcVolume,
  vm,
  vmg,
  vmMember,
} from '../../vmgroup/test/builders.ts';
import { fingerprint, updateNeedsReconcile } from '../fingerprint.ts';

/** A VM as the labeler leaves it: labels, captures, and the hash of both. */
function labelled(v: VirtualMachine): VirtualMachine {
  const labels = {
    ...v.metadata.labels,
    [memberLabelKey('g')]: 'VirtualMachine',
    [SEED_GROUP_LABEL]: 'g',
  };
  return {
    ...v,
    metadata: {
      ...v.metadata,
      labels,
      annotations: {
        ...v.metadata.annotations,
        [ANNOTATION_CAPTURED_POWER_STATE]: 'PoweredOn',
        [ANNOTATION_LABELLED_INPUTS]: fingerprint(v, labels),
      },
    },
  };
}

const base = (): VirtualMachine =>
  vm('v', {
    groupName: 'g',
    bootstrap: bootstraps.cloudInitRaw('boot'),
    volumes: [pvcVolume('disk')],
  });

describe('backup-labeler fingerprint: which update events can change anything', () => {
  const cases: Array<[string, () => VirtualMachine | VirtualMachineGroup, boolean]> = [
    ['labelled VM, nothing changed', () => labelled(base()), false],
    [
      'labelled VM, a status update only',
      () => ({ ...labelled(base()), status: { powerState: 'PoweredOn' } }),
      false,
    ],
    [
      // A VirtualMachineService may select by it (issue 16): the closure can change.
      'labelled VM, a user label added',
      () => {
        const v = labelled(base());
        return { ...v, metadata: { ...v.metadata, labels: { ...v.metadata.labels, team: 'x' } } };
      },
      true,
    ],
    [
      'labelled VM moved to another group',
      () => {
        const v = labelled(base());
        return { ...v, spec: { ...v.spec, groupName: 'h' } };
      },
      true,
    ],
    [
      'labelled VM with a new bootstrap Secret',
      () => {
        const v = labelled(base());
        return { ...v, spec: { ...v.spec, bootstrap: bootstraps.linuxPrep('pw') } };
      },
      true,
    ],
    [
      'labelled VM with another PVC',
      () => {
        const v = labelled(base());
        return { ...v, spec: { ...v.spec, volumes: [pvcVolume('disk'), pvcVolume('more')] } };
      },
      true,
    ],
    [
      'labelled VM whose membership label a user removed',
      () => {
        const v = labelled(base());
        const labels = { ...v.metadata.labels };
        delete labels[memberLabelKey('g')];
        return { ...v, metadata: { ...v.metadata, labels } };
      },
      true,
    ],
    [
      'labelled VM powered off by the user (capture stale)',
      () => {
        const v = labelled(base());
        return { ...v, spec: { ...v.spec, powerState: 'PoweredOff' } };
      },
      true,
    ],
    [
      'labelled VM whose network status appeared',
      () => ({
        ...labelled(base()),
        status: {
          network: {
            interfaces: [{ name: 'eth0', ip: { addresses: [{ address: '10.0.0.5/24' }] } }],
          },
        },
      }),
      true,
    ],
    [
      'restored VM held off keeps its capture: no change',
      () => {
        const v = labelled(base());
        return {
          ...v,
          spec: { ...v.spec, powerState: 'PoweredOff' },
          metadata: {
            ...v.metadata,
            labels: { ...v.metadata.labels, [VELERO_RESTORE_NAME_LABEL]: 'r' },
            annotations: {
              ...v.metadata.annotations,
              [ANNOTATION_LABELLED_INPUTS]: fingerprint(v, {
                ...v.metadata.labels,
                [VELERO_RESTORE_NAME_LABEL]: 'r',
              }),
            },
          },
        };
      },
      false,
    ],
    [
      'restored VM released by the sequencer, capture stale: reconcile',
      () => {
        const v = labelled(base());
        const labels = { ...v.metadata.labels, [VELERO_RESTORE_NAME_LABEL]: 'r' };
        return {
          ...v,
          spec: { ...v.spec, powerState: 'PoweredOff' },
          metadata: {
            ...v.metadata,
            labels,
            annotations: {
              ...v.metadata.annotations,
              [ANNOTATION_RESTORE_RELEASED]: 'r',
              [ANNOTATION_LABELLED_INPUTS]: fingerprint(v, labels),
            },
          },
        };
      },
      true,
    ],
    ['VM in no group, never labelled', () => vm('v'), false],
    ['VM naming a group, never labelled', () => vm('v', { groupName: 'g' }), true],
    [
      'VM carrying a stale label, never hashed',
      () => vm('v', { labels: { [memberLabelKey('gone')]: 'VirtualMachine' } }),
      true,
    ],
    ['group never labelled', () => vmg('g'), true],
    [
      'labelled group, status churn',
      () => {
        const g = vmg('g', { bootOrder: [[vmMember('v')]] });
        const labels = { [memberLabelKey('g')]: 'VirtualMachineGroup' };
        return {
          ...g,
          status: { members: [] },
          metadata: {
            ...g.metadata,
            labels,
            annotations: { [ANNOTATION_LABELLED_INPUTS]: fingerprint(g, labels) },
          },
        };
      },
      false,
    ],
    [
      'labelled group with a new member',
      () => {
        const g = vmg('g', { bootOrder: [[vmMember('v')]] });
        const labels = { [memberLabelKey('g')]: 'VirtualMachineGroup' };
        return {
          ...g,
          spec: { bootOrder: [{ members: [{ name: 'v' }, groupMember('h')] }] },
          metadata: {
            ...g.metadata,
            labels,
            annotations: { [ANNOTATION_LABELLED_INPUTS]: fingerprint(g, labels) },
          },
        };
      },
      true,
    ],
  ];
  for (const [title, make, expected] of cases) {
    it(`${title} → ${expected ? 'reconcile' : 'skip'}`, () =>
      assert.equal(updateNeedsReconcile(make()), expected));
  }

  it('the network capture counts once written', () => {
    const withNet = {
      ...base(),
      status: {
        network: {
          interfaces: [{ name: 'eth0', ip: { addresses: [{ address: '10.0.0.5/24' }] } }],
        },
      },
    } as VirtualMachine;
    const v = labelled(withNet);
    v.metadata.annotations![ANNOTATION_CAPTURED_NETWORK] =
      '{"version":1,"interfaces":[{"name":"eth0","addresses":["10.0.0.5/24"]}]}';
    assert.equal(updateNeedsReconcile(v), false);
  });
});
