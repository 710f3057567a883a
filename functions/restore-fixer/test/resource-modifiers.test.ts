// The resource-modifier ConfigMap in config/: valid for Velero, and doing what strip-rules.ts says.

import assert from 'node:assert/strict';
import { loadValidators } from '../../runtime/schema/schema-source.ts';
import { schemaId } from '../../runtime/schema/schema-files.ts';
import { violation, type ValidatorSet } from '../../runtime/schema/validation.ts';
import {
  ANNOTATION_RESTORE_ORIGINAL_POWER_STATE,
  ANNOTATION_RESTORE_PROGRESS,
  ANNOTATION_RESTORE_STRIPPED,
  RESOURCE_MODIFIER_CONFIGMAP,
  RESTORE_STRIP_VERSION,
  VELERO_EXCLUDE_LABEL,
} from '../../vmgroup/names.ts';
import { asKube, secret, vm, vmg, vmMember } from '../../vmgroup/test/builders.ts';
import { STRIP_RULES } from '../strip-rules.ts';
import { verify } from '../verify.ts';
import { dirtyPvc, dirtyVm, dirtyVmg } from './dirty-objects.ts';
import {
  applyModifiers,
  groupResourceOf,
  modifierDocument,
  readConfigMap,
} from '../../velero/test/velero-modifiers.ts';

const SCHEMA = schemaId('velero/resource-modifiers');
const VMS = groupResourceOf('vmoperator.vmware.com/v1alpha5', 'virtualmachines');
const VMGS = groupResourceOf('vmoperator.vmware.com/v1alpha5', 'virtualmachinegroups');
const PVCS = groupResourceOf('v1', 'persistentvolumeclaims');

