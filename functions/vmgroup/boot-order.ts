// Boot order of a VirtualMachineGroup as VM Operator reads it (controllers/virtualmachinegroup,
// `reconcileMembers`): stages run in spec.bootOrder order, and each stage's powerOnDelay is added
// to a running total *before* its members are powered on, so stage i starts at
// delay[0] + ... + delay[i] after the group's power state changed. Pure.

import { KIND_VM, KIND_VMG } from './names.ts';

// The kinds are named once, in names.ts; boot-order's readers take them from here too.
export { KIND_VM, KIND_VMG };

export interface MemberRef {
  kind: typeof KIND_VM | typeof KIND_VMG;
  name: string;
}

export interface Stage {
  index: number;
  /** This stage's own powerOnDelay, in milliseconds. */
  delayMs: number;
  /** Milliseconds after the group's power-on at which this stage's members are powered on. */
  offsetMs: number;
  members: MemberRef[];
}

interface GroupLike {
  spec?: {
    bootOrder?: Array<{ members?: Array<{ name: string; kind?: string }>; powerOnDelay?: string }>;
  };
}

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Go's time.ParseDuration (what metav1.Duration accepts): "10s", "1m30s", "1.5h", "250ms", "0".
 * Throws on anything else, and on negative durations, which a delay cannot be.
 */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (s === '0' || s === '+0' || s === '-0') return 0;
  const m = /^([+-]?)((?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/.exec(s);
  if (!m) throw new Error(`invalid duration "${text}"`);
  if (m[1] === '-') throw new Error(`negative duration "${text}"`);
  let total = 0;
  for (const part of m[2]!.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(part[1]) * UNIT_MS[part[2]!]!;
  }
  return total;
}

/** A member's kind; VM Operator's default is VirtualMachine. */
export function memberKind(m: { kind?: string }): MemberRef['kind'] {
  return m.kind === KIND_VMG ? KIND_VMG : KIND_VM;
}

export function stages(group: GroupLike): Stage[] {
  let offset = 0;
  return (group.spec?.bootOrder ?? []).map((s, index) => {
    const delayMs = s.powerOnDelay ? parseDuration(s.powerOnDelay) : 0;
    offset += delayMs;
    return {
      index,
      delayMs,
      offsetMs: offset,
      members: (s.members ?? []).map((m) => ({ kind: memberKind(m), name: m.name })),
    };
  });
}

export function members(group: GroupLike): MemberRef[] {
  return stages(group).flatMap((s) => s.members);
}
