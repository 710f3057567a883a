import assert from 'node:assert/strict';
import { members, parseDuration, stages } from '../boot-order.ts';
import { groupMember, vmg, vmMember } from './builders.ts';

describe('boot order', () => {
  const durations: Array<[string, number]> = [
    ['0', 0],
    ['10s', 10_000],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['250ms', 250],
    ['.5s', 500],
    ['1h2m3s4ms', 3_723_004],
    ['1500us', 1.5],
    ['+2s', 2000],
  ];
  for (const [text, ms] of durations) {
    it(`reads the Go duration ${text} as ${ms} ms`, () => assert.equal(parseDuration(text), ms));
  }
  for (const bad of ['', '10', 's', '1d', '-1s', '10 s', 'abc']) {
    it(`refuses the duration "${bad}"`, () => assert.throws(() => parseDuration(bad)));
  }

  it("adds each stage's delay before its members, cumulatively, like VM Operator", () => {
    const g = vmg('app', {
      bootOrder: [
        { members: [vmMember('db')], powerOnDelay: '5s' },
        { members: [vmMember('app-1'), vmMember('app-2', true)] },
        { members: [groupMember('web')], powerOnDelay: '1m' },
      ],
    });
    assert.deepEqual(
      stages(g).map((s) => [
        s.index,
        s.delayMs,
        s.offsetMs,
        s.members.map((m) => `${m.kind}/${m.name}`),
      ]),
      [
        [0, 5000, 5000, ['VirtualMachine/db']],
        [1, 0, 5000, ['VirtualMachine/app-1', 'VirtualMachine/app-2']],
        [2, 60_000, 65_000, ['VirtualMachineGroup/web']],
      ],
    );
    assert.equal(members(g).length, 4);
  });

  it('has no stages without a boot order', () => {
    assert.deepEqual(stages({ spec: {} }), []);
    assert.deepEqual(stages({}), []);
  });
});
