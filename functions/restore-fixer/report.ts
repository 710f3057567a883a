// Pure: what the fixer tells the user on the Restore when the declarative strip did not happen —
// which objects were or will be rejected and why, and the exact command that restores correctly.

import type { EventRecord, KubeObject } from '../runtime/kube/kube-api.ts';
import {
  MEMBER_LABEL_PREFIX,
  SEED_GROUP_LABEL,
  RESOURCE_MODIFIER_CONFIGMAP,
  RESOURCE_MODIFIER_VARIANTS,
  REASON_RESTORE_MEMBERS_MISSING,
  REASON_RESTORE_MODIFIER_MISSING,
  REASON_RESTORE_STRIP_INCOMPLETE,
} from '../vmgroup/names.ts';
import { STRIP_RULES } from './strip-rules.ts';
import type { Verification } from './verify.ts';

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string }>;
}

/** Velero writes absent lists and selectors as null (the schema allows it). */
export interface RestoreLike extends KubeObject {
  spec?: {
    backupName?: string;
    scheduleName?: string;
    includedNamespaces?: string[] | null;
    excludedNamespaces?: string[] | null;
    namespaceMapping?: Record<string, string> | null;
    includedResources?: string[] | null;
    labelSelector?: Selector | null;
    orLabelSelectors?: Selector[] | null;
    resourceModifier?: { kind?: string; name?: string } | null;
  };
  status?: { phase?: string; errors?: number };
}

/** Event messages stay readable in `kubectl describe`; longer lists end with a count. */
export const MAX_MESSAGE = 2048;

export const TERMINAL_PHASES = ['Completed', 'PartiallyFailed', 'Failed', 'FailedValidation'];

const OUR_MODIFIERS: ReadonlySet<string> = new Set([
  RESOURCE_MODIFIER_CONFIGMAP,
  ...Object.values(RESOURCE_MODIFIER_VARIANTS),
]);

/** The Restore names the product's modifier ConfigMap or one of its shipped variants. */
export function usesOurModifier(restore: RestoreLike): boolean {
  const ref = restore.spec?.resourceModifier;
  return (
    !!ref && OUR_MODIFIERS.has(ref.name ?? '') && (ref.kind ?? '').toLowerCase() === 'configmap'
  );
}

/**
 * Whether a Restore is about VM groups before any object exists: it selects by a membership
 * label (what a group's backup is made with) or names VM Operator resources. A plain namespace
 * restore is only warned about once a VM actually comes back unstripped, so restores without VMs
 * stay quiet.
 */
export function targetsGroups(restore: RestoreLike): boolean {
  const s = restore.spec ?? {};
  const keys = [s.labelSelector, ...(s.orLabelSelectors ?? [])].flatMap((sel) => [
    ...Object.keys(sel?.matchLabels ?? {}),
    ...(sel?.matchExpressions ?? []).map((e) => e.key),
  ]);
  if (keys.some((k) => k.startsWith(MEMBER_LABEL_PREFIX) || k === SEED_GROUP_LABEL)) return true;
  return (s.includedResources ?? []).some((r) =>
    /^virtualmachine(group)?s?(\.|$)/.test(r.toLowerCase()),
  );
}

/**
 * A flag value as a POSIX shell word: users paste the re-run command, and an unquoted `*` (Velero's
 * "all namespaces") would be expanded to file names by their shell.
 */
