// Every deployable kustomization, applied with server-side dry-run to the real kube-apiserver with
// the real Knative Serving/Eventing, Velero and VM Operator CRDs installed: what `kubectl apply
// -k config/overlays/<env> --server-side --dry-run=server` would say on a cluster.
import assert from 'node:assert/strict';
import type { KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import { testCluster } from '../harness/index.ts';
import type { TestCluster } from '../harness/index.ts';
import { ensureNamespaces, failures, getObject, serverSideApply } from './cluster-apply.ts';
import { DEPLOYABLE, render } from './render.ts';

describe('config: server-side dry-run on the real API server', function () {
  this.timeout(600_000);
  let cluster: TestCluster;

  before(async () => {
    cluster = await testCluster();
  });

  for (const name of DEPLOYABLE) {
    it(`accepts every object of ${name}`, async () => {
      const objects = await render(name);
      const namespaces = new Set(
        objects.map((o) => o.metadata.namespace).filter((n): n is string => Boolean(n)),
      );
      await ensureNamespaces(cluster.kubeConfig(), namespaces);
      const results = await serverSideApply(cluster.kubeConfig(), objects, { dryRun: true });
      assert.deepEqual(failures(results), []);
      assert.equal(results.length, objects.length);
      // The answers are the objects as the server would store them, and nothing was stored.
      const broker = results.find((r) => r.key === 'Broker/vmgroup-backup/vmgroup-backup');
      assert.ok(
        broker?.stored?.metadata?.creationTimestamp,
        'the server answered with the object it would store',
      );
      const existing = await getObject(
        cluster.kubeConfig(),
        objects.find((o) => o.kind === 'Broker') as KubeObject,
      );
      assert.equal(existing.status, 404, 'dry-run stored nothing');
    });
  }

  // Knative's own CRDs keep unknown fields in `spec` (its webhook, not running here, rejects
  // them); config.test.ts checks those specs' field names instead.
  it('rejects what the CRD schemas forbid and misspelt fields (the dry-run really validates)', async () => {
    const objects = await render('overlays/dev');
    const broker = objects.find((o) => o.kind === 'Broker');
    const source = objects.find((o) => o.kind === 'ApiServerSource');
    const ksvc = objects.find(
      (o) => o.kind === 'Service' && o.apiVersion.startsWith('serving.knative.dev/'),
    );
    assert.ok(broker && source && ksvc);
    const rename = (o: KubeObject, name: string, spec: unknown): KubeObject => ({
      ...o,
      metadata: { ...o.metadata, name },
      spec,
    });
    const broken: Array<[KubeObject, RegExp]> = [
      [rename(broker, 'typo-broker', { ...(broker['spec'] as object), deliveri: {} }), /deliveri/],
      [
        rename(source, 'no-resources', { ...(source['spec'] as object), resources: undefined }),
        /resources/,
      ],
      [
        rename(ksvc, 'wrong-type', {
          template: { spec: { containers: [{ image: 'x', ports: [{ containerPort: 'http' }] }] } },
        }),
        /containerPort/,
      ],
    ];
    const results = await serverSideApply(
      cluster.kubeConfig(),
      broken.map(([o]) => o),
      { dryRun: true },
    );
    results.forEach((r, i) => {
      assert.equal(r.ok, false, `${r.key} was accepted`);
      assert.match(r.message ?? '', broken[i]?.[1] ?? /^$/, r.key);
    });
  });
});
