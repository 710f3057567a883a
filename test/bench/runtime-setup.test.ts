// What the runtime benches assume about the pod (bench/runtime-setup.ts): the heap V8 gets under
// the Knative Services' memory limit, and the image's Node flags read from the Dockerfile, checked
// on a real node process with the flags in the order the benches pass them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { imageNodeFlags, node, podHeapFlags, podMemoryLimit } from '../../bench/runtime-setup.ts';

const MiB = 1024 * 1024;

/** heap_size_limit and the new space's size (MiB) of a node started with these flags. */
function heapOf(flags: string[]): { limitMiB: number; newSpaceMiB: number } {
  const r = spawnSync(
    node,
    [
      ...flags,
      '-e',
      `const v = require('node:v8');
       const s = v.getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');
       console.log(JSON.stringify({ limitMiB: v.getHeapStatistics().heap_size_limit / ${MiB}, newSpaceMiB: s.space_size / ${MiB} }));`,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { limitMiB: number; newSpaceMiB: number };
}

describe('bench: the pod the runtime benches emulate', () => {
  it('a 256 MiB limit gives a 128 MiB old generation and 1 MiB semi-spaces; 1 GiB 512 and 2', () => {
    assert.deepEqual(podHeapFlags(256 * MiB), [
      '--max-old-space-size=128',
      '--max-semi-space-size=1',
    ]);
    assert.deepEqual(podHeapFlags(1024 * MiB), [
      '--max-old-space-size=512',
      '--max-semi-space-size=2',
    ]);
    assert.deepEqual(podHeapFlags(64 * MiB), [
      '--max-old-space-size=32',
      '--max-semi-space-size=1',
    ]);
    assert.throws(() => podHeapFlags(2048 * MiB), /up to 1 GiB/);
  });

  it("reads the Services' memory limit from config (the benches' pod heap follows it)", () => {
    assert.equal(podMemoryLimit(), 256 * MiB);
  });

  it("the image's flags, after the pod's heap, start node with 16 MiB semi-spaces; without them it stays at 1 MiB", () => {
    const flags = imageNodeFlags();
    assert.ok(flags.includes('--max-semi-space-size=16'), flags.join(' '));
    assert.ok(flags.includes('--min-semi-space-size=16'), flags.join(' '));
    const pod = podHeapFlags(podMemoryLimit());
    const shipped = heapOf([...pod, ...flags]);
    assert.equal(shipped.newSpaceMiB, 16);
    const without = heapOf([...pod, ...flags.filter((f) => !f.includes('semi-space'))]);
    assert.equal(without.newSpaceMiB, 1);
    assert.equal(without.limitMiB, 131);
  });
});
