// The object schemas accept Velero objects exactly as the real API server (with Velero's CRDs)
// stores and returns them, which is what ApiServerSource puts in Resource-mode events.

import assert from 'node:assert/strict';
import { testCluster } from '../harness/index.ts';
import { createKube } from '../../functions/runtime/kube/kube.ts';
import type { KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import { schemaId } from '../../functions/runtime/schema/schema-files.ts';
import { violation } from '../../functions/runtime/schema/validation.ts';
import { sharedValidators } from '../support/runtime.ts';
import { veleroBackup, veleroRestore } from '../support/objects.ts';

describe('object schemas against the real API server', function () {
  this.timeout(300_000);

  it('accept Backup and Restore as created, status-updated and read back', async () => {
    const cluster = await testCluster();
    const kube = createKube(cluster.kubeconfigPath);
    const ns = await cluster.newNamespace('schema-objects');
    const validators = await sharedValidators();
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['Backup', veleroBackup('nightly'), schemaId('objects/backup')],
      ['Restore', veleroRestore('restore-1'), schemaId('objects/restore')],
    ];
    for (const [kind, template, id] of cases) {
      const { status, ...spec } = template as {
        status: Record<string, unknown>;
        metadata: { name: string };
      };
      const created = await kube.create({
        ...(spec as unknown as KubeObject),
        metadata: { name: spec.metadata.name, namespace: ns },
      });
      assert.equal(violation(validators, id, created), undefined, `${kind} as created`);
      // Velero writes status through the main resource (its CRDs have no status subresource).
      const updated = await kube.patch(
        { apiVersion: 'velero.io/v1', kind, namespace: ns, name: created.metadata.name },
        { type: 'merge', body: { status } },
      );
      assert.equal(violation(validators, id, updated), undefined, `${kind} with status`);
      assert.deepEqual((updated.status as { phase?: string }).phase, status.phase);
      assert.ok(
        updated.metadata.managedFields,
        'the object carries managedFields like a real event',
      );
    }
  });
});
