// Pure: what a restored object still carries that the declarative strip should have removed,
// and the post-create patch the fixer applies. No Kubernetes calls here.

import type { KubeObject, Patch } from '../runtime/kube/kube-api.ts';
import {
  ANNOTATION_RESTORE_STRIPPED,
  ANNOTATION_RESTORE_VARIANT,
  RESOURCE_MODIFIER_VARIANTS,
  RESTORE_STRIP_VERSION,
} from '../vmgroup/names.ts';
import { keptByVariant, rulesFor, type StripRule } from './strip-rules.ts';

export interface Finding {
  rule: StripRule;
  /** What exactly was found, e.g. `annotation vmoperator.vmware.com/restored-vm` or `spec.instanceUUID`. */
  what: string;
}

export interface Verification {
  kind: string;
  namespace: string;
  name: string;
  /** The resource modifier ran on this object (its marker is present). */
  stripped: boolean;
  /** The marker is present but from another rule-set version. */
  outdated: boolean;
  findings: Finding[];
}

type Spec = Record<string, unknown>;

function specOf(obj: KubeObject): Spec {
  const spec = obj.spec;
  return spec !== null && typeof spec === 'object' ? (spec as Spec) : {};
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

/** The value at a dotted path (`bootOptions.bootOrder`), undefined where any step is missing. */
function atPath(spec: Spec, dotted: string): unknown {
  let node: unknown = spec;
  for (const step of dotted.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[step];
  }
  return node;
}

function matchRule(obj: KubeObject, rule: StripRule): string[] {
  const annotations = obj.metadata.annotations ?? {};
  const labels = obj.metadata.labels ?? {};
  switch (rule.where) {
    case 'annotation':
      return Object.hasOwn(annotations, rule.key) ? [`annotation ${rule.key}`] : [];
    case 'annotationPrefix':
      return Object.keys(annotations)
        .filter((k) => k.startsWith(rule.key))
        .sort()
        .map((k) => `annotation ${k}`);
    case 'label':
      return Object.hasOwn(labels, rule.key) ? [`label ${rule.key}`] : [];
    case 'spec':
      return present(atPath(specOf(obj), rule.key)) ? [`spec.${rule.key}`] : [];
    case 'finalizer':
      return (obj.metadata.finalizers ?? []).includes(rule.key) ? [`finalizer ${rule.key}`] : [];
    case 'volume': {
      const volumes = specOf(obj).volumes;
      if (!Array.isArray(volumes)) return [];
      return volumes
        .filter((v) =>
          present((v as { persistentVolumeClaim?: Spec }).persistentVolumeClaim?.[rule.key]),
        )
        .map((v) => `spec.volumes[${String((v as { name?: string }).name)}] (instance storage)`);
    }
  }
}

export function verify(obj: KubeObject): Verification {
  const findings: Finding[] = [];
  // A variant of the modifier keeps some keys on purpose (the zone label of `keep-zone`).
  const variant = obj.metadata.annotations?.[ANNOTATION_RESTORE_VARIANT];
  const marker = obj.metadata.annotations?.[ANNOTATION_RESTORE_STRIPPED];
  // The shipped modifier (or a shipped variant) writes its marker in the same merge patch as
  // every key it removes, so on an object it marks those keys were gone before create: what
  // carries them now is VM Operator's own writing — its mutating webhook on create
  // (SetDefaultInstanceUUID, SetDefaultBiosUUID, ResolveClassAndClassName,
  // SetCreatedAtAnnotations) and its controllers after (manager-id, first-boot-done...) — not the
  // backup's. A copy of another version or an unknown variant proves nothing of the kind.
  const shipped =
    marker === RESTORE_STRIP_VERSION &&
    (variant === undefined || Object.hasOwn(RESOURCE_MODIFIER_VARIANTS, variant));
  for (const rule of rulesFor(obj.kind).filter((r) => !keptByVariant(r, variant))) {
    if (shipped && rule.by === 'modifier') continue;
    for (const what of matchRule(obj, rule)) findings.push({ rule, what });
  }
  // Not a key to strip but a value the webhook refuses at create; the modifier's hold replaces it.
  if (obj.kind === 'VirtualMachine' && specOf(obj).powerState === 'Suspended') {
    findings.push({
      rule: {
        kind: 'VirtualMachine',
        where: 'spec',
        key: 'powerState',
        effect: 'rejected',
        by: 'modifier',
        why: 'a VM cannot be created Suspended',
      },
      what: 'spec.powerState Suspended',
    });
  }
  return {
    kind: obj.kind,
    namespace: obj.metadata.namespace ?? '',
    name: obj.metadata.name,
    stripped: marker !== undefined,
    outdated: marker !== undefined && marker !== RESTORE_STRIP_VERSION,
    findings,
  };
}

/**
 * The fixer's patch for a restored PVC: drop the per-VM `cns.vmware.com/usedby-vm-<uuid>` keys,
 * the old CNS finalizer, and (when the modifier did not run) the old volume-health keys. Guarded
 * by resourceVersion because the finalizer list can only be replaced whole. Undefined = nothing to do.
 */
export function pvcFixPatch(pvc: KubeObject): Patch | undefined {
  const v = verify(pvc);
  const annotations: Record<string, null> = {};
  let finalizers: string[] | undefined;
  for (const f of v.findings) {
    if (f.rule.where === 'annotation') annotations[f.rule.key] = null;
    if (f.rule.where === 'annotationPrefix') annotations[f.what.slice('annotation '.length)] = null;
    if (f.rule.where === 'finalizer')
      finalizers = (pvc.metadata.finalizers ?? []).filter((x) => x !== f.rule.key);
  }
  if (Object.keys(annotations).length === 0 && finalizers === undefined) return undefined;
  const metadata: Record<string, unknown> = { resourceVersion: pvc.metadata.resourceVersion };
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  if (finalizers !== undefined) metadata.finalizers = finalizers;
  return { type: 'merge', body: { metadata } };
}
