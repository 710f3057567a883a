// Pure: readiness gates between the stages of a restored group's boot order (issue 16).
//
// VM Operator's group controller only knows timers: stage n+1 powers on powerOnDelay after stage
// n was told to, whether or not its VMs came up (api/v1alpha5/virtualmachinegroup_types.go). A
// group that opts in with ANNOTATION_READINESS_GATE is released stage by stage by the sequencer:
// stage n+1 is due powerOnDelay(n+1) after every powered-on VM of stage n is ready, or after the
// stage's timeout ran out and the policy says to continue.
//
// "Ready" is read from what VM Operator v1.10.0 writes on a VirtualMachine (api/v1alpha5):
// - `powered-on`: status.powerState is "PoweredOn" (VirtualMachinePowerStateOn);
// - `has-ip`: status.network.primaryIP4 or primaryIP6 is set (VirtualMachineNetworkStatus);
// - `ready`: the "Ready" condition (ReadyConditionType, condition_consts.go) is True. VM
//   Operator sets it from spec.readinessProbe (guestHeartbeat or guestInfo in
//   pkg/providers/vsphere/vmlifecycle/update_status.go, tcpSocket by its prober); a VM without
//   a readiness probe never gets it, so this choice waits for the timeout on such a VM.
//
// The gate's state lives in the sequence's progress (an annotation on the top group), and every
// decision is a function of (that state, the VMs' status, now): a replica that restarts while a
// gate is open re-reads the state and evaluates the same gate again, so no stage is skipped, and
// a stage counts as released only once its release was written, so none is repeated.

import { parseDuration } from '../vmgroup/boot-order.ts';
import {
  ANNOTATION_READINESS_GATE,
  ANNOTATION_READINESS_ON_TIMEOUT,
  ANNOTATION_READINESS_TIMEOUT,
} from '../vmgroup/names.ts';

export { ANNOTATION_READINESS_GATE, ANNOTATION_READINESS_ON_TIMEOUT, ANNOTATION_READINESS_TIMEOUT };

export const READINESS_CHOICES = ['powered-on', 'has-ip', 'ready'] as const;
export type Readiness = (typeof READINESS_CHOICES)[number];
export type TimeoutPolicy = 'continue' | 'stop';

export const DEFAULT_GATE_TIMEOUT_MS = 10 * 60_000;

export interface Gate {
  readiness: Readiness;
  timeoutMs: number;
  onTimeout: TimeoutPolicy;
}

interface Annotated {
  metadata: { annotations?: Record<string, string> };
}

export type GateRead = { gate?: Gate; error?: undefined } | { gate?: undefined; error: string };

/** The gate a group asks for; none without the annotation; an error that names the bad value. */
export function readGate(group: Annotated): GateRead {
  const a = group.metadata.annotations ?? {};
  const readiness = a[ANNOTATION_READINESS_GATE];
  if (readiness === undefined) return {};
  if (!(READINESS_CHOICES as readonly string[]).includes(readiness))
    return {
      error: `${ANNOTATION_READINESS_GATE}: "${readiness}" is not one of ${READINESS_CHOICES.join(', ')}`,
    };
  let timeoutMs = DEFAULT_GATE_TIMEOUT_MS;
  const timeout = a[ANNOTATION_READINESS_TIMEOUT];
  if (timeout !== undefined) {
    try {
      timeoutMs = parseDuration(timeout);
    } catch (e) {
      return { error: `${ANNOTATION_READINESS_TIMEOUT}: ${(e as Error).message}` };
    }
    if (timeoutMs <= 0) return { error: `${ANNOTATION_READINESS_TIMEOUT}: must be above zero` };
  }
  const policy = a[ANNOTATION_READINESS_ON_TIMEOUT] ?? 'continue';
  if (policy !== 'continue' && policy !== 'stop')
    return {
      error: `${ANNOTATION_READINESS_ON_TIMEOUT}: "${policy}" is not one of continue, stop`,
    };
  return { gate: { readiness: readiness as Readiness, timeoutMs, onTimeout: policy } };
}

/** The part of a VirtualMachine's status a gate reads (v1alpha5 and v1alpha6 alike). */
export interface VmStatus {
  powerState?: string;
  network?: { primaryIP4?: string; primaryIP6?: string };
  conditions?: Array<{ type: string; status: string }>;
}

