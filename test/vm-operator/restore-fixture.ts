// The group trees restore.vmop.ts backs up and restores on the VM Operator plane, and how their
// power-on times are measured against the boot order (pure; the times come from vCenter's
// VmPoweredOnEvent history, the release times from what the sequencer and VM Operator wrote).
import { asKube, vm, vmg, vmMember } from '../../functions/vmgroup/test/builders.ts';
import type { KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import {
  ANNOTATION_READINESS_GATE,
  ANNOTATION_READINESS_ON_TIMEOUT,
  ANNOTATION_READINESS_TIMEOUT,
} from '../../functions/vmgroup/names.ts';
import { STORAGE_CLASS, VM_CLASS } from '../harness/vm-operator.ts';

export type Mode = 'delegated' | 'staged';

export interface StageSpec {
  /** VM name → its power state at backup. */
  vms: Record<string, 'PoweredOn' | 'PoweredOff'>;
  delaySeconds: number;
}

export interface GroupSpec {
  name: string;
  mode: Mode;
  stages: StageSpec[];
  gate?: 'powered-on' | 'has-ip' | 'ready';
  /** Extra VM spec (a readiness probe for the `ready` gate). */
  vmSpec?: Record<string, unknown>;
}

const SHORT = 2;
/** Around VM Operator's lag from spec to power-on here (4–40 s by load): the figures show what order it keeps. */
const LONG = 20;

const on = (...names: string[]) => Object.fromEntries(names.map((n) => [n, 'PoweredOn' as const]));

export const GROUPS: GroupSpec[] = [
  {
    name: 'd-short',
    mode: 'delegated',
    stages: [
      { vms: on('ds-1'), delaySeconds: 0 },
      { vms: on('ds-2'), delaySeconds: SHORT },
      { vms: on('ds-3'), delaySeconds: SHORT },
    ],
  },
  {
    name: 'd-long',
    mode: 'delegated',
    stages: [
      { vms: on('dl-1'), delaySeconds: 0 },
      { vms: on('dl-2'), delaySeconds: LONG },
      { vms: on('dl-3'), delaySeconds: LONG },
    ],
  },
  {
    name: 's-short',
    mode: 'staged',
    stages: [
      { vms: on('ss-1'), delaySeconds: 0 },
      { vms: { 'ss-2': 'PoweredOn', 'ss-off': 'PoweredOff' }, delaySeconds: SHORT },
      { vms: on('ss-3'), delaySeconds: SHORT },
    ],
  },
  {
    name: 's-long',
    mode: 'staged',
    stages: [
      { vms: on('sl-1'), delaySeconds: 0 },
      { vms: { 'sl-2': 'PoweredOn', 'sl-off': 'PoweredOff' }, delaySeconds: LONG },
      { vms: on('sl-3'), delaySeconds: LONG },
    ],
  },
  {
    name: 'g-on',
    mode: 'staged',
    gate: 'powered-on',
    stages: [
      { vms: on('go-1'), delaySeconds: 0 },
      { vms: on('go-2'), delaySeconds: SHORT },
      { vms: on('go-3'), delaySeconds: SHORT },
    ],
  },
  {
    name: 'g-ip',
    mode: 'staged',
    gate: 'has-ip',
    stages: [
      { vms: on('gi-1'), delaySeconds: 0 },
      { vms: on('gi-2'), delaySeconds: SHORT },
    ],
  },
  {
    name: 'g-ready',
    mode: 'staged',
    gate: 'ready',
    vmSpec: { readinessProbe: { guestHeartbeat: { thresholdStatus: 'green' } } },
    stages: [
      { vms: on('gr-1'), delaySeconds: 0 },
      { vms: on('gr-2'), delaySeconds: SHORT },
    ],
  },
];

/** How long a gate that cannot pass here stays open before the sequence goes on. */
export const GATE_TIMEOUT = '40s';
/**
 * A powered-on gate must pass, so its timeout is far above VM Operator's lag from spec to power-on
 * (up to 40 s measured here under load): the test asserts the order it keeps, never a timing.
 */
const POWERED_ON_TIMEOUT = '600s';

export function vmsOf(g: GroupSpec): Array<[string, 'PoweredOn' | 'PoweredOff']> {
  return g.stages.flatMap((s) => Object.entries(s.vms));
}

export function poweredOnVms(g: GroupSpec): string[] {
  return vmsOf(g)
    .filter(([, p]) => p === 'PoweredOn')
    .map(([n]) => n);
}

/** The objects as an application team creates them (VMs in their backed-up power state). */
export function groupObjects(namespace: string, g: GroupSpec): KubeObject[] {
  const group = asKube(
    vmg(g.name, {
      namespace,
      // A group whose members all run is itself PoweredOn (so the restore may delegate it).
      ...(g.mode === 'delegated' ? { powerState: 'PoweredOn' as const } : {}),
      bootOrder: g.stages.map((s) => ({
        members: Object.keys(s.vms).map((n) => vmMember(n)),
        ...(s.delaySeconds ? { powerOnDelay: `${s.delaySeconds}s` } : {}),
      })),
      ...(g.gate
        ? {
            annotations: {
              [ANNOTATION_READINESS_GATE]: g.gate,
              [ANNOTATION_READINESS_TIMEOUT]:
                g.gate === 'powered-on' ? POWERED_ON_TIMEOUT : GATE_TIMEOUT,
              [ANNOTATION_READINESS_ON_TIMEOUT]: 'continue',
            },
          }
        : {}),
    }),
  );
  const vms = vmsOf(g).map(([name, powerState]) =>
    asKube(
      vm(name, {
        namespace,
        groupName: g.name,
        powerState,
        spec: { className: VM_CLASS, storageClass: STORAGE_CLASS, ...g.vmSpec },
      }),
    ),
  );
  return [group, ...vms];
}

export interface StageTiming {
  stage: number;
  delaySeconds: number;
  /** When the stage's VMs were told to power on (epoch ms), as written by whoever released them. */
  releasedMs: number;
  /** When vCenter powered the last of the stage's VMs on (epoch ms). */
  poweredOnMs: number;
}

export interface GroupTiming {
  group: string;
  mode: Mode;
  gate?: string;
  stages: StageTiming[];
}

/** Per stage: the measured gap to the previous stage, in vSphere and in the spec, and the lag. */
export function describeTiming(t: GroupTiming, restoreStartMs: number): string {
  const s = (ms: number) => (ms / 1000).toFixed(1);
  const parts = t.stages.map((st, i) => {
    const prev = t.stages[i - 1];
    const lag = `VM Operator lag ${s(st.poweredOnMs - st.releasedMs)}s`;
    if (!prev) return `stage 0: released +${s(st.releasedMs - restoreStartMs)}s, ${lag}`;
    return (
      `stage ${st.stage} (powerOnDelay ${st.delaySeconds}s): spec gap ${s(st.releasedMs - prev.releasedMs)}s, ` +
      `vSphere gap ${s(st.poweredOnMs - prev.poweredOnMs)}s, ${lag}`
    );
  });
  const last = Math.max(...t.stages.map((st) => st.poweredOnMs));
  return (
    `${t.group} (${t.mode}${t.gate ? `, gate ${t.gate}` : ''}): restore start → last VM on ` +
    `${s(last - restoreStartMs)}s; ${parts.join('; ')}`
  );
}

/** Stages whose VMs came up in vSphere before the previous stage's did (the order inverted). */
export function inversions(t: GroupTiming): number[] {
  return t.stages
    .filter((st, i) => i > 0 && st.poweredOnMs < t.stages[i - 1]!.poweredOnMs)
    .map((st) => st.stage);
}
