// Test support: VM status as VM Operator v1.10.0 writes it while a powered-on VM boots, for the
// readiness-gate tests (no VM Operator controller runs on the test plane). Per VM a script says
// how long after VM Operator saw spec.powerState PoweredOn each part of the status appears; the
// status is written through the status subresource, in the v1alpha5 shapes:
// - status.powerState: "PoweredOff" until the power-on completes, then "PoweredOn"
//   (VirtualMachinePowerState, api/v1alpha5/virtualmachine_types.go);
// - status.network.primaryIP4 and the interface's ip.addresses once the guest has an address
//   (VirtualMachineNetworkStatus, virtualmachine_network_types.go);
// - the Ready condition only on a VM with spec.readinessProbe (reconcileStatusProbe in
//   pkg/providers/vsphere/vmlifecycle/update_status.go returns early without one): False with
//   reason NotReady while the guest heartbeat is below the probe's threshold, then True with
//   reason "True" (conditions.TrueCondition).
// The script runs on the scenario's clock: the hook runs whenever the sequencer sleeps.

import type { Scenario } from './plane.ts';

export interface BootScript {
  /** After power-on is requested, when status.powerState becomes PoweredOn (default 0). */
  poweredOnMs?: number;
  /** When the guest reports an IP address (never if unset). */
  ipMs?: number;
  /** When the readiness probe passes (never if unset; and never without spec.readinessProbe). */
  readyMs?: number;
}

export class GuestBoot {
  /** When VM Operator first saw each VM's spec.powerState PoweredOn (scenario clock, epoch ms). */
  readonly requestedAt = new Map<string, number>();
  private readonly written = new Map<string, string>();
  private readonly s: Scenario;
  private readonly scripts: Record<string, BootScript>;

  constructor(s: Scenario, scripts: Record<string, BootScript>) {
    this.s = s;
    this.scripts = scripts;
    s.time.hooks.push((nowMs) => this.observe(nowMs));
  }

  /** One VM Operator reconcile of every scripted VM at `nowMs`. */
  async observe(nowMs: number): Promise<void> {
    for (const [name, script] of Object.entries(this.scripts)) {
      const live = await this.s.vm(name);
      if (!live) continue;
      if (live.spec.powerState === 'PoweredOn' && !this.requestedAt.has(name))
        this.requestedAt.set(name, nowMs);
      const since = this.requestedAt.get(name);
      const probe = (live.spec as { readinessProbe?: unknown }).readinessProbe !== undefined;
      const status = statusAt(name, script, since === undefined ? -1 : nowMs - since, probe);
      const text = JSON.stringify(status);
      if (this.written.get(name) === text) continue;
      await this.s.writeStatus(name, { ...status, conditions: conditions(status, nowMs) });
      this.written.set(name, text);
    }
  }
}

interface BootStatus {
  powerState: 'PoweredOn' | 'PoweredOff';
  network: Record<string, unknown> | null;
  ready?: boolean;
}

/** The status `elapsedMs` after power-on was requested (negative: not requested). */
function statusAt(name: string, script: BootScript, elapsedMs: number, probe: boolean): BootStatus {
  const reached = (ms: number | undefined): boolean =>
    elapsedMs >= 0 && ms !== undefined && elapsedMs >= ms;
  const on = reached(script.poweredOnMs ?? 0);
  const ip = `10.20.0.${10 + (hash(name) % 200)}`;
  return {
    powerState: on ? 'PoweredOn' : 'PoweredOff',
    // A merge patch with null removes what an earlier write set.
    network:
      on && reached(script.ipMs)
        ? {
            primaryIP4: ip,
            interfaces: [{ name: 'eth0', ip: { addresses: [{ address: `${ip}/24` }] } }],
          }
        : null,
    ...(on && probe ? { ready: reached(script.readyMs) } : {}),
  };
}

/** metav1.Condition requires type, status, reason, message and lastTransitionTime. */
function conditions(s: BootStatus, nowMs: number): unknown[] {
  if (s.ready === undefined) return [];
  const lastTransitionTime = new Date(nowMs).toISOString().replace(/\.\d+Z$/, 'Z');
  return [
    s.ready
      ? { type: 'Ready', status: 'True', reason: 'True', message: '', lastTransitionTime }
      : {
          type: 'Ready',
          status: 'False',
          reason: 'NotReady',
          message: 'heartbeat status "red" is below threshold',
          lastTransitionTime,
        },
  ];
}

function hash(s: string): number {
  let h = 0;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h;
}
