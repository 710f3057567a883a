import assert from 'node:assert/strict';
import {
  ANNOTATION_READINESS_GATE,
  ANNOTATION_READINESS_ON_TIMEOUT,
  ANNOTATION_READINESS_TIMEOUT,
  DEFAULT_GATE_TIMEOUT_MS,
  decideGate,
  readGate,
  vmReady,
  type Gate,
  type GateDecision,
  type GateRecord,
  type Readiness,
  type VmStatus,
} from '../gate.ts';

const T0 = Date.parse('2026-11-21T10:00:00.000Z');
const at = (ms: number): string => new Date(T0 + ms).toISOString();

// Statuses as VM Operator v1.10.0 writes them (api/v1alpha5 VirtualMachineStatus).
const OFF: VmStatus = { powerState: 'PoweredOff' };
const ON: VmStatus = { powerState: 'PoweredOn' };
const ON_IP: VmStatus = { powerState: 'PoweredOn', network: { primaryIP4: '10.0.0.5' } };
const ON_IP6: VmStatus = { powerState: 'PoweredOn', network: { primaryIP6: 'fd00::5' } };
const READY: VmStatus = { ...ON_IP, conditions: [{ type: 'Ready', status: 'True' }] };
const NOT_READY: VmStatus = { ...ON_IP, conditions: [{ type: 'Ready', status: 'False' }] };

describe('restore sequencer: readiness gate annotations', () => {
  const cases: Array<[string, Record<string, string> | undefined, ReturnType<typeof readGate>]> = [
    ['no annotation: no gate', undefined, {}],
    [
      'choice only: defaults',
      { [ANNOTATION_READINESS_GATE]: 'has-ip' },
      { gate: { readiness: 'has-ip', timeoutMs: DEFAULT_GATE_TIMEOUT_MS, onTimeout: 'continue' } },
    ],
    [
      'all three',
      {
        [ANNOTATION_READINESS_GATE]: 'ready',
        [ANNOTATION_READINESS_TIMEOUT]: '3m30s',
        [ANNOTATION_READINESS_ON_TIMEOUT]: 'stop',
      },
      { gate: { readiness: 'ready', timeoutMs: 210_000, onTimeout: 'stop' } },
    ],
    [
      'unknown choice',
      { [ANNOTATION_READINESS_GATE]: 'green' },
      { error: `${ANNOTATION_READINESS_GATE}: "green" is not one of powered-on, has-ip, ready` },
    ],
    [
      'bad duration',
      { [ANNOTATION_READINESS_GATE]: 'ready', [ANNOTATION_READINESS_TIMEOUT]: 'soon' },
      { error: `${ANNOTATION_READINESS_TIMEOUT}: invalid duration "soon"` },
    ],
    [
      'zero timeout',
      { [ANNOTATION_READINESS_GATE]: 'ready', [ANNOTATION_READINESS_TIMEOUT]: '0' },
      { error: `${ANNOTATION_READINESS_TIMEOUT}: must be above zero` },
    ],
    [
      'unknown policy',
      { [ANNOTATION_READINESS_GATE]: 'ready', [ANNOTATION_READINESS_ON_TIMEOUT]: 'retry' },
      { error: `${ANNOTATION_READINESS_ON_TIMEOUT}: "retry" is not one of continue, stop` },
    ],
  ];
  for (const [name, annotations, want] of cases)
    it(name, () => assert.deepEqual(readGate({ metadata: { annotations } }), want));
});

describe('restore sequencer: when a VM counts as ready', () => {
  const cases: Array<[VmStatus | undefined, Readiness, boolean]> = [
    [undefined, 'powered-on', false],
    [OFF, 'powered-on', false],
    [ON, 'powered-on', true],
    [ON, 'has-ip', false],
    [ON_IP, 'has-ip', true],
    [ON_IP6, 'has-ip', true],
    [{ ...OFF, network: { primaryIP4: '10.0.0.5' } }, 'has-ip', false],
    [ON_IP, 'ready', false],
    [NOT_READY, 'ready', false],
    [READY, 'ready', true],
    [{ ...OFF, conditions: [{ type: 'Ready', status: 'True' }] }, 'ready', false],
    // Ready without an address: the readiness probe decides, not the network.
    [{ ...ON, conditions: [{ type: 'Ready', status: 'True' }] }, 'ready', true],
  ];
  for (const [status, readiness, ready] of cases)
    it(`${JSON.stringify(status)} is ${ready ? '' : 'not '}${readiness}`, () => {
      const why = vmReady(status, readiness);
      assert.equal(why === undefined, ready, why);
      if (!ready) assert.match(why!, /\w/);
    });
});