export function shellWord(value: string): string {
  if (/^[A-Za-z0-9_./:=,@%+-]+$/.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The `velero restore create` line that repeats this restore with the modifier. */
export function rerunCommand(restore: RestoreLike): string {
  const s = restore.spec ?? {};
  const parts = ['velero restore create'];
  const flag = (name: string, value: string) => parts.push(`--${name} ${shellWord(value)}`);
  if (s.scheduleName) flag('from-schedule', s.scheduleName);
  else parts.push(`--from-backup ${s.backupName ? shellWord(s.backupName) : '<backup>'}`);
  if (s.includedNamespaces?.length) flag('include-namespaces', s.includedNamespaces.join(','));
  if (s.excludedNamespaces?.length) flag('exclude-namespaces', s.excludedNamespaces.join(','));
  if (s.includedResources?.length) flag('include-resources', s.includedResources.join(','));
  const mapping = Object.entries(s.namespaceMapping ?? {});
  if (mapping.length) flag('namespace-mappings', mapping.map(([a, b]) => `${a}:${b}`).join(','));
  const labels = Object.entries(s.labelSelector?.matchLabels ?? {});
  if (labels.length) flag('selector', labels.map(([k, v]) => `${k}=${v}`).join(','));
  const or = (s.orLabelSelectors ?? []).map((sel) =>
    Object.entries(sel.matchLabels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
  );
  if (or.length) flag('or-selector', or.join(' or '));
  flag('resource-modifier-configmap', RESOURCE_MODIFIER_CONFIGMAP);
  return parts.join(' ');
}

function clip(text: string): string {
  return text.length <= MAX_MESSAGE ? text : `${text.slice(0, MAX_MESSAGE - 1)}…`;
}

const REJECTED_KEYS = STRIP_RULES.filter(
  (r) => r.kind === 'VirtualMachine' && r.effect === 'rejected' && r.by === 'modifier',
)
  .map((r) => (r.where === 'spec' ? `spec.${r.key}` : r.key))
  .join(', ');

/** On a Restore that does not name the modifier ConfigMap, as soon as it is seen. */
export function modifierMissingEvent(restore: RestoreLike): EventRecord {
  const ref = restore.spec?.resourceModifier;
  const uses = ref?.name
    ? `uses the resource modifier ConfigMap "${ref.name}", not "${RESOURCE_MODIFIER_CONFIGMAP}"`
    : `has no resource modifier (spec.resourceModifier is unset)`;
  return {
    type: 'Warning',
    reason: REASON_RESTORE_MODIFIER_MISSING,
    dedupeKey: 'modifier-missing',
    message: clip(
      `Restore ${restore.metadata.name} ${uses}. VM Operator's webhook rejects VirtualMachines created by Velero (not a privileged user) that carry ${REJECTED_KEYS}; ` +
        `restored VMs keep the old infrastructure's identity and power on before their group is complete. ` +
        `Delete what this restore created and run: ${rerunCommand(restore)}`,
    ),
  };
}

function byWhy(findings: Verification['findings']): string {
  const groups = new Map<string, string[]>();
  for (const f of findings)
    groups.set(f.rule.why, [...(groups.get(f.rule.why) ?? []), f.what.replace(/^annotation /, '')]);
  return [...groups].map(([why, whats]) => `${whats.join(', ')} (${why})`).join('; ');
}

function describe(v: Verification): string {
  const rejected = v.findings.filter((f) => f.rule.effect === 'rejected');
  const stale = v.findings
    .filter((f) => f.rule.effect === 'stale' && f.rule.by === 'modifier')
    .map((f) => f.what);
  const stuck = v.findings.filter((f) => f.rule.effect === 'stale' && f.rule.by === 'report');
  const parts: string[] = [];
  if (rejected.length)
    parts.push(`rejected by VM Operator for a non-privileged creator: ${byWhy(rejected)}`);
  if (stale.length)
    parts.push(
      `old identity kept: ${stale[0]}${stale.length > 1 ? ` and ${stale.length - 1} more` : ''}`,
    );
  if (stuck.length) parts.push(`needs a privileged user: ${byWhy(stuck)}`);
  if (!v.stripped && v.kind === 'VirtualMachine') parts.push('not held powered off');
  if (v.outdated) parts.push('stripped by an outdated copy of the modifier');
  return `${v.kind} ${v.namespace}/${v.name}: ${parts.join('; ') || 'not processed by the modifier'}`;
}

/** The modifier did not run (or an old copy did), or the object carries what only a privileged user can fix. */
export function needsReport(v: Verification): boolean {
  return (
    !v.stripped ||
    v.outdated ||
    v.findings.some((f) => f.rule.by === 'modifier' || f.rule.by === 'report')
  );
}

/** Objects a restore created that the modifier did not (fully) process. Undefined = nothing to say. */
export function stripIncompleteEvent(
  restore: RestoreLike,
  namespace: string,
  verified: Verification[],
): EventRecord | undefined {
  const bad = verified.filter(needsReport);
  if (bad.length === 0) return undefined;
  // VMs first: they are what the webhook rejects.
  bad.sort((a, b) => Number(b.kind === 'VirtualMachine') - Number(a.kind === 'VirtualMachine'));
  const unstripped = bad.filter((v) => !v.stripped || v.outdated).length;
  const head = unstripped
    ? `${bad.length} object(s) restored into ${namespace} without the resource modifier's strip: `
    : `${bad.length} object(s) restored into ${namespace} carry what only a privileged user can remove: `;
  const tail = unstripped
    ? `Re-run: ${rerunCommand(restore)}`
    : 'Ask a Supervisor administrator (a VM Operator privileged user) to remove them.';
  const budget = MAX_MESSAGE - head.length - tail.length - 30;
  let body = '';
  let shown = 0;
  for (const line of bad.map(describe)) {
    const room = budget - body.length;
    if (room < 60) break;
    body += line.length + 2 <= room ? `${line}. ` : `${line.slice(0, Math.max(room - 3, 0))}… `;
    shown++;
  }
  const more = shown < bad.length ? `…and ${bad.length - shown} more. ` : '';
  return {
    type: 'Warning',
    reason: REASON_RESTORE_STRIP_INCOMPLETE,
    dedupeKey: `strip-incomplete/${namespace}`,
    message: `${head}${body}${more}${tail}`,
  };
}

/** After a restore without the modifier ended: group members it did not create (rejected, or not in the backup). */
export function membersMissingEvent(
  restore: RestoreLike,
  namespace: string,
  missing: string[],
): EventRecord | undefined {
  if (missing.length === 0) return undefined;
  return {
    type: 'Warning',
    reason: REASON_RESTORE_MEMBERS_MISSING,
    dedupeKey: `members-missing/${namespace}`,
    message: clip(
      `Restore ${restore.metadata.name} ended without creating ${missing.length} group member(s) in ${namespace}: ${missing.join(', ')}. ` +
        `Without the resource modifier VM Operator rejects VMs that carry ${REJECTED_KEYS} (velero restore describe ${restore.metadata.name} --details lists the errors). Re-run: ${rerunCommand(restore)}`,
    ),
  };
}
