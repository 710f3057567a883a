// How a Backup/Restore selects items by label, reduced to what the guard needs: does it select
// at all, and does every alternative go through the product's membership label? The membership
// label is written only by the backup labeler and only on a group's closure (DESIGN.md §3), so a
// selection that requires it cannot reach Supervisor-owned resources.

import type { LabelSelector } from '../../schemas/generated/objects/label-selector.ts';
import { isMemberLabelKey } from '../vmgroup/names.ts';
import type { FilterSpec } from './resource-filter.ts';

export type Selection = 'everything' | 'membership' | 'other';

/** A selector term that can only match objects carrying some membership label. */
function requiresMembership(selector: LabelSelector): boolean {
  const byLabel = Object.keys(selector.matchLabels ?? {}).some(isMemberLabelKey);
  const byExpression = (selector.matchExpressions ?? []).some(
    (e) =>
      isMemberLabelKey(e.key) &&
      (e.operator === 'Exists' || (e.operator === 'In' && (e.values?.length ?? 0) > 0)),
  );
  return byLabel || byExpression;
}

const isEmpty = (s: LabelSelector | undefined): boolean =>
  !s || (Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0);

/** Velero uses `labelSelector` when set, otherwise `orLabelSelectors` (either may be empty). */
export function classifySelection(spec: FilterSpec): Selection {
  if (!isEmpty(spec.labelSelector)) {
    return requiresMembership(spec.labelSelector as LabelSelector) ? 'membership' : 'other';
  }
  const alternatives = (spec.orLabelSelectors ?? []).filter((s) => !isEmpty(s));
  if (alternatives.length === 0) return 'everything';
  return alternatives.every(requiresMembership) ? 'membership' : 'other';
}

const KNOWN_OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

/** meta/v1 LabelSelector semantics for checking live objects against a Backup's selection. */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {}))
    if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    const values = e.values ?? [];
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
    if (e.operator === 'In' && !(has && values.includes(value as string))) return false;
    if (e.operator === 'NotIn' && has && values.includes(value as string)) return false;
    // Any other operator makes the selector invalid: Velero's conversion fails, nothing is selected.
    if (!KNOWN_OPERATORS.has(e.operator)) return false;
  }
  return true;
}

/** Does the Backup's label selection pick an object with these labels? */
export function selectionMatches(spec: FilterSpec, labels: Record<string, string>): boolean {
  if (!isEmpty(spec.labelSelector))
    return selectorMatches(spec.labelSelector as LabelSelector, labels);
  const alternatives = (spec.orLabelSelectors ?? []).filter((s) => !isEmpty(s));
  return alternatives.length === 0 || alternatives.some((s) => selectorMatches(s, labels));
}
