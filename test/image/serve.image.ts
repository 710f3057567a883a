// The shipped image, built from the Dockerfile unchanged (scripts/image/build.sh), run the way
// Knative runs each function's Service from config/ (scripts/image/container.ts: buildah run
// --isolation chroot, the image's USER 1000, read-only root, the Service's env, the service
// account's token projected), against the test control plane.
import assert from 'node:assert/strict';
import { functionNames } from '../../functions/registry.ts';
import { assertNonRootUser, containerFrom, functionOf } from './probe.ts';
import type { ProbeResult } from './probe.ts';
import { deploy, probe, serviceFor } from './deploy.ts';
import type { Deployed } from './deploy.ts';
import { startContainer } from '../../scripts/image/container.ts';

describe('the image, run as Knative runs it', function () {
  let d: Deployed;
  const results = new Map<string, ProbeResult>();

  before(async function () {
    this.timeout(0); // a cold build takes minutes
    d = await deploy();
  });

  after(() => {
    for (const [fn, r] of results)
      process.stderr.write(
        `image: ${fn} ready ${r.readyMs.toFixed(0)} ms after spawn, exited ${r.stopMs.toFixed(0)} ms after SIGTERM\n`,
      );
  });

  it('the config deploys exactly the functions the registry knows, each from the product image', () => {
    assert.deepEqual(d.services.map(functionOf).sort(), functionNames());
  });

  it('runs as a numeric non-root user (what runAsNonRoot checks)', () => {
    assert.equal(assertNonRootUser(d.image), '1000:1000');
  });

  it('the process can write nowhere: the root is read-only and the spec gives no tmpfs', async () => {
    const svc = serviceFor(d, functionNames()[0]!);
    const { tmpfs = [], env, name } = containerFrom(svc, d.image);
    const c = await startContainer({
      image: d.image,
      name: `${name}-writable`,
      env,
      tmpfs,
      command: ['find', '/'],
      args: [
        ...['(', '-path', '/proc', '-o', '-path', '/sys', '-o', '-path', '/dev', ')', '-prune'],
        ...['-o', '-writable', '-print'],
      ],
      logFile: '/dev/null',
    });
    try {
      await c.exited;
      const writable = c
        .output()
        .split('\n')
        // find prints paths on stdout and "find: ...: Permission denied" (dirs it cannot read) on
        // stderr; the two arrive mixed, so only bare paths count.
        .filter((l) => l.startsWith('/') && !l.includes(': '))
        .filter((l) => !tmpfs.some((t) => l === t || l.startsWith(`${t}/`)));
      assert.deepEqual(writable, [], c.output());
    } finally {
      c.remove();
    }
  });

  for (const fn of functionNames()) {
    it(`${fn}: ready, one event handled with its PATCH on the API server, /metrics, SIGTERM → exit 0`, async () => {
      results.set(fn, await probe(d, fn));
    });
  }
});
