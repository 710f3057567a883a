// A Restore's results as Velero's restore controller uploads them (pkg/controller/restore_controller.go
// `putResults`: gzipped JSON of {"warnings": Result, "errors": Result}, Go's omitempty), and the
// create errors in them (pkg/restore/restore.go `restoreItem`).
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { failedItems, parseRestoreResults } from '../restore-results.ts';

const gz = (v: unknown) => gzipSync(typeof v === 'string' ? v : JSON.stringify(v));
const DENIED =
  'admission webhook "default.validating.virtualmachine.v1alpha5.vmoperator.vmware.com" denied the request: spec.image: Forbidden: restricted to privileged users';

describe('velero: restore results', () => {
  it('reads what Velero writes, empty parts omitted or null', () => {
    assert.deepEqual(parseRestoreResults(gz('{"errors":{},"warnings":{}}\n')), {
      warnings: {},
      errors: {},
    });
    assert.deepEqual(
      parseRestoreResults(
        gz({
          warnings: { namespaces: { apps: ['w'] } },
          errors: { velero: ['v'], cluster: null, namespaces: { apps: ['e1', 'e2'] } },
        }),
      ),
      {
        warnings: { namespaces: { apps: ['w'] } },
        errors: { velero: ['v'], namespaces: { apps: ['e1', 'e2'] } },
      },
    );
  });

  for (const [what, bytes] of [
    ['not gzip', Buffer.from('{}')],
    ['not JSON', gz('nope')],
    ['a list', gz([])],
    ['messages that are not strings', gz({ errors: { namespaces: { a: [1] } } })],
    ['namespaces as a list', gz({ errors: { namespaces: ['a'] } })],
  ] as const)
    it(`refuses ${what}`, () => assert.throws(() => parseRestoreResults(bytes)));

  it('names each item whose create failed, with the API server error verbatim', () => {
    const items = failedItems({
      warnings: {
        namespaces: { apps: ['error restoring virtualmachines.vmoperator.vmware.com/apps/x: no'] },
      },
      errors: {
        velero: ['error restoring virtualmachines.vmoperator.vmware.com/apps/v: not an item error'],
        cluster: ['error restoring storageclasses.storage.k8s.io/gold: forbidden'],
        namespaces: {
          apps: [
            `error restoring virtualmachines.vmoperator.vmware.com/apps/db: ${DENIED}`,
            'error restoring persistentvolumeclaims/apps/data: exceeded quota: a, b',
            'error restoring additional item virtualmachineimages.vmoperator.vmware.com/apps/i: x',
            'error executing PVAction for persistentvolumes/pv-1: x',
          ],
        },
      },
    });
    assert.deepEqual(items, [
      {
        resource: 'virtualmachines.vmoperator.vmware.com',
        namespace: 'apps',
        name: 'db',
        error: DENIED,
      },
      {
        resource: 'persistentvolumeclaims',
        namespace: 'apps',
        name: 'data',
        error: 'exceeded quota: a, b',
      },
    ]);
  });
});
