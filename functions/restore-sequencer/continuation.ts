// Pure: what the sequencer answers after one decision, and how a timed continuation waits.
//
// Nothing waits inside an ordinary event. A timed continuation — the group-ready reply, then
// sequence-due replies — comes back through the Broker; its request sleeps until the next stage
// is due (bounded by maxWaitMs), or, while a readiness gate is open, re-checks the gate every
// pollMs. A lease in the progress keeps ordinary events from starting a second chain; if a chain
// is lost, the lease expires and the next event or tick starts another.

import type { OutboundEvent } from '../runtime/function.ts';
import type { Decision, Progress } from './plan.ts';
import { dueReply, heldReply, readyReply, releasedReply } from './report.ts';

/** What delivered the event: the periodic tick, the chain's own continuation, or anything else. */
export type Trigger = 'event' | 'tick' | 'continuation';

/** A continuation is presumed lost this long after its request should have ended. */
export const LEASE_GRACE_MS = 15_000;

export interface ReplyPlan {
  reply?: OutboundEvent;
  /** Write this lease on the progress, but only if this reply is the one sent. */
  leaseUntil?: string;
}

export interface ReplyContext {
  trigger: Trigger;
  nowMs: number;
  maxWaitMs: number;
  pollMs: number;
  restoreEnded: boolean;
  /** This request already holds the lease (a continuation after its first pass). */
  leaseHeld?: boolean;
}

const HELD_STATES: ReadonlyArray<Decision['state']> = ['waiting', 'blocked', 'not-held', 'stopped'];

/** When to look at a releasing tree again: its next stage, or the open gate's next poll. */
export function nextCheckMs(d: Decision, nowMs: number, pollMs: number): number | undefined {
  if (d.nextDueMs === undefined) return undefined;
  return d.openGate ? Math.min(d.nextDueMs, nowMs + pollMs) : d.nextDueMs;
}

export function planReply(d: Decision, progress: Progress | undefined, c: ReplyContext): ReplyPlan {
  if (d.becameReleased && progress) return { reply: releasedReply(d, progress) };
  const at = nextCheckMs(d, c.nowMs, c.pollMs);
  if (d.state === 'releasing' && progress && at !== undefined) {
    const leaseLive = progress.lease !== undefined && Date.parse(progress.lease) > c.nowMs;
    if (c.trigger !== 'continuation' && !d.becameReady && leaseLive) return {};
    return {
      reply: d.becameReady ? readyReply(d, progress) : dueReply(d, at),
      ...(c.leaseHeld
        ? {}
        : { leaseUntil: new Date(c.nowMs + c.maxWaitMs + LEASE_GRACE_MS).toISOString() }),
    };
  }
  // A held tree answers the events that may change it (not every tick: those change nothing by
  // themselves and would repeat the same answer for every held tree in the cluster).
  if (c.trigger === 'event' && HELD_STATES.includes(d.state))
    return { reply: heldReply(d, c.restoreEnded) };
  return {};
}

const RANK = ['group-released', 'group-ready', 'sequence-due', 'group-held'];

/** HTTP carries one reply: the most final first (the others still have their Kubernetes Events). */
export function pickReply<T extends ReplyPlan>(plans: readonly T[]): T | undefined {
  const rank = (p: T): number => RANK.findIndex((r) => p.reply!.type.endsWith(`.${r}`));
  return plans.filter((p) => p.reply).sort((a, b) => rank(a) - rank(b))[0];
}

/**
 * Each ask's one reply, when one run answers several asks (member events batched into one run):
 * an ask names the trees its targets lie in, and each tree's reply goes to the first ask naming
 * it, so every tree that has something to send gets it out, as if each event had run alone.
 */
export function assignReplies<T extends ReplyPlan>(
  asks: ReadonlyArray<readonly string[]>,
  plans: ReadonlyMap<string, T>,
): Array<T | undefined> {
  const taken = new Set<string>();
  return asks.map((trees) => {
    const free = [...new Set(trees)].filter((k) => !taken.has(k) && plans.get(k)?.reply);
    const chosen = pickReply(free.map((k) => plans.get(k)!));
    const key = free.find((k) => plans.get(k) === chosen);
    if (key !== undefined) taken.add(key);
    return chosen;
  });
}

export type Wait =
  { sleepMs: number; then: 'decide' } | { sleepMs: number; then: 'reply'; dueMs: number };

/**
 * Inside a continuation: sleep until the next check and decide again, or — when that is beyond
 * what this request may still sleep — sleep out the budget and hand on with a sequence-due reply.
 */
export function nextWait(
  d: Decision,
  nowMs: number,
  budgetMs: number,
  pollMs: number,
): Wait | undefined {
  if (d.state !== 'releasing') return undefined;
  const at = nextCheckMs(d, nowMs, pollMs);
  if (at === undefined) return undefined;
  const wait = Math.max(0, at - nowMs);
  return wait > budgetMs
    ? { sleepMs: budgetMs, then: 'reply', dueMs: at }
    : { sleepMs: wait, then: 'decide' };
}
