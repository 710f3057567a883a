// Pure: the demo's VM Operator mode, after the restore — which mode runs, when vCenter powered each
// restored VM on (VM status.uniqueID → the simulator's moid → its VmPoweredOnEvent, or the time a
// poll of the simulator first saw it on), and the checks that hold whatever VM Operator's lag.
//
// VM Operator lags 0.3–39 s (by load) from spec.powerState PoweredOn to the vSphere power-on, so
// nothing here compares a vSphere time with a delay. What is guaranteed: a VM the sequencer
// released comes on, a VM it kept off never does, and a stage behind a `powered-on` gate is
// released only once VM Operator reported the previous stage on, which it does only after vCenter
// powered it on: so the gated stage comes on in vSphere after the previous one.

export type DemoMode = 'vm-operator' | 'plain';

export interface ModeFlags {
  /** --vm-operator (true) or --no-vm-operator (false); undefined when neither was given. */
  vmOperator?: boolean;
  /** --plain */
  plain?: boolean;
}

export interface ModeChoice {
  mode: DemoMode;
  /** Why, in plain words, for the output. */
  why: string;
}

/** --vm-operator forces the mode (building what is missing), --plain/--no-vm-operator refuse it; else it runs when both binaries are built. */
export function chooseMode(flags: ModeFlags, missing: readonly string[]): ModeChoice {
  if (flags.plain && flags.vmOperator === true)
    throw new Error('--vm-operator and --plain contradict each other: give one');
  if (flags.vmOperator === true)
    return {
      mode: 'vm-operator',
      why: missing.length
        ? `--vm-operator: building ${missing.join(' and ')} first (needs Go, ~4 min once)`
        : '--vm-operator',
    };
  if (flags.plain || flags.vmOperator === false)
    return { mode: 'plain', why: `${flags.plain ? '--plain' : '--no-vm-operator'}` };
  return missing.length
    ? { mode: 'plain', why: `the VM Operator binaries are not built (${missing.join(', ')})` }
    : { mode: 'vm-operator', why: 'the VM Operator binaries are built' };
}

export interface PowerEventLike {
  moid: string;
  event: string;
  time: string;
}

export interface RestoredVm {
  name: string;
  /** status.uniqueID: the vSphere VM's moid. */
  moid?: string;
  /** When the sequencer set spec.powerState PoweredOn (epoch ms); undefined when it did not. */
  releasedMs?: number;
}

export interface VsphereTime extends RestoredVm {
  /** When vCenter powered it on (epoch ms). */
  onMs?: number;
  source?: 'VmPoweredOnEvent' | 'polled';
}

/**
 * Each VM's vSphere power-on: vCenter's VmPoweredOnEvent for its moid (the earliest), else the time
 * the simulator poll first saw it poweredOn (the simulator returns only its latest events).
 */
export function vsphereTimes(
  vms: readonly RestoredVm[],
  events: readonly PowerEventLike[],
  polled: ReadonlyMap<string, number>,
): VsphereTime[] {
  return vms.map((v) => {
    if (!v.moid) return { ...v };
    const times = events
      .filter((e) => e.moid === v.moid && e.event === 'PoweredOn')
      .map((e) => Date.parse(e.time))
      .filter((t) => !Number.isNaN(t));
    if (times.length) return { ...v, onMs: Math.min(...times), source: 'VmPoweredOnEvent' };
    const seen = polled.get(v.moid);
    return seen === undefined ? { ...v } : { ...v, onMs: seen, source: 'polled' };
  });
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;
const plus = (ms: number): string => `+${secs(ms)}`;

/** One line per VM: released by the sequencer, powered on by vCenter, and the gap. */
export function describeTimes(times: readonly VsphereTime[], restoreStartMs: number): string[] {
  const width = Math.max(...times.map((t) => t.name.length));
  return times.map((t) => {
    const name = t.name.padEnd(width);
    const released =
      t.releasedMs === undefined ? 'kept off' : `released ${plus(t.releasedMs - restoreStartMs)}`;
    if (t.onMs === undefined)
      return `${name}  ${released.padEnd(16)}  vSphere: ${t.moid ? `${t.moid} never powered on` : 'no vSphere VM'}`;
    const gap = t.releasedMs === undefined ? '' : `, gap ${secs(t.onMs - t.releasedMs)}`;
    return `${name}  ${released.padEnd(16)}  vSphere on ${plus(t.onMs - restoreStartMs)} (${t.moid}, ${t.source}${gap})`;
  });
}

/** The README's figure: restore start → last VM on in vSphere, and each VM's release → power-on gap. */
export function figureLine(times: readonly VsphereTime[], restoreStartMs: number): string {
  const on = times.filter((t) => t.onMs !== undefined);
  if (on.length === 0) return 'no restored VM was powered on in vSphere';
  const last = Math.max(...on.map((t) => t.onMs!));
  const gaps = on
    .filter((t) => t.releasedMs !== undefined)
    .map((t) => `${t.name} ${secs(t.onMs! - t.releasedMs!)}`)
    .join(', ');
  return `restore start → last VM powered on in vSphere ${secs(last - restoreStartMs)}; release → vSphere power-on per VM: ${gaps}`;
}

export interface Check {
  what: string;
  ok: boolean;
  detail?: string;
}

export interface VsphereExpectations {
  /** VMs on at backup: each must come on in vSphere. */
  poweredOn: readonly string[];
  /** VMs off at backup: never powered on in vSphere, and off there now. */
  keptOff: readonly string[];
  /** A `powered-on` gate: every VM of `after` comes on in vSphere after every VM of `before`. */
  gated?: { before: readonly string[]; after: readonly string[] };
}

/** What is guaranteed in vSphere, checked; `simulatorState` is each moid's power state now. */
export function vsphereChecks(
  times: readonly VsphereTime[],
  expect: VsphereExpectations,
  simulatorState: ReadonlyMap<string, string>,
): Check[] {
  const by = new Map(times.map((t) => [t.name, t]));
  const notOn = expect.poweredOn.filter((n) => by.get(n)?.onMs === undefined);
  const checks: Check[] = [
    {
      what: `vCenter powered on every VM that was on at backup (${expect.poweredOn.join(', ')})`,
      ok: notOn.length === 0,
      detail: notOn.length ? `never on: ${notOn.join(', ')}` : 'VmPoweredOnEvent or polled',
    },
  ];
  for (const name of expect.keptOff) {
    const t = by.get(name);
    const now = t?.moid ? simulatorState.get(t.moid) : undefined;
    checks.push({
      what: `${name} (off at backup) stays off in vSphere`,
      ok: t?.moid !== undefined && t.onMs === undefined && now === 'poweredOff',
      detail: t?.moid ? `${t.moid} ${now ?? 'not in the simulator'}` : 'no vSphere VM',
    });
  }
  if (expect.gated) {
    const before = expect.gated.before.map((n) => by.get(n)?.onMs);
    const after = expect.gated.after.map((n) => by.get(n)?.onMs);
    const known = (xs: Array<number | undefined>): xs is number[] =>
      xs.every((x) => x !== undefined);
    const ok = known(before) && known(after) && Math.min(...after) > Math.max(...before);
    checks.push({
      what: `the gated stage (${expect.gated.after.join(', ')}) came on in vSphere after ${expect.gated.before.join(', ')} was on there (powered-on gate)`,
      ok,
      detail:
        known(before) && known(after)
          ? `${secs(Math.min(...after) - Math.max(...before))} later`
          : 'not all powered on',
    });
  }
  return checks;
}