describe('velero resource-modifier ConfigMap', () => {
  let validators: ValidatorSet;
  const cm = readConfigMap();
  const doc = modifierDocument(cm);

  before(async () => {
    validators = await loadValidators();
  });

  it('is a ConfigMap Velero accepts: one data key, valid document, excluded from backups', () => {
    assert.equal(cm.metadata.name, RESOURCE_MODIFIER_CONFIGMAP);
    assert.equal(cm.metadata.namespace, 'velero');
    assert.equal(cm.metadata.labels?.[VELERO_EXCLUDE_LABEL], 'true');
    assert.equal(Object.keys(cm.data).length, 1);
    assert.equal(violation(validators, SCHEMA, doc), undefined);
  });

  it('gives every merge patch as a JSON object', () => {
    for (const rule of doc.resourceModifierRules) {
      for (const p of rule.mergePatches ?? []) {
        const parsed = JSON.parse(p.patchData ?? '') as unknown;
        assert.equal(typeof parsed, 'object');
      }
    }
  });

  const invalid: Array<[string, unknown]> = [
    [
      'no version',
      {
        resourceModifierRules: [
          { conditions: { groupResource: 'pods' }, mergePatches: [{ patchData: '{}' }] },
        ],
      },
    ],
    [
      'version v2',
      {
        version: 'v2',
        resourceModifierRules: [
          { conditions: { groupResource: 'pods' }, mergePatches: [{ patchData: '{}' }] },
        ],
      },
    ],
    ['no rules', { version: 'v1', resourceModifierRules: [] }],
    [
      'no groupResource',
      {
        version: 'v1',
        resourceModifierRules: [{ conditions: {}, mergePatches: [{ patchData: '{}' }] }],
      },
    ],
    [
      'two kinds of patch',
      {
        version: 'v1',
        resourceModifierRules: [
          {
            conditions: { groupResource: 'pods' },
            mergePatches: [{ patchData: '{}' }],
            patches: [{ operation: 'remove', path: '/a' }],
          },
        ],
      },
    ],
    [
      'no patch',
      { version: 'v1', resourceModifierRules: [{ conditions: { groupResource: 'pods' } }] },
    ],
    [
      'unknown field (strict decoder)',
      {
        version: 'v1',
        resourceModifierRules: [
          { conditions: { groupResource: 'pods', name: 'x' }, mergePatches: [{ patchData: '{}' }] },
        ],
      },
    ],
    [
      'unsupported operation',
      {
        version: 'v1',
        resourceModifierRules: [
          { conditions: { groupResource: 'pods' }, patches: [{ operation: 'merge', path: '/a' }] },
        ],
      },
    ],
    [
      'match without path',
      {
        version: 'v1',
        resourceModifierRules: [
          {
            conditions: { groupResource: 'pods', matches: [{ value: 'x' }] },
            mergePatches: [{ patchData: '{}' }],
          },
        ],
      },
    ],
  ];
  for (const [name, value] of invalid) {
    it(`schema rejects a document with ${name}`, () => {
      assert.notEqual(violation(validators, SCHEMA, value), undefined);
    });
  }

  it('schema accepts what Velero accepts: case-insensitive version and operation, JSON patches', () => {
    const ok = {
      version: 'V1',
      resourceModifierRules: [
        {
          conditions: {
            groupResource: '*.apps',
            namespaces: ['a'],
            labelSelector: { matchLabels: { a: 'b' } },
          },
          patches: [{ operation: 'Replace', path: '/spec/replicas', value: '1' }],
        },
      ],
    };
    assert.equal(violation(validators, SCHEMA, ok), undefined);
  });

  it('strips every modifier-owned key from a VM and leaves it acceptable and held', () => {
    const before = dirtyVm('web-1', { powerState: 'PoweredOn' });
    const removable = verify(before)
      .findings.filter((f) => f.rule.by === 'modifier')
      .map((f) => f.what);
    assert.ok(removable.length >= 20, `dirty VM carries ${removable.length} keys`);
    const after = applyModifiers(doc, before, VMS);
    const left = verify(after).findings;
    assert.deepEqual(left, []);
    assert.equal(after.metadata.annotations?.[ANNOTATION_RESTORE_STRIPPED], RESTORE_STRIP_VERSION);
    assert.equal((after.spec as { powerState?: string }).powerState, 'PoweredOff');
    // What is not ours to touch survives.
    assert.equal((after.spec as { className?: string }).className, 'best-effort-small');
  });

  for (const state of ['PoweredOn', 'PoweredOff', 'Suspended', undefined] as const) {
    it(`records the backed-up VM power state ${state ?? '(unset)'} and holds it off`, () => {
      const before = asKube(
        vm('v', state === undefined ? { spec: { powerState: undefined } } : { powerState: state }),
      );
      if (state === undefined) delete (before.spec as Record<string, unknown>).powerState;
      const after = applyModifiers(doc, before, VMS);
      assert.equal(
        after.metadata.annotations?.[ANNOTATION_RESTORE_ORIGINAL_POWER_STATE],
        state ?? 'Unset',
      );
      assert.equal((after.spec as { powerState?: string }).powerState, 'PoweredOff');
    });
    it(`records the backed-up group power state ${state ?? '(unset)'} and removes it`, () => {
      const before = asKube(
        vmg('g', { ...(state ? { powerState: state } : {}), bootOrder: [[vmMember('a')]] }),
      );
      const after = applyModifiers(doc, before, VMGS);
      assert.equal(
        after.metadata.annotations?.[ANNOTATION_RESTORE_ORIGINAL_POWER_STATE],
        state ?? 'Unset',
      );
      assert.equal((after.spec as { powerState?: string }).powerState, undefined);
      assert.deepEqual((after.spec as { bootOrder?: unknown }).bootOrder, [
        { members: [{ name: 'a' }] },
      ]);
    });
  }

  it('accepts objects that carry none of the keys (absent keys are not errors)', () => {
    const clean = asKube(vm('clean'));
    const after = applyModifiers(doc, clean, VMS);
    assert.deepEqual(
      Object.keys(after.metadata.annotations ?? {}).sort(),
      [ANNOTATION_RESTORE_ORIGINAL_POWER_STATE, ANNOTATION_RESTORE_STRIPPED].sort(),
    );
    assert.deepEqual(after.metadata.labels ?? {}, {});
  });

  it('strips a group and drops progress from an earlier restore that travelled in the backup', () => {
    const before = dirtyVmg('g', ['a'], 'PoweredOn');
    before.metadata.annotations = {
      ...before.metadata.annotations,
      [ANNOTATION_RESTORE_PROGRESS]: '{"restore":"old"}',
    };
    const after = applyModifiers(doc, before, VMGS);
    assert.deepEqual(verify(after).findings, []);
    assert.equal(after.metadata.annotations?.[ANNOTATION_RESTORE_PROGRESS], undefined);
  });

  it('strips the old volume health from PVCs and leaves per-VM keys and the finalizer to the fixer', () => {
    const after = applyModifiers(doc, dirtyPvc('disk'), PVCS);
    const left = verify(after).findings;
    assert.deepEqual(
      left.map((f) => f.rule.by),
      ['fixer', 'fixer', 'fixer'],
    );
    assert.deepEqual(left.map((f) => f.what).sort(), [
      'annotation cns.vmware.com/usedby-vm-4210a9b1-07cc-1d5e',
      'annotation cns.vmware.com/usedby-vm-9c1d2e3f-aaaa',
      'finalizer cns.vmware.com/pvc-protection',
    ]);
    assert.equal(
      after.metadata.annotations?.['volume.kubernetes.io/storage-provisioner'],
      'csi.vsphere.vmware.com',
    );
  });

  it('leaves every other resource alone', () => {
    const s = secret('boot');
    assert.deepEqual(applyModifiers(doc, s, 'secrets'), s);
    const vmLikeOtherGroup = asKube(vm('x'));
    assert.deepEqual(
      applyModifiers(doc, vmLikeOtherGroup, 'virtualmachines.kubevirt.io'),
      vmLikeOtherGroup,
    );
  });

  it('covers every modifier-owned key of strip-rules.ts', () => {
    const text = Object.values(cm.data)[0]!;
    for (const r of STRIP_RULES.filter((x) => x.by === 'modifier' && x.key !== 'powerState')) {
      assert.ok(
        text.includes(`"${r.where === 'spec' ? r.key.split('.').at(-1) : r.key}"`),
        `${r.kind} ${r.where} ${r.key} is not in the ConfigMap`,
      );
    }
  });
});
