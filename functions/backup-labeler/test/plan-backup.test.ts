import assert from 'node:assert/strict';
import type { VeleroBackup } from '../../../schemas/generated/objects/backup.ts';
import { loadValidators } from '../../runtime/schema/schema-source.ts';
import { violation } from '../../runtime/schema/validation.ts';
import type { Closure } from '../../vmgroup/closure.ts';
import { computeClosures } from '../../vmgroup/closure.ts';
import {
  REASON_BACKUP_EXPANDED,
  REASON_BACKUP_INCOMPLETE,
  VELERO_EXCLUDE_LABEL,
  memberLabelKey,
} from '../../vmgroup/names.ts';
import {
  asKube,
  bootstraps,
  configMap,
  groupFixture,
  groupMember,
  stateOf,
  vm,
  vmg,
  vmMember,
} from '../../vmgroup/test/builders.ts';
import { EXPANDED_SCHEMA } from '../bindings.ts';
import type { LabelsOf } from '../plan-backup.ts';
import {
  backupEventRecord,
  backupNeedsExpansion,
  coverage,
  expandedData,
  explicitNamespaces,
} from '../plan-backup.ts';

function backup(spec: VeleroBackup['spec'] = {}, phase?: string): VeleroBackup {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: { name: 'b1', namespace: 'velero', uid: 'uid-1' },
    spec,
    ...(phase ? { status: { phase: phase as 'New' } } : {}),
  };
}

/** Two namespaces: apps holds app (with nested db) and solo; other holds x. */
function world(): Map<string, Map<string, Closure>> {
  const apps = stateOf(
    [
      asKube(vmg('app', { bootOrder: [[groupMember('db')], [vmMember('web')]] })),
      asKube(vmg('db', { groupName: 'app', bootOrder: [[vmMember('db-0')]] })),
      asKube(vm('web', { groupName: 'app' })),
      asKube(vm('db-0', { groupName: 'db' })),
      ...groupFixture('solo', 2),
    ],
    { secretsUnknown: true },
  );
  const other = stateOf(groupFixture('x', 1, { namespace: 'other' }), {
    namespace: 'other',
    secretsUnknown: true,
  });
  return new Map([
    ['apps', computeClosures(apps)],
    ['other', computeClosures(other)],
  ]);
}

/** Membership labels as the labeler leaves them, plus extra labels per object. */
function labelsFrom(
  closures: Map<string, Map<string, Closure>>,
  extra: Record<string, Record<string, string>> = {},
): LabelsOf {
  return (ns, k) => {
    const out: Record<string, string> = { ...extra[`${k.kind}/${k.name}`] };
    for (const c of closures.get(ns)?.values() ?? [])
      if (c.objects.some((o) => o.kind === k.kind && o.name === k.name)) out[c.labelKey] = k.kind;
    return out;
  };
}

