// Test support: applies a Velero resource-modifier document to an object the way Velero v1.17
// does (internal/resourcemodifiers: every rule's conditions are matched against the object as it
// was before any rule ran; a rule applies its JSON patches, else its merge patches; a `matches`
// test on a missing path is "no match", an out-of-range index an error). Used to show what the
// ConfigMap in config/ does to restored objects; the end-to-end suite runs the real Velero.

import { readFileSync } from 'node:fs';
import { parse, parseAllDocuments } from 'yaml';
import type { VeleroResourceModifiers } from '../../../schemas/generated/velero/resource-modifiers.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

export const CONFIGMAP_PATH = new URL(
  '../../../config/base/velero-resource-modifiers/configmap.yaml',
  import.meta.url,
);

export interface ModifierConfigMap {
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  data: Record<string, string>;
}

export function readConfigMap(path: URL = CONFIGMAP_PATH): ModifierConfigMap {
  const docs = parseAllDocuments(readFileSync(path, 'utf8'));
  if (docs.length !== 1) throw new Error(`${path.pathname}: expected one document`);
  return docs[0]!.toJS() as ModifierConfigMap;
}

/** Velero requires exactly one data key and reads its value as the modifier document. */
export function modifierDocument(cm: ModifierConfigMap): VeleroResourceModifiers {
  const values = Object.values(cm.data ?? {});
  if (values.length !== 1)
    throw new Error('a resource-modifier ConfigMap must have exactly one data key');
  return parse(values[0]!) as VeleroResourceModifiers;
}

/** `groupResource` as Velero computes it: `<plural>.<group>`, or `<plural>` for the core group. */
export function groupResourceOf(apiVersion: string, plural: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? plural : `${plural}.${apiVersion.slice(0, slash)}`;
}

export function applyModifiers<T extends object>(
  doc: VeleroResourceModifiers,
  obj: T,
  groupResource: string,
): T {
  const origin = structuredClone(obj) as unknown as Obj;
  let current = structuredClone(obj) as unknown as Obj;
  for (const rule of doc.resourceModifierRules) {
    if (!matches(rule.conditions, origin, groupResource)) continue;
    if (rule.patches && rule.patches.length > 0) current = applyJsonPatch(current, rule.patches);
    else if (rule.mergePatches && rule.mergePatches.length > 0) {
      for (const p of rule.mergePatches)
        current = mergePatch(current, parse(p.patchData ?? '') as Json) as Obj;
    } else throw new Error('strategic patches are not emulated here');
  }
  return current as unknown as T;
}

type Conditions = VeleroResourceModifiers['resourceModifierRules'][number]['conditions'];

function matches(c: Conditions, obj: Obj, groupResource: string): boolean {
  const meta = (obj.metadata ?? {}) as Obj;
  const ns = meta.namespace as string | undefined;
  if (
    ns &&
    c.namespaces &&
    c.namespaces.length > 0 &&
    !c.namespaces.some((n) => n === '*' || n === ns)
  )
    return false;
  if (!globMatch(c.groupResource, groupResource)) return false;
  if (c.resourceNameRegex && !new RegExp(c.resourceNameRegex).test(String(meta.name))) return false;
  if (
    c.labelSelector &&
    !selectorMatches(c.labelSelector, (meta.labels ?? {}) as Record<string, string>)
  )
    return false;
  for (const m of c.matches ?? []) {
    const found = pointerGet(obj, m.path);
    if (found === MISSING) return false;
    if (!deepEqual(found, patchValue(m.value ?? ''))) return false;
  }
  return true;
}

/** gobwas/glob with '.' as separator: `*` stays inside one segment, `**` crosses them. */
function globMatch(pattern: string, value: string): boolean {
  const re = pattern
    .split(/(\*\*|\*|\?)/)
    .map((part) =>
      part === '**'
        ? '.*'
        : part === '*'
          ? '[^.]*'
          : part === '?'
            ? '[^.]'
            : part.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
    )
    .join('');
  return new RegExp(`^${re}$`).test(value);
}

function selectorMatches(
  sel: NonNullable<Conditions['labelSelector']>,
  labels: Record<string, string>,
): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const inValues = has && (e.values ?? []).includes(labels[e.key]!);
    if (e.operator === 'In' && !inValues) return false;
    if (e.operator === 'NotIn' && inValues) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** Velero's JSONPatch value: a string, unless it reads as null, a boolean, a number, an object or an array. */
function patchValue(v: string): Json {
  if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) return v.slice(1, -1);
  if (v === '') return '';
  if (
    v === 'null' ||
    /^(true|false)$/i.test(v) ||
    v.startsWith('{') ||
    v.startsWith('[') ||
    !Number.isNaN(Number(v))
  ) {
    return JSON.parse(
      v.toLowerCase() === 'true' || v.toLowerCase() === 'false' ? v.toLowerCase() : v,
    ) as Json;
  }
  return v;
}

const MISSING = Symbol('missing');

function pointerGet(obj: Json, pointer: string): Json | typeof MISSING {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let cur: Json = obj;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (Array.isArray(cur)) {
      const idx = Number(p);
      // evanphx/json-patch: an index past the end is ErrInvalidIndex, which Velero reports as an error.
      if (!Number.isInteger(idx) || idx < 0 || idx >= cur.length)
        throw new Error(`invalid index ${p} in ${pointer}`);
      cur = cur[idx]!;
    } else if (cur !== null && typeof cur === 'object') {
      if (!Object.hasOwn(cur, p)) return i === parts.length - 1 ? null : MISSING;
      cur = cur[p]!;
    } else return MISSING;
  }
  return cur;
}

/** RFC 7386. */
export function mergePatch(target: Json, patch: Json): Json {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Obj =
    target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k] ?? null, v);
  }
  return out;
}

function applyJsonPatch(
  obj: Obj,
  ops: NonNullable<VeleroResourceModifiers['resourceModifierRules'][number]['patches']>,
): Obj {
  const doc = structuredClone(obj);
  for (const op of ops) {
    const parts = op.path
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop()!;
    let parent: Json = doc;
    for (const p of parts) parent = (parent as Obj)[p] ?? null;
    const kind = op.operation.toLowerCase();
    if (kind === 'test') {
      if (!deepEqual(pointerGet(doc, op.path) as Json, patchValue(op.value ?? ''))) return obj;
    } else if (kind === 'remove') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete (parent as Obj)[last];
    } else if (kind === 'add' || kind === 'replace') {
      if (Array.isArray(parent))
        parent.splice(
          last === '-' ? parent.length : Number(last),
          kind === 'add' ? 0 : 1,
          patchValue(op.value ?? ''),
        );
      else (parent as Obj)[last] = patchValue(op.value ?? '');
    } else throw new Error(`operation ${op.operation} is not emulated here`);
  }
  return doc;
}

function deepEqual(a: Json | typeof MISSING, b: Json): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
