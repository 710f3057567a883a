// The demo's VM Operator mode, pure parts: which mode a run picks, how a restored VM's vSphere
// power-on time is found (status.uniqueID → moid → VmPoweredOnEvent, else the poll), and which
// checks the summary makes of them (only what holds whatever VM Operator's lag).
import assert from 'node:assert/strict';
import {
  chooseMode,
  describeTimes,
  figureLine,
  vsphereChecks,
  vsphereTimes,
} from '../../scripts/demo/vsphere-times.ts';
import type { VsphereTime } from '../../scripts/demo/vsphere-times.ts';
import { missingVmOperatorBinaries, vsphereLine } from '../../scripts/demo/vsphere.ts';

const T0 = Date.parse('2026-12-04T19:00:00.000Z');
const iso = (ms: number) => new Date(T0 + ms).toISOString();

describe('demo: VM Operator mode', () => {
  describe('chooseMode', () => {
    it('runs VM Operator when both binaries are built, the plain plane otherwise', () => {
      assert.equal(chooseMode({}, []).mode, 'vm-operator');
      const plain = chooseMode({}, ['vm-operator', 'vmop-vcsim']);
      assert.equal(plain.mode, 'plain');
      assert.match(plain.why, /not built \(vm-operator, vmop-vcsim\)/);
    });

    it('--vm-operator forces it (and says it builds what is missing); --plain and --no-vm-operator opt out', () => {
      assert.equal(chooseMode({ vmOperator: true }, []).mode, 'vm-operator');
      assert.match(chooseMode({ vmOperator: true }, ['vmop-vcsim']).why, /building vmop-vcsim/);
      assert.deepEqual(chooseMode({ plain: true }, []), { mode: 'plain', why: '--plain' });
      assert.deepEqual(chooseMode({ vmOperator: false }, []), {
        mode: 'plain',
        why: '--no-vm-operator',
      });
      assert.throws(() => chooseMode({ vmOperator: true, plain: true }, []), /contradict/);
    });
  });

  describe('vsphereTimes', () => {
    it('matches each VM by its moid to its earliest VmPoweredOnEvent, else to the poll', () => {
      const times = vsphereTimes(
        [
          { name: 'db', moid: 'vm-1', releasedMs: T0 + 100 },
          { name: 'web-1', moid: 'vm-2', releasedMs: T0 + 5000 },
          { name: 'web-canary', moid: 'vm-3' },
          { name: 'lost' },
        ],
        [
          { moid: 'vm-1', event: 'PoweredOn', time: iso(4000) },
          { moid: 'vm-1', event: 'PoweredOff', time: iso(3000) },
          { moid: 'vm-1', event: 'PoweredOn', time: iso(9000) },
          { moid: 'vm-9', event: 'PoweredOn', time: iso(1000) },
        ],
        new Map([
          ['vm-2', T0 + 7000],
          ['vm-1', T0 + 4300],
        ]),
      );
      assert.deepEqual(
        times.map((t) => [t.name, t.onMs === undefined ? undefined : t.onMs - T0, t.source]),
        [
          ['db', 4000, 'VmPoweredOnEvent'],
          ['web-1', 7000, 'polled'],
          ['web-canary', undefined, undefined],
          ['lost', undefined, undefined],
        ],
      );
    });
  });

  const times: VsphereTime[] = [
    {
      name: 'db',
      moid: 'vm-1',
      releasedMs: T0 + 1000,
      onMs: T0 + 4000,
      source: 'VmPoweredOnEvent',
    },
    { name: 'web-1', moid: 'vm-2', releasedMs: T0 + 8000, onMs: T0 + 8500, source: 'polled' },
    {
      name: 'web-2',
      moid: 'vm-3',
      releasedMs: T0 + 10000,
      onMs: T0 + 30000,
      source: 'VmPoweredOnEvent',
    },
    { name: 'web-canary', moid: 'vm-4' },
  ];
  const expect = {
    poweredOn: ['db', 'web-1', 'web-2'],
    keptOff: ['web-canary'],
    gated: { before: ['db'], after: ['web-1', 'web-2'] },
  };

  describe('vsphereChecks', () => {
    it('hold when the VMs on at backup came on, the one off stays off, and the gated stage came on after', () => {
      const checks = vsphereChecks(times, expect, new Map([['vm-4', 'poweredOff']]));
      assert.equal(checks.length, 3);
      assert.ok(
        checks.every((c) => c.ok),
        JSON.stringify(checks),
      );
      assert.match(checks[2]!.detail!, /^4\.5s later$/);
    });

    it('fail on a VM never on, a kept-off VM on or not off in the simulator, and a gated stage on first', () => {
      const bad = times.map((t) =>
        t.name === 'web-2'
          ? { ...t, onMs: undefined, source: undefined }
          : t.name === 'web-1'
            ? { ...t, onMs: T0 + 3000 }
            : t,
      );
      const [on, off, gate] = vsphereChecks(bad, expect, new Map([['vm-4', 'poweredOn']]));
      assert.equal(on!.ok, false);
      assert.match(on!.detail!, /never on: web-2/);
      assert.equal(off!.ok, false);
      assert.equal(gate!.ok, false);
      const earlier = vsphereChecks(
        times.map((t) => (t.name === 'web-1' ? { ...t, onMs: T0 + 3000 } : t)),
        expect,
        new Map([['vm-4', 'poweredOff']]),
      );
      assert.equal(earlier[2]!.ok, false, 'web-1 on in vSphere before db');
      const canaryOn = vsphereChecks(
        times.map((t) => (t.name === 'web-canary' ? { ...t, onMs: T0 + 9000 } : t)),
        expect,
        new Map([['vm-4', 'poweredOff']]),
      );
      assert.equal(canaryOn[1]!.ok, false, 'a power-on event counts even if it is off now');
    });

    it('a kept-off VM with no vSphere VM fails (VM Operator never created it)', () => {
      const checks = vsphereChecks(
        times.map((t) => (t.name === 'web-canary' ? { name: t.name } : t)),
        expect,
        new Map(),
      );
      assert.equal(checks[1]!.ok, false);
      assert.equal(checks[1]!.detail, 'no vSphere VM');
    });
  });

  describe('describeTimes and figureLine', () => {
    it('print per VM the release, the vSphere power-on and the gap, and the figure', () => {
      const lines = describeTimes(times, T0);
      assert.match(
        lines[0]!,
        /^db {10}released \+1\.0s {4}vSphere on \+4\.0s \(vm-1, VmPoweredOnEvent, gap 3\.0s\)$/,
      );
      assert.match(lines[1]!, /web-1 .*gap 0\.5s/);
      assert.match(lines[3]!, /^web-canary {2}kept off {10}vSphere: vm-4 never powered on$/);
      assert.equal(
        figureLine(times, T0),
        'restore start → last VM powered on in vSphere 30.0s; release → vSphere power-on per VM: db 3.0s, web-1 0.5s, web-2 20.0s',
      );
      assert.equal(figureLine([], T0), 'no restored VM was powered on in vSphere');
    });
  });

  describe('vsphereLine', () => {
    const empty = { XDG_CACHE_HOME: '/nonexistent/vvf-demo-test' };

    it('without the binaries: says none ran and how to get them', () => {
      assert.deepEqual(missingVmOperatorBinaries(empty), ['vm-operator', 'vmop-vcsim']);
      const line = vsphereLine(chooseMode({}, missingVmOperatorBinaries(empty)), empty);
      assert.match(line, /not shown, no VM Operator ran/);
      assert.match(
        line,
        /build vm-operator and vmop-vcsim with `node scripts\/binaries\/ensure\.ts vm-operator`/,
      );
    });

    it("in VM Operator mode: says the times above are vCenter's", () => {
      assert.match(
        vsphereLine({ mode: 'vm-operator', why: '--vm-operator' }, empty),
        /above, as vCenter .* recorded them/,
      );
    });
  });
});
