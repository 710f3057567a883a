// The optional variants of the restore modifier (config/base/velero-resource-modifiers/variants/):
// each is the default rule set plus exactly its documented difference, valid for Velero, and
// the fixer neither reports what a variant keeps on purpose nor warns about a Restore naming one.

import assert from 'node:assert/strict';
import { loadValidators } from '../../runtime/schema/schema-source.ts';
import { schemaId } from '../../runtime/schema/schema-files.ts';
import { violation } from '../../runtime/schema/validation.ts';
import {
  ANNOTATION_RESTORE_STRIPPED,
  ANNOTATION_RESTORE_VARIANT,
  RESOURCE_MODIFIER_CONFIGMAP,
  RESOURCE_MODIFIER_VARIANTS,
  RESTORE_STRIP_VERSION,
  VELERO_EXCLUDE_LABEL,
} from '../../vmgroup/names.ts';
import type { ResourceModifierVariant } from '../../vmgroup/names.ts';
import { asKube, vm } from '../../vmgroup/test/builders.ts';
import type { KubeObject } from '../../runtime/kube/kube-api.ts';
import { usesOurModifier } from '../report.ts';
import { ZONE_LABEL } from '../strip-rules.ts';
import { verify } from '../verify.ts';
import { dirtyVm } from './dirty-objects.ts';
import { VARIANT_PATHS } from './variant-paths.ts';
import {
  applyModifiers,
  groupResourceOf,
  modifierDocument,
  readConfigMap,
} from '../../velero/test/velero-modifiers.ts';
import type { VeleroResourceModifiers } from '../../../schemas/generated/velero/resource-modifiers.ts';

const VMS = groupResourceOf('vmoperator.vmware.com/v1alpha5', 'virtualmachines');

type Patch = {
  metadata: { annotations: Record<string, unknown>; labels: Record<string, unknown> };
  spec: Record<string, unknown>;
};

/** The default document with one variant's documented difference applied (what the file must be). */
function expectedVariant(base: VeleroResourceModifiers, variant: ResourceModifierVariant) {
  const doc = structuredClone(base);
  const vmRule = doc.resourceModifierRules.find(
    (r) => r.conditions.groupResource === VMS && !r.conditions.matches,
  )!;
  const patch = JSON.parse((vmRule.mergePatches![0] as { patchData: string }).patchData) as Patch;
  patch.metadata.annotations[ANNOTATION_RESTORE_VARIANT] = variant;
  if (variant === 'keep-zone') delete patch.metadata.labels[ZONE_LABEL];
  if (variant === 'image-by-name') patch.spec['image'] = null;
  return { doc, vmRule, patch };
}

function vmPatchOf(doc: VeleroResourceModifiers): Patch {
  const rule = doc.resourceModifierRules.find(
    (r) => r.conditions.groupResource === VMS && !r.conditions.matches,
  )!;
  return JSON.parse((rule.mergePatches![0] as { patchData: string }).patchData) as Patch;
}

