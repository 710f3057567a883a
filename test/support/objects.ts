// Realistic Velero objects as the API server returns them (and ApiServerSource sends them),
// overridable by spread in tests.

import { readFileSync } from 'node:fs';

export function veleroBackup(name = 'nightly-payments', overrides: Record<string, unknown> = {}) {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: {
      name,
      namespace: 'velero',
      uid: 'b3c1f0de-1c2a-4f7e-9a55-0e6f3d2b1a90',
      resourceVersion: '48213411',
      generation: 1,
      creationTimestamp: '2026-11-21T02:00:00Z',
      labels: { 'velero.io/storage-location': 'default', 'velero.io/schedule-name': 'nightly' },
      annotations: {
        'velero.io/source-cluster-k8s-gitversion': 'v1.33.2',
        'velero.io/resource-timeout': '10m0s',
      },
    },
    spec: {
      includedNamespaces: ['payments'],
      labelSelector: {
        matchLabels: { 'member.vmgroup-backup.dev/payments': 'VirtualMachineGroup' },
      },
      orLabelSelectors: [],
      snapshotVolumes: true,
      snapshotMoveData: false,
      defaultVolumesToFsBackup: false,
      storageLocation: 'default',
      ttl: '720h0m0s',
      csiSnapshotTimeout: '10m0s',
      itemOperationTimeout: '4h0m0s',
      hooks: {},
      metadata: {},
    },
    status: {
      phase: 'InProgress',
      version: 1,
      formatVersion: '1.1.0',
      expiration: '2026-12-21T02:00:00Z',
      startTimestamp: '2026-11-21T02:00:01Z',
      progress: { totalItems: 42, itemsBackedUp: 17 },
    },
    ...overrides,
  };
}

export function veleroRestore(name = 'payments-restore', overrides: Record<string, unknown> = {}) {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Restore',
    metadata: {
      name,
      namespace: 'velero',
      uid: '0d9a7c41-5e2b-4b8f-8c3d-7a6e5f4d3c21',
      resourceVersion: '48219002',
      generation: 2,
      creationTimestamp: '2026-11-21T09:30:00Z',
    },
    spec: {
      backupName: 'nightly-payments',
      includedNamespaces: ['*'],
      excludedResources: [
        'nodes',
        'events',
        'events.events.k8s.io',
        'backups.velero.io',
        'restores.velero.io',
      ],
      restorePVs: true,
      resourceModifier: { kind: 'ConfigMap', name: 'vmgroup-backup-restore-modifiers' },
      itemOperationTimeout: '4h0m0s',
      hooks: {},
    },
    status: {
      phase: 'InProgress',
      startTimestamp: '2026-11-21T09:30:01Z',
      progress: { totalItems: 42, itemsRestored: 3 },
    },
    ...overrides,
  };
}

/** A 17 KiB VM Operator VirtualMachine (v1alpha5) with managedFields and status, as a Supervisor returns it. */
export function virtualMachine(): {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string };
} {
  return JSON.parse(
    readFileSync(new URL('../../bench/fixtures/virtualmachine.json', import.meta.url), 'utf8'),
  );
}