describe('backup-labeler plan-backup', () => {
  describe('which Backups to expand', () => {
    const cases: Array<[string, 'add' | 'update', boolean]> = [
      ['', 'add', true],
      ['New', 'add', true],
      ['InProgress', 'add', true],
      ['New', 'update', true],
      ['InProgress', 'update', false],
      ['Completed', 'add', false],
      ['Completed', 'update', false],
      ['FailedValidation', 'update', false],
    ];
    for (const [phase, verb, expected] of cases) {
      it(`${verb} in phase "${phase}" → ${expected}`, () =>
        assert.equal(backupNeedsExpansion(backup({}, phase || undefined), verb), expected));
    }
  });

  it('explicit namespaces only when the Backup names them without patterns', () => {
    assert.deepEqual(
      explicitNamespaces(
        backup({ includedNamespaces: ['apps', 'other'], excludedNamespaces: ['other'] }),
      ),
      ['apps'],
    );
    assert.equal(explicitNamespaces(backup({})), undefined);
    assert.equal(explicitNamespaces(backup({ includedNamespaces: ['*'] })), undefined);
    assert.equal(explicitNamespaces(backup({ includedNamespaces: ['app*'] })), undefined);
  });

  it('selector on one group: that group (and its nested group) complete, nothing else', () => {
    const closures = world();
    const b = backup({
      includedNamespaces: ['apps'],
      labelSelector: { matchExpressions: [{ key: memberLabelKey('app'), operator: 'Exists' }] },
    });
    const cov = coverage(b, closures, labelsFrom(closures));
    assert.deepEqual(
      cov.groups.map((g) => [g.namespace, g.name, g.coverage]),
      [
        ['apps', 'app', 'complete'],
        ['apps', 'db', 'complete'],
      ],
    );
    assert.deepEqual(cov.totals, {
      virtualMachineGroups: 2,
      virtualMachines: 2,
      secrets: 0,
      configMaps: 0,
      persistentVolumeClaims: 0,
      virtualMachineServices: 0,
      virtualMachineSetResourcePolicies: 0,
      encryptionClasses: 0,
    });
  });

  it('orLabelSelectors over two groups in two namespaces; totals count distinct objects', () => {
    const closures = world();
    const b = backup({
      orLabelSelectors: [
        { matchExpressions: [{ key: memberLabelKey('solo'), operator: 'Exists' }] },
        { matchLabels: { [memberLabelKey('x')]: 'VirtualMachine' } },
      ],
    });
    const cov = coverage(b, closures, labelsFrom(closures));
    assert.deepEqual(
      cov.groups.map((g) => [g.name, g.coverage, g.cut.length]),
      [
        ['solo', 'complete', 0],
        ['x', 'partial', 4],
      ],
    );
    assert.deepEqual(
      cov.groups[1]!.cut.map((c) => [c.kind, c.reason]),
      [
        ['VirtualMachineGroup', 'labelSelector'],
        ['Secret', 'labelSelector'],
        ['PersistentVolumeClaim', 'labelSelector'],
        ['PersistentVolumeClaim', 'labelSelector'],
      ],
    );
    assert.deepEqual(cov.totals, {
      virtualMachineGroups: 1,
      virtualMachines: 3,
      secrets: 2,
      configMaps: 0,
      persistentVolumeClaims: 4,
      virtualMachineServices: 0,
      virtualMachineSetResourcePolicies: 0,
      encryptionClasses: 0,
    });
  });

  it('a whole-namespace Backup that excludes Secrets cuts every group; exclude label cuts one object', () => {
    const closures = world();
    const b = backup({ includedNamespaces: ['apps'], excludedResources: ['secrets'] });
    const cov = coverage(
      b,
      closures,
      labelsFrom(closures, {
        'PersistentVolumeClaim/solo-vm-0-disk-0': { [VELERO_EXCLUDE_LABEL]: 'true' },
      }),
    );
    const solo = cov.groups.find((g) => g.name === 'solo')!;
    assert.equal(solo.coverage, 'partial');
    assert.deepEqual(
      solo.cut.map((c) => `${c.kind}/${c.name}:${c.reason}`),
      [
        'Secret/solo-vm-0-boot:resourceFilter',
        'Secret/solo-vm-1-boot:resourceFilter',
        'PersistentVolumeClaim/solo-vm-0-disk-0:excludeLabel',
      ],
    );
    assert.equal(cov.groups.find((g) => g.name === 'app')?.coverage, 'complete');
    assert.equal(
      cov.groups.some((g) => g.namespace === 'other'),
      false,
    );
    // The record for the verifier holds the whole closure, cut objects included, with their cuts.
    const recorded = cov.recorded.find((g) => g.name === 'solo')!;
    assert.deepEqual(recorded.cut, solo.cut);
    for (const c of solo.cut)
      assert.ok(recorded.objects.some((o) => o.kind === c.kind && o.name === c.name));
    assert.equal(
      recorded.objects.length,
      Object.values(solo.counts).reduce((a, b) => a + b, 0) + solo.cut.length,
    );
  });

  it('absent Secrets are reported missing and not counted; the report validates and is a Warning', async () => {
    const closures = world();
    const b = backup({
      includedNamespaces: ['apps'],
      labelSelector: { matchExpressions: [{ key: memberLabelKey('solo'), operator: 'Exists' }] },
    });
    const cov = coverage(
      b,
      closures,
      labelsFrom(closures),
      new Map([['apps', new Set(['solo-vm-1-boot'])]]),
    );
    assert.deepEqual(cov.groups[0]!.missing, [
      {
        kind: 'Secret',
        name: 'solo-vm-1-boot',
        role: 'bootstrap.cloudInit.rawCloudConfig',
        referencedBy: { kind: 'VirtualMachine', name: 'solo-vm-1' },
      },
    ]);
    assert.equal(cov.totals.secrets, 1);
    const data = expandedData(b, cov, 7, 5);
    assert.equal(violation(await loadValidators(), EXPANDED_SCHEMA, data), undefined);
    const rec = backupEventRecord(data);
    assert.equal(rec.type, 'Warning');
    assert.equal(rec.reason, REASON_BACKUP_INCOMPLETE);
    assert.match(
      rec.message,
      /^covers 1 VirtualMachineGroup\(s\) \(apps\/solo\): 2 VirtualMachine\(s\), 1 Secret\(s\), 0 ConfigMap\(s\), 4 PVC\(s\), 1 group object\(s\); 7 label\(s\) changed; problems: apps\/solo: missing Secret solo-vm-1-boot \(VirtualMachine solo-vm-1\)\. On restore: Velero restores 2 VM\(s\) as new VMs deployed from their images \(boot disk state is not restored; only PVC data returns\); the target must provide VirtualMachineImage\/vmi-0123456789abcdef0 and each VM's class and storage class$/,
    );
    assert.deepEqual(
      data.groups[0]!.fidelity.map((f) => [f.vm, f.comesBack.pvcs, f.comesBack.bootstrap]),
      [
        ['solo-vm-0', ['solo-vm-0-disk-0', 'solo-vm-0-disk-1'], ['Secret/solo-vm-0-boot']],
        ['solo-vm-1', ['solo-vm-1-disk-0', 'solo-vm-1-disk-1'], []],
      ],
    );
    assert.equal(rec.dedupeKey, 'backup-expanded');
  });

  it('an absent Secret whose same-named ConfigMap is in the closure is not missing (found end to end)', () => {
    const state = stateOf(
      [
        asKube(vmg('g', { bootOrder: [[vmMember('v')]] })),
        asKube(vm('v', { groupName: 'g', bootstrap: bootstraps.cloudInitRaw('cfg') })),
        configMap('cfg'),
      ],
      { secretsUnknown: true },
    );
    const closures = new Map([['apps', computeClosures(state)]]);
    const b = backup({
      includedNamespaces: ['apps'],
      labelSelector: { matchExpressions: [{ key: memberLabelKey('g'), operator: 'Exists' }] },
    });
    const cov = coverage(b, closures, labelsFrom(closures), new Map([['apps', new Set(['cfg'])]]));
    assert.deepEqual(cov.groups[0]!.missing, []);
    assert.equal(cov.totals.configMaps, 1);
    assert.equal(cov.totals.secrets, 0);
    assert.equal(backupEventRecord(expandedData(b, cov, 0, 0)).reason, REASON_BACKUP_EXPANDED);
  });

  it('a clean report is Normal; a Backup covering nothing says so', () => {
    const closures = world();
    const clean = coverage(
      backup({ includedNamespaces: ['other'] }),
      closures,
      labelsFrom(closures),
    );
    const rec = backupEventRecord(expandedData(backup(), clean, 0, 0));
    assert.deepEqual([rec.type, rec.reason], ['Normal', REASON_BACKUP_EXPANDED]);
    const none = backupEventRecord(
      expandedData(
        backup(),
        coverage(backup({ includedNamespaces: ['nothing-here'] }), closures, labelsFrom(closures)),
        0,
        0,
      ),
    );
    assert.equal(none.message, 'covers no VirtualMachineGroup');
  });

  it('cycles and membership problems reach the report', () => {
    const closures = new Map([
      [
        'apps',
        computeClosures(
          stateOf([
            asKube(
              vmg('a', { groupName: 'b', bootOrder: [[groupMember('b'), vmMember('ghost')]] }),
            ),
            asKube(vmg('b', { groupName: 'a', bootOrder: [[groupMember('a')]] })),
          ]),
        ),
      ],
    ]);
    const cov = coverage(
      backup({
        includedNamespaces: ['apps'],
        labelSelector: { matchExpressions: [{ key: memberLabelKey('a'), operator: 'Exists' }] },
      }),
      closures,
      labelsFrom(closures),
    );
    const msg = backupEventRecord(expandedData(backup(), cov, 0, 0)).message;
    assert.match(msg, /apps\/a: missing VirtualMachine ghost \(VirtualMachineGroup a\)/);
    assert.match(msg, /apps\/a: cycle a → b → a/);
  });
});
