// functions/<name>/func.yaml lets `func deploy` users adopt the image; it must describe the same
// Service and subscriptions as config/ (production overlay), and use only fields func knows.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { functionNames } from '../../functions/registry.ts';
import type { KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import { triggerAttributes, triggerSubscriber } from '../../scripts/broker-standin/routes.ts';
import { REPO_ROOT } from './paths.ts';
import { render } from './render.ts';

/** Property names of knative/func schema/func_yaml-schema.json (specVersion 0.36.0). */
const FUNC_FIELDS = {
  top: [
    'specVersion',
    'name',
    'domain',
    'runtime',
    'registry',
    'registryInsecure',
    'image',
    'namespace',
    'deployer',
    'created',
    'invoke',
    'build',
    'run',
    'deploy',
  ],
  deploy: [
    'namespace',
    'image',
    'annotations',
    'options',
    'labels',
    'healthEndpoints',
    'serviceAccountName',
    'imagePullSecret',
    'deployer',
    'subscriptions',
    'managementDisabled',
  ],
  scale: ['min', 'max', 'metric', 'target', 'utilization'],
  limits: ['cpu', 'memory', 'concurrency'],
};

interface FuncYaml {
  specVersion: string;
  name: string;
  created: string;
  run: { envs: Array<{ name: string; value: string }> };
  deploy: {
    namespace: string;
    serviceAccountName: string;
    healthEndpoints: { liveness: string; readiness: string };
    options: {
      scale: { min: number; max: number; target?: number };
      resources: { requests: Record<string, string>; limits: Record<string, string | number> };
    };
    subscriptions: Array<{ source: string; filters: Record<string, string> }>;
  };
}

const canonical = (attrs: Record<string, string>): string =>
  JSON.stringify(Object.entries(attrs).sort());

describe('func.yaml of every function', function () {
  this.timeout(600_000);
  let objects: KubeObject[] = [];
  before(async () => {
    objects = await render('overlays/production');
  });

  for (const fn of functionNames()) {
    it(`${fn}: same Service, identity, probes, bounds and subscriptions as config/`, () => {
      const f = parse(
        readFileSync(join(REPO_ROOT, 'functions', fn, 'func.yaml'), 'utf8'),
      ) as FuncYaml;
      for (const k of Object.keys(f))
        assert.ok(FUNC_FIELDS.top.includes(k), `unknown func.yaml field ${k}`);
      for (const k of Object.keys(f.deploy))
        assert.ok(FUNC_FIELDS.deploy.includes(k), `unknown deploy.${k}`);
      for (const k of Object.keys(f.deploy.options.scale))
        assert.ok(FUNC_FIELDS.scale.includes(k), `unknown scale.${k}`);
      for (const k of Object.keys(f.deploy.options.resources.limits))
        assert.ok(FUNC_FIELDS.limits.includes(k), `unknown limits.${k}`);
      assert.equal(f.name, fn);
      assert.match(f.specVersion, /^\d+\.\d+\.\d+$/);
      assert.ok(!Number.isNaN(Date.parse(f.created)));

      const svc = objects.find((o) => o.kind === 'Service' && o.metadata.name === fn) as KubeObject;
      const t = (
        svc['spec'] as {
          template: {
            metadata: { annotations: Record<string, string> };
            spec: {
              serviceAccountName: string;
              containerConcurrency: number;
              containers: Array<{
                env: Array<{ name: string; value: string }>;
                resources: { requests: Record<string, string>; limits: Record<string, string> };
                livenessProbe: { httpGet: { path: string } };
                readinessProbe: { httpGet: { path: string } };
              }>;
            };
          };
        }
      ).template;
      const c = t.spec.containers[0];
      assert.ok(c);
      assert.equal(f.deploy.namespace, svc.metadata.namespace);
      assert.deepEqual(f.run.envs, c.env);
      assert.equal(f.deploy.serviceAccountName, t.spec.serviceAccountName);
      assert.deepEqual(f.deploy.healthEndpoints, {
        liveness: c.livenessProbe.httpGet.path,
        readiness: c.readinessProbe.httpGet.path,
      });
      const a = t.metadata.annotations;
      assert.equal(f.deploy.options.scale.min, Number(a['autoscaling.knative.dev/min-scale']));
      assert.equal(f.deploy.options.scale.max, Number(a['autoscaling.knative.dev/max-scale']));
      assert.deepEqual(f.deploy.options.resources.requests, c.resources.requests);
      assert.deepEqual(f.deploy.options.resources.limits, {
        ...c.resources.limits,
        concurrency: t.spec.containerConcurrency,
      });

      const triggers = objects.filter((o) => o.kind === 'Trigger' && triggerSubscriber(o) === fn);
      const broker = (triggers[0]?.['spec'] as { broker?: string } | undefined)?.broker;
      for (const s of f.deploy.subscriptions)
        assert.equal(s.source, broker, 'subscriptions name the Broker');
      assert.deepEqual(
        f.deploy.subscriptions.map((s) => canonical(s.filters)).sort(),
        triggers.map((tr) => canonical(triggerAttributes(tr))).sort(),
      );
    });
  }
});