describe('restore sequencer: the gate between two stages', () => {
  const gate = (onTimeout: Gate['onTimeout'] = 'continue'): Gate => ({
    readiness: 'has-ip',
    timeoutMs: 60_000,
    onTimeout,
  });
  const base = { releasedAt: at(0), nextDelayMs: 5_000 };
  const cases: Array<{
    name: string;
    gate: Gate;
    vms: Array<{ name: string; status?: VmStatus }>;
    record?: GateRecord;
    now: number;
    want: GateDecision;
  }> = [
    {
      name: 'not ready before the timeout: open',
      gate: gate(),
      vms: [
        { name: 'db-0', status: ON_IP },
        { name: 'db-1', status: ON },
      ],
      now: 30_000,
      want: {
        kind: 'open',
        lacking: [
          { vm: 'db-1', why: 'no IP address yet (status.network.primaryIP4/primaryIP6 empty)' },
        ],
        timeoutAtMs: T0 + 60_000,
      },
    },
    {
      name: 'a member not present yet counts as not ready',
      gate: gate(),
      vms: [{ name: 'db-0' }],
      now: 1_000,
      want: {
        kind: 'open',
        lacking: [{ vm: 'db-0', why: 'not powered on yet (powerState unset)' }],
        timeoutAtMs: T0 + 60_000,
      },
    },
    {
      name: 'all ready: closes now, next stage due powerOnDelay later',
      gate: gate(),
      vms: [
        { name: 'db-0', status: ON_IP },
        { name: 'db-1', status: ON_IP6 },
      ],
      now: 42_000,
      want: {
        kind: 'closing',
        record: { closedAt: at(42_000), outcome: 'passed' },
        dueAtMs: T0 + 47_000,
        lacking: [],
      },
    },
    {
      name: 'timeout with continue: closes as timed out, next stage due powerOnDelay later',
      gate: gate('continue'),
      vms: [{ name: 'db-0', status: ON }],
      now: 60_000,
      want: {
        kind: 'closing',
        record: { closedAt: at(60_000), outcome: 'timed-out' },
        dueAtMs: T0 + 65_000,
        lacking: [
          { vm: 'db-0', why: 'no IP address yet (status.network.primaryIP4/primaryIP6 empty)' },
        ],
      },
    },
    {
      name: 'timeout with stop: stopped, recorded now',
      gate: gate('stop'),
      vms: [{ name: 'db-0', status: OFF }],
      now: 61_000,
      want: {
        kind: 'stopped',
        lacking: [{ vm: 'db-0', why: 'not powered on yet (powerState PoweredOff)' }],
        since: at(61_000),
        record: { closedAt: at(61_000), outcome: 'timed-out' },
      },
    },
    {
      name: 'ready at the timeout instant: passes (readiness wins over the clock)',
      gate: gate('stop'),
      vms: [{ name: 'db-0', status: ON_IP }],
      now: 60_000,
      want: {
        kind: 'closing',
        record: { closedAt: at(60_000), outcome: 'passed' },
        dueAtMs: T0 + 65_000,
        lacking: [],
      },
    },
    {
      name: 'restart mid-gate: nothing recorded, same evaluation as before the restart',
      gate: gate(),
      vms: [{ name: 'db-0', status: ON }],
      now: 59_999,
      want: {
        kind: 'open',
        lacking: [
          { vm: 'db-0', why: 'no IP address yet (status.network.primaryIP4/primaryIP6 empty)' },
        ],
        timeoutAtMs: T0 + 60_000,
      },
    },
    {
      name: 'restart after the gate passed: due from the recorded time, not from now',
      gate: gate(),
      // The VM lost its address since; the gate stays passed (no stage is held back twice).
      vms: [{ name: 'db-0', status: ON }],
      record: { closedAt: at(42_000), outcome: 'passed' },
      now: 90_000,
      want: {
        kind: 'closed',
        record: { closedAt: at(42_000), outcome: 'passed' },
        dueAtMs: T0 + 47_000,
      },
    },
    {
      name: 'restart after a timeout under continue: due from the recorded time',
      gate: gate('continue'),
      vms: [{ name: 'db-0', status: ON }],
      record: { closedAt: at(60_000), outcome: 'timed-out' },
      now: 300_000,
      want: {
        kind: 'closed',
        record: { closedAt: at(60_000), outcome: 'timed-out' },
        dueAtMs: T0 + 65_000,
      },
    },
    {
      name: 'restart after a stop: stays stopped even though the VM came up, nothing new to write',
      gate: gate('stop'),
      vms: [{ name: 'db-0', status: ON_IP }],
      record: { closedAt: at(61_000), outcome: 'timed-out' },
      now: 300_000,
      want: { kind: 'stopped', lacking: [], since: at(61_000) },
    },
  ];
  for (const c of cases)
    it(c.name, () =>
      assert.deepEqual(
        decideGate({ ...base, gate: c.gate, vms: c.vms, record: c.record, nowMs: T0 + c.now }),
        c.want,
      ),
    );

  it('a replica restarting at any instant of an open gate decides as one that never stopped', () => {
    // The same inputs at every second of the gate give the same decision kind as a continuous
    // run: the decision reads only the persisted record, the VMs and the clock.
    const vmsAt = (s: number) => [{ name: 'db-0', status: s >= 20 ? ON_IP : ON }];
    let record: GateRecord | undefined;
    const continuous: string[] = [];
    for (let s = 0; s <= 40; s++) {
      const d = decideGate({ ...base, gate: gate(), vms: vmsAt(s), record, nowMs: T0 + s * 1000 });
      if (d.kind === 'closing') record = d.record;
      continuous.push(d.kind);
    }
    assert.equal(continuous.indexOf('closing'), 20);
    assert.equal(continuous.filter((k) => k === 'closing').length, 1, 'closes exactly once');
    assert.deepEqual(record, { closedAt: at(20_000), outcome: 'passed' });
    for (let restart = 0; restart <= 40; restart++) {
      // A fresh replica sees only what was written before `restart`.
      const persisted = restart > 20 ? record : undefined;
      const d = decideGate({
        ...base,
        gate: gate(),
        vms: vmsAt(restart),
        record: persisted,
        nowMs: T0 + restart * 1000,
      });
      assert.equal(d.kind, continuous[restart]);
      if (d.kind === 'closed' || d.kind === 'closing') assert.equal(d.dueAtMs, T0 + 25_000);
    }
  });
});
