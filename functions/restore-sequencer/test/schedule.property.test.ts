// Properties of the release schedule over random restored trees (fast-check): every VM is either
// powered on once at the time its boot order says, or kept off; only VMs that were on are powered
// on; delegation happens only when a whole tree was in one state.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildSchedule } from '../schedule.ts';
import type { PowerState } from '../tree.ts';
import { G, RESTORE, V, restoredVm, restoredVmg, worldOf, type StageSpec } from './restored.ts';

type State = PowerState | undefined;
interface VmNode {
  vm: State;
}
interface GroupNode {
  state: State;
  stages: Array<{ delay: number; members: Node[] }>;
}
type Node = VmNode | GroupNode;

const state: fc.Arbitrary<State> = fc.constantFrom(
  'PoweredOn',
  'PoweredOn',
  'PoweredOff',
  'Suspended',
  undefined,
);
const tree = fc.letrec<{ group: GroupNode; node: Node }>((tie) => ({
  group: fc.record({
    state,
    stages: fc.array(
      fc.record({
        delay: fc.integer({ min: 0, max: 30 }),
        members: fc.array(tie('node'), { minLength: 1, maxLength: 3 }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  }),
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ vm: state }),
    tie('group'),
  ),
})).group;

interface Built {
  objects: Parameters<typeof worldOf>[0];
  /** VM name → [intent, offset in ms its boot order gives it]. */
  vms: Map<string, [State, number]>;
  states: Map<string, State>;
  /** Group name → ms its parent's boot order gives it. */
  groupAt: Map<string, number>;
}

function build(root: GroupNode): Built {
  const out: Built = { objects: [], vms: new Map(), states: new Map(), groupAt: new Map() };
  let n = 0;
  const addGroup = (g: GroupNode, name: string, parent: string | undefined, base: number): void => {
    const stages: StageSpec[] = [];
    let offset = base;
    for (const st of g.stages) {
      offset += st.delay * 1000;
      const refs = st.members.map((m) => {
        const child = `${'vm' in m ? 'v' : 'g'}${n++}`;
        if ('vm' in m) {
          out.objects.push(restoredVm(child, name, m.vm ? { was: m.vm } : {}));
          out.vms.set(child, [m.vm, offset]);
          out.states.set(child, m.vm);
          return V(child);
        }
        addGroup(m, child, name, offset);
        return G(child);
      });
      stages.push({ members: refs, powerOnDelay: `${st.delay}s` });
    }
    out.states.set(name, g.state);
    out.groupAt.set(name, base);
    out.objects.push(
      restoredVmg(name, stages, {
        ...(g.state ? { was: g.state } : {}),
        ...(parent ? { parent } : {}),
      }),
    );
  };
  addGroup(root, 'top', undefined, 0);
  return out;
}

describe('restore sequencer: schedule properties', () => {
  it('powers every VM that was on exactly once, others never; each at its boot-order time unless delegated', () => {
    fc.assert(
      fc.property(tree, (root) => {
        const b = build(root);
        const s = buildSchedule(worldOf(b.objects), 'top', RESTORE);
        const on = s.poweredOn.map((m) => m.name);
        const off = s.keptOff.map((k) => k.ref.name);
        assert.equal(new Set(on).size, on.length, 'no VM powered on twice');
        assert.deepEqual(
          [...on, ...off].sort(),
          [...b.vms.keys()].sort(),
          'every VM accounted for once',
        );
        for (const name of on) assert.equal(b.vms.get(name)![0], 'PoweredOn');
        const offsets = s.steps.map((x) => x.offsetMs);
        assert.deepEqual(
          offsets,
          [...offsets].sort((x, y) => x - y),
        );
        assert.equal(new Set(offsets).size, offsets.length, 'one step per distinct time');
        for (const step of s.steps) {
          for (const e of step.entries) {
            if (e.ref.kind === 'VirtualMachine') {
              assert.equal(e.powerState, 'PoweredOn');
              assert.equal(
                step.offsetMs,
                b.vms.get(e.ref.name)![1],
                `${e.ref.name} at its boot-order time`,
              );
            } else
              assert.equal(
                step.offsetMs,
                b.groupAt.get(e.ref.name),
                `group ${e.ref.name} handed over at its boot-order time`,
              );
          }
        }
        const all = [...b.states.values()];
        if (s.mode === 'delegated')
          assert.ok(all.every((x) => x === all[0] && (x === 'PoweredOn' || x === 'PoweredOff')));
        else assert.ok(s.unsetGroups.includes('top'));
      }),
      { numRuns: 300 },
    );
  });
});
