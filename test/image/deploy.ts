// The test plane with the production overlay applied, as e2e does, and the image to run on it;
// the image test's whole check for one function (probe) on that deployment.
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { createKube } from '../../functions/runtime/kube/kube.ts';
import type { Kube, KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import { testCluster } from '../harness/index.ts';
import type { ControlPlane } from '../harness/index.ts';
import { render } from '../config/render.ts';
import { productServices } from '../e2e/stack/functions.ts';
import { buildImage, functionOf, probeFunction } from './probe.ts';
import type { ProbeResult } from './probe.ts';
import { SCENARIOS } from './scenarios.ts';

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

/** The whole image check for `fn` (probeFunction), run from `d.image`. */
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
