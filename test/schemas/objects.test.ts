// The object and envelope schemas accept what upstream really sends and reject broken shapes.
// Real-API-server round trips live in objects.int.test.ts.

import assert from 'node:assert/strict';
import { schemaId } from '../../functions/runtime/schema/schema-files.ts';
import { violation } from '../../functions/runtime/schema/validation.ts';
import { sharedValidators } from '../support/runtime.ts';
import { veleroBackup, veleroRestore, virtualMachine } from '../support/objects.ts';
import { apiServerEvent, pingEvent } from '../support/cloudevents.ts';
import type { InboundEvent } from '../../functions/runtime/function.ts';

const BACKUP = schemaId('objects/backup');
const RESTORE = schemaId('objects/restore');

/** The structured-mode shape the envelope schemas check. */
function envelope(e: InboundEvent): Record<string, unknown> {
  const { extensions, ...attributes } = e;
  const out: Record<string, unknown> = {
    specversion: '1.0',
    ...attributes,
    ...extensions,
    datacontenttype: 'application/json',
  };
  delete out.data;
  return out;
}

describe('object schemas', () => {
  const check = async (id: string, value: unknown) =>
    violation(await sharedValidators(), id, value);

  const accepted: Array<[string, string, () => unknown]> = [
    ['Backup in progress', BACKUP, () => veleroBackup()],
    ['Backup with no status yet (just created)', BACKUP, () => ({ ...veleroBackup(), status: {} })],
    [
      'Backup with a field Velero adds later',
      BACKUP,
      () => ({ ...veleroBackup(), spec: { ...veleroBackup().spec, futureField: { x: 1 } } }),
    ],
    [
      'Backup PartiallyFailed with errors',
      BACKUP,
      () => veleroBackup('b', { status: { phase: 'PartiallyFailed', errors: 2, warnings: 7 } }),
    ],
    ['Restore in progress', RESTORE, () => veleroRestore()],
    [
      'Restore completed',
      RESTORE,
      () =>
        veleroRestore('r', {
          status: { phase: 'Completed', completionTimestamp: '2026-11-21T09:41:00Z' },
        }),
    ],
    [
      'VirtualMachine v1alpha5 from a Supervisor',
      schemaId('objects/virtualmachine'),
      virtualMachine,
    ],
    ['PingSource data', schemaId('objects/pingsource-event'), () => ({ resync: 'all' })],
    ['PingSource without data', schemaId('objects/pingsource-event'), () => null],
    [
      'Reference-mode data',
      schemaId('cloudevents/apiserver-ref'),
      () => apiServerEvent('update', veleroBackup(), 'ref').data,
    ],
    [
      'ApiServerSource envelope',
      schemaId('cloudevents/apiserver-envelope'),
      () => envelope(apiServerEvent('delete', veleroBackup())),
    ],
    [
      'PingSource envelope',
      schemaId('cloudevents/pingsource-envelope'),
      () => envelope(pingEvent()),
    ],
    [
      'Go-formatted time with nanoseconds',
      schemaId('cloudevents/cloudevent'),
      () => ({ ...envelope(pingEvent()), time: '2026-11-21T13:14:15.123456789Z' }),
    ],
  ];
  for (const [name, id, make] of accepted) {
    it(`accepts: ${name}`, async () => assert.equal(await check(id, make()), undefined));
  }

  const rejected: Array<[string, string, () => unknown, RegExp]> = [
    [
      'Backup without metadata',
      BACKUP,
      () => ({ apiVersion: 'velero.io/v1', kind: 'Backup' }),
      /required/,
    ],
    [
      'Backup with an unknown phase',
      BACKUP,
      () => veleroBackup('b', { status: { phase: 'Done' } }),
      /phase/,
    ],
    [
      'Backup with a numeric name',
      BACKUP,
      () => ({ ...veleroBackup(), metadata: { name: 7 } }),
      /name/,
    ],
    [
      'Backup with labels that are not strings',
      BACKUP,
      () => ({ ...veleroBackup(), metadata: { name: 'b', labels: { a: 1 } } }),
      /labels/,
    ],
    ['Restore as a Backup', BACKUP, () => veleroRestore(), /kind/],
    [
      'Backup with includedNamespaces as a string',
      BACKUP,
      () => ({ ...veleroBackup(), spec: { includedNamespaces: 'payments' } }),
      /includedNamespaces/,
    ],
    [
      'Restore with a resourceModifier lacking name',
      RESTORE,
      () => ({ ...veleroRestore(), spec: { resourceModifier: { kind: 'ConfigMap' } } }),
      /resourceModifier/,
    ],
    [
      'VirtualMachine of another API group',
      schemaId('objects/virtualmachine'),
      () => ({ ...virtualMachine(), apiVersion: 'example.com/v1' }),
      /apiVersion/,
    ],
    [
      'Reference-mode data without name',
      schemaId('cloudevents/apiserver-ref'),
      () => ({ kind: 'Backup', apiVersion: 'velero.io/v1' }),
      /name/,
    ],
    [
      'ApiServerSource envelope with a foreign type',
      schemaId('cloudevents/apiserver-envelope'),
      () => ({
        ...envelope(apiServerEvent('add', veleroBackup())),
        type: 'dev.knative.apiserver.resource.patch',
      }),
      /type/,
    ],
    [
      'CloudEvent with an upper-case extension name',
      schemaId('cloudevents/cloudevent'),
      () => ({ ...envelope(pingEvent()), Foo: 'x' }),
      /propertyName|property name/,
    ],
    [
      'CloudEvent with a bad time',
      schemaId('cloudevents/cloudevent'),
      () => ({ ...envelope(pingEvent()), time: 'yesterday' }),
      /time/,
    ],
    [
      'PingSource envelope from a non-PingSource source',
      schemaId('cloudevents/pingsource-envelope'),
      () => ({ ...envelope(pingEvent()), source: '/apis/v1/namespaces/x/apiserversources/y' }),
      /source/,
    ],
  ];
  for (const [name, id, make, why] of rejected) {
    it(`rejects: ${name}`, async () => {
      const bad = await check(id, make());
      assert.ok(bad, 'accepted');
      assert.match(`${bad.message} ${bad.schemaPath}`, why);
    });
  }
});
