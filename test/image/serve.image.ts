// The shipped image, built from the Dockerfile unchanged (scripts/image/build.sh), run the way
// Knative runs each function's Service from config/ (scripts/image/container.ts: buildah run
// --isolation chroot, the image's USER 1000, read-only root, the Service's env, the service
// account's token projected), against the test control plane.
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { functionNames } from '../../functions/registry.ts';
import { createKube } from '../../functions/runtime/kube/kube.ts';
import type { Kube, KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import { testCluster } from '../harness/index.ts';
import type { ControlPlane } from '../harness/index.ts';
import { render } from '../config/render.ts';
import { productServices } from '../e2e/stack/functions.ts';
import {
  assertNonRootUser,
  buildImage,
  containerFrom,
  functionOf,
  probeFunction,
} from './probe.ts';
import type { ProbeResult } from './probe.ts';
import { SCENARIOS } from './scenarios.ts';
import { startContainer } from '../../scripts/image/container.ts';

export const OVERLAY = 'overlays/production';

export interface Deployed {
  image: string;
  plane: ControlPlane;
  admin: Kube;
  services: KubeObject[];
  veleroNs: string;
}

/** Builds the image (cached) and applies the production overlay to the test plane, as e2e does. */
export async function deploy(image = buildImage()): Promise<Deployed> {
  const plane = await testCluster();
  const config = await render(OVERLAY);
  const veleroNs = 'velero';
  await plane.applyYaml(`apiVersion: v1\nkind: Namespace\nmetadata: { name: ${veleroNs} }\n`);
  const docs = (objs: KubeObject[]) => objs.map((o) => stringify(o)).join('---\n');
  await plane.applyYaml(docs(config.filter((o) => o.kind === 'Namespace')));
  await plane.applyYaml(docs(config.filter((o) => o.kind !== 'Namespace')));
  const admin = createKube(plane.kubeconfigPath);
  return { image, plane, admin, services: productServices(config), veleroNs };
}

export function serviceFor(d: Deployed, fn: string): KubeObject {
  const svc = d.services.find((s) => functionOf(s) === fn);
  assert.ok(svc, `no Knative Service in ${OVERLAY} runs FUNCTION=${fn}`);
  return svc;
}

export async function probe(d: Deployed, fn: string): Promise<ProbeResult> {
  const scenario = SCENARIOS[fn];
  assert.ok(scenario, `test/image/scenarios.ts has no scenario for ${fn}: add its smallest event`);
  return probeFunction({
    plane: d.plane,
    admin: d.admin,
    svc: serviceFor(d, fn),
    image: d.image,
    scenario,
    veleroNs: d.veleroNs,
    appNs: await d.plane.newNamespace(`image-${fn}`),
  });
}

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
