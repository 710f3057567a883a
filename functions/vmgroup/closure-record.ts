// The closure each group had when the labeler expanded a Backup, recorded on the Backup
// (ANNOTATION_BACKUP_CLOSURE) so that the backup verifier can later compare the Backup's item list
// with it. The verifier may not list the application's objects (least privilege) and by the time
// the Backup finishes they may have changed; this record is what was labelled for that Backup.
// Compact JSON: per group, names by kind, plus the objects the Backup's own filters cut and why.

import type { ClosureKind, ObjectKey } from './closure.ts';
import { KIND_ORDER, compareKeys } from './closure.ts';

export type CutReason = 'resourceFilter' | 'labelSelector' | 'excludeLabel';

export interface RecordedGroup {
  namespace: string;
  name: string;
  /** Every object of the closure that existed when it was labelled, cut ones included. */
  objects: ObjectKey[];
  /** Objects the Backup's filters leave out, as the labeler judged them. */
  cut: Array<ObjectKey & { reason: CutReason }>;
}

export interface ClosureRecord {
  version: 1;
  groups: RecordedGroup[];
}

interface Wire {
  version: 1;
  /** Why the groups are not recorded (too large for an annotation). */
  omitted?: string;
  groups: Array<{
    namespace: string;
    name: string;
    objects: Partial<Record<ClosureKind, string[]>>;
    cut?: Array<{ kind: ClosureKind; name: string; reason: CutReason }>;
  }>;
}

const CUT_REASONS: ReadonlySet<string> = new Set([
  'resourceFilter',
  'labelSelector',
  'excludeLabel',
]);

/**
 * Annotations of one object share 256 KiB (apimachinery ValidateAnnotationsSize); a record larger
 * than this is replaced by one saying so, so the labeler's write never fails and the verifier can
 * say why it cannot verify.
 */
export const MAX_RECORD_BYTES = 128 * 1024;

export function formatClosureRecord(groups: readonly RecordedGroup[]): string {
  const full = formatGroups(groups);
  if (Buffer.byteLength(full) <= MAX_RECORD_BYTES) return full;
  const objects = groups.reduce((n, g) => n + g.objects.length, 0);
  return JSON.stringify({
    version: 1,
    omitted: `the closure of ${groups.length} group(s), ${objects} objects, is larger than an annotation may hold (${MAX_RECORD_BYTES} bytes)`,
    groups: [],
  } satisfies Wire);
}

function formatGroups(groups: readonly RecordedGroup[]): string {
  const wire: Wire = {
    version: 1,
    groups: groups.map((g) => {
      const objects: Partial<Record<ClosureKind, string[]>> = {};
      for (const o of [...g.objects].sort(compareKeys)) (objects[o.kind] ??= []).push(o.name);
      const cut = [...g.cut]
        .sort(compareKeys)
        .map((c) => ({ kind: c.kind, name: c.name, reason: c.reason }));
      return { namespace: g.namespace, name: g.name, objects, ...(cut.length ? { cut } : {}) };
    }),
  };
  return JSON.stringify(wire);
}

const isKind = (k: string): k is ClosureKind => (KIND_ORDER as readonly string[]).includes(k);
const isNameList = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((n) => typeof n === 'string' && n.length > 0);

/** The record, or a reason it cannot be used (never guessed past: a bad record verifies nothing). */
export function parseClosureRecord(
  raw: string | undefined,
): { record: ClosureRecord } | { error: string } | undefined {
  if (raw === undefined) return undefined;
  let wire: unknown;
  try {
    wire = JSON.parse(raw);
  } catch {
    return { error: 'is not JSON' };
  }
  const w = wire as Partial<Wire> | null;
  if (typeof w !== 'object' || w === null || w.version !== 1 || !Array.isArray(w.groups))
    return { error: 'is not a version 1 closure record' };
  if (typeof w.omitted === 'string') return { error: `omits the groups: ${w.omitted}` };
  const groups: RecordedGroup[] = [];
  for (const g of w.groups as unknown[]) {
    const r = g as Partial<Wire['groups'][number]> | null;
    if (
      typeof r?.namespace !== 'string' ||
      typeof r.name !== 'string' ||
      typeof r.objects !== 'object' ||
      r.objects === null
    )
      return { error: 'has a group without namespace, name or objects' };
    const objects: ObjectKey[] = [];
    for (const [kind, names] of Object.entries(r.objects)) {
      if (!isKind(kind) || !isNameList(names))
        return { error: `has a bad entry ${JSON.stringify(kind)}` };
      for (const name of names) objects.push({ kind, name });
    }
    const cut: RecordedGroup['cut'] = [];
    for (const c of (r.cut ?? []) as unknown[]) {
      const x = c as { kind?: unknown; name?: unknown; reason?: unknown } | null;
      if (
        typeof x?.kind !== 'string' ||
        !isKind(x.kind) ||
        typeof x.name !== 'string' ||
        typeof x.reason !== 'string' ||
        !CUT_REASONS.has(x.reason)
      )
        return { error: 'has a bad cut entry' };
      cut.push({ kind: x.kind, name: x.name, reason: x.reason as CutReason });
    }
    groups.push({ namespace: r.namespace, name: r.name, objects, cut });
  }
  return { record: { version: 1, groups } };
}