/** Whether one VM has reached `readiness`; when not, what it still lacks, in a user's words. */
export function vmReady(status: VmStatus | undefined, readiness: Readiness): string | undefined {
  const s = status ?? {};
  if (s.powerState !== 'PoweredOn')
    return `not powered on yet (powerState ${s.powerState ?? 'unset'})`;
  if (readiness === 'has-ip' && !s.network?.primaryIP4 && !s.network?.primaryIP6)
    return 'no IP address yet (status.network.primaryIP4/primaryIP6 empty)';
  if (readiness === 'ready') {
    const c = s.conditions?.find((x) => x.type === 'Ready');
    if (c?.status !== 'True')
      return c
        ? `Ready condition is ${c.status}`
        : 'no Ready condition yet (VM Operator sets it from spec.readinessProbe)';
  }
  return undefined;
}

/** What the progress remembers of one stage's gate. */
export interface GateRecord {
  /** When the gate was found passed or expired (the next stage's delay counts from here). */
  closedAt: string;
  outcome: 'passed' | 'timed-out';
}

export type GateDecision =
  /** Still waiting; `lacking` names each VM not ready and why; re-check by `timeoutAtMs` at the latest. */
  | { kind: 'open'; lacking: Array<{ vm: string; why: string }>; timeoutAtMs: number }
  /** Closed now: write `record`, then the next stage is due at `dueAtMs`. */
  | {
      kind: 'closing';
      record: GateRecord;
      dueAtMs: number;
      lacking: Array<{ vm: string; why: string }>;
    }
  /** Closed before (by this or another replica): the next stage is due at `dueAtMs`. */
  | { kind: 'closed'; record: GateRecord; dueAtMs: number }
  /**
   * Timed out under the `stop` policy: the next stage is never released by the sequencer.
   * `record` is set when it stopped just now (write it); unset when it was already recorded.
   */
  | {
      kind: 'stopped';
      lacking: Array<{ vm: string; why: string }>;
      since: string;
      record?: GateRecord;
    };

export interface GateInput {
  gate: Gate;
  /** When stage n was released (its gate's timeout counts from here). */
  releasedAt: string;
  /** The VMs stage n powered on, with their live status (undefined: not present). */
  vms: Array<{ name: string; status?: VmStatus }>;
  /** The next stage's own powerOnDelay. */
  nextDelayMs: number;
  /** What the progress already holds for this gate. */
  record?: GateRecord;
  nowMs: number;
}

/** The gate between stage n and n+1. */
export function decideGate(input: GateInput): GateDecision {
  const { gate, record, nextDelayMs, nowMs } = input;
  if (
    record?.outcome === 'passed' ||
    (record?.outcome === 'timed-out' && gate.onTimeout === 'continue')
  )
    return { kind: 'closed', record, dueAtMs: Date.parse(record.closedAt) + nextDelayMs };
  const lacking = input.vms.flatMap((vm) => {
    const why = vmReady(vm.status, gate.readiness);
    return why ? [{ vm: vm.name, why }] : [];
  });
  // A stop recorded earlier stays a stop even if the VMs came up since: the user was told it
  // stopped, and releasing later would surprise them more than a restore they resume by hand.
  if (record?.outcome === 'timed-out') return { kind: 'stopped', lacking, since: record.closedAt };
  const timeoutAtMs = Date.parse(input.releasedAt) + gate.timeoutMs;
  const closedAt = new Date(nowMs).toISOString();
  if (lacking.length === 0)
    return {
      kind: 'closing',
      record: { closedAt, outcome: 'passed' },
      dueAtMs: nowMs + nextDelayMs,
      lacking,
    };
  if (nowMs < timeoutAtMs) return { kind: 'open', lacking, timeoutAtMs };
  const timedOut: GateRecord = { closedAt, outcome: 'timed-out' };
  if (gate.onTimeout === 'stop')
    return { kind: 'stopped', lacking, since: closedAt, record: timedOut };
  return { kind: 'closing', record: timedOut, dueAtMs: nowMs + nextDelayMs, lacking };
}