describe('restore modifier variants', () => {
  const base = modifierDocument(readConfigMap());

  for (const variant of Object.keys(VARIANT_PATHS) as ResourceModifierVariant[]) {
    const cm = readConfigMap(VARIANT_PATHS[variant]);
    const doc = modifierDocument(cm);

    it(`${variant}: a ConfigMap Velero accepts, named ${RESOURCE_MODIFIER_VARIANTS[variant]}`, async () => {
      assert.equal(cm.metadata.name, RESOURCE_MODIFIER_VARIANTS[variant]);
      assert.equal(cm.metadata.namespace, 'velero');
      assert.equal(cm.metadata.labels?.[VELERO_EXCLUDE_LABEL], 'true');
      assert.equal(Object.keys(cm.data).length, 1);
      const validators = await loadValidators();
      assert.equal(violation(validators, schemaId('velero/resource-modifiers'), doc), undefined);
    });

    it(`${variant}: is the default rule set plus exactly its difference`, () => {
      const { doc: want, patch } = expectedVariant(base, variant);
      // Every rule but the VM one is identical text; the VM rule's patch is the expected JSON.
      const others = (d: VeleroResourceModifiers) =>
        d.resourceModifierRules.filter(
          (r) => !(r.conditions.groupResource === VMS && !r.conditions.matches),
        );
      assert.deepEqual(others(doc), others(want));
      assert.deepEqual(vmPatchOf(doc), patch);
      assert.equal(doc.resourceModifierRules.length, base.resourceModifierRules.length);
    });

    it(`${variant}: a Restore naming it uses the product's modifier`, () => {
      const restore = {
        apiVersion: 'velero.io/v1',
        kind: 'Restore',
        metadata: { name: 'r', namespace: 'velero' },
        spec: {
          resourceModifier: { kind: 'ConfigMap', name: RESOURCE_MODIFIER_VARIANTS[variant] },
        },
      };
      assert.ok(usesOurModifier(restore));
    });
  }

  it('the default still strips the zone label, and the fixer reports it on a VM restored without the modifier', () => {
    const before = dirtyVm('web', { labels: { [ZONE_LABEL]: 'zone-a' } });
    const after = applyModifiers(base, before, VMS);
    assert.equal(after.metadata.labels?.[ZONE_LABEL], undefined);
    const unstripped = {
      ...after,
      metadata: {
        ...after.metadata,
        labels: { [ZONE_LABEL]: 'zone-a' },
        annotations: {},
      },
    };
    assert.deepEqual(
      verify(unstripped).findings.map((f) => f.what),
      [`label ${ZONE_LABEL}`],
    );
  });

  it('keep-zone keeps the zone label, strips everything else, and the fixer finds nothing', () => {
    const doc = modifierDocument(readConfigMap(VARIANT_PATHS['keep-zone']));
    const before = dirtyVm('web', { labels: { [ZONE_LABEL]: 'zone-a' }, powerState: 'PoweredOn' });
    const after = applyModifiers(doc, before, VMS);
    assert.equal(after.metadata.labels?.[ZONE_LABEL], 'zone-a');
    assert.equal(after.metadata.annotations?.[ANNOTATION_RESTORE_STRIPPED], RESTORE_STRIP_VERSION);
    assert.equal(after.metadata.annotations?.[ANNOTATION_RESTORE_VARIANT], 'keep-zone');
    const v = verify(after);
    assert.deepEqual(v.findings, []);
    assert.equal(v.outdated, false);
    // Everything else the default strips is gone: same result as the default but for the label.
    const byDefault = applyModifiers(base, before, VMS) as KubeObject;
    const annotations = { ...after.metadata.annotations };
    delete annotations[ANNOTATION_RESTORE_VARIANT];
    assert.deepEqual(annotations, byDefault.metadata.annotations);
    assert.deepEqual(after.spec, byDefault.spec);
  });

  it('image-by-name drops spec.image and keeps spec.imageName', () => {
    const doc = modifierDocument(readConfigMap(VARIANT_PATHS['image-by-name']));
    const before = asKube(
      vm('web', {
        spec: {
          image: { kind: 'VirtualMachineImage', name: 'vmi-0a1b2c3d4e5f67890' },
          imageName: 'ubuntu-24.04-server',
        },
      }),
    );
    const after = applyModifiers(doc, before, VMS) as KubeObject & {
      spec: Record<string, unknown>;
    };
    assert.equal(after.spec['image'], undefined);
    assert.equal(after.spec['imageName'], 'ubuntu-24.04-server');
    assert.equal(after.metadata.annotations?.[ANNOTATION_RESTORE_VARIANT], 'image-by-name');
    assert.deepEqual(verify(after).findings, []);
    // The default keeps spec.image (same Supervisor: the vmi- name still resolves).
    const byDefault = applyModifiers(base, before, VMS) as KubeObject & {
      spec: Record<string, unknown>;
    };
    assert.deepEqual(byDefault.spec['image'], {
      kind: 'VirtualMachineImage',
      name: 'vmi-0a1b2c3d4e5f67890',
    });
  });

  it('an unknown variant name on an object exempts nothing', () => {
    const obj = asKube(
      vm('web', {
        labels: { [ZONE_LABEL]: 'a' },
        annotations: { [ANNOTATION_RESTORE_VARIANT]: 'mine', [ANNOTATION_RESTORE_STRIPPED]: '1' },
      }),
    );
    assert.deepEqual(
      verify(obj).findings.map((f) => f.what),
      [`label ${ZONE_LABEL}`],
    );
    assert.notEqual(RESOURCE_MODIFIER_CONFIGMAP, RESOURCE_MODIFIER_VARIANTS['keep-zone']);
  });
});
