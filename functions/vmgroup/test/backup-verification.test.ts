import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import type { ObjectKey } from '../closure.ts';
import type { Evidence, ExpectedGroup, ResourceList } from '../backup-verification.ts';
import {
  backupVerifiable,
  parseResourceList,
  verificationMessage,
  verifyGroups,
} from '../backup-verification.ts';
import { VELERO_EXCLUDE_LABEL } from '../names.ts';

const SHOP: ObjectKey[] = [
  { kind: 'VirtualMachineGroup', name: 'shop' },
  { kind: 'VirtualMachine', name: 'db' },
  { kind: 'VirtualMachine', name: 'web' },
  { kind: 'Secret', name: 'db-boot' },
  { kind: 'ConfigMap', name: 'web-boot' },
  { kind: 'PersistentVolumeClaim', name: 'db-data' },
];
const group: ExpectedGroup = { namespace: 'apps', name: 'shop', objects: SHOP };

/** The item list of a backup that took everything of `shop`, as Velero writes it. */
const WHOLE: ResourceList = {
  'vmoperator.vmware.com/v1alpha5/VirtualMachineGroup': ['apps/shop'],
  'vmoperator.vmware.com/v1alpha5/VirtualMachine': ['apps/db', 'apps/web'],
  'v1/Secret': ['apps/db-boot'],
  'v1/ConfigMap': ['apps/web-boot', 'apps/kube-root-ca.crt'],
  'v1/PersistentVolumeClaim': ['apps/db-data'],
  'v1/Namespace': ['apps'],
};

function without(list: ResourceList, gvk: string, item: string): ResourceList {
  return { ...list, [gvk]: (list[gvk] ?? []).filter((i) => i !== item) };
}

describe('backup verification (pure)', () => {
  describe('backupVerifiable', () => {
    const cases: [string | undefined, boolean][] = [
      ['Completed', true],
      ['PartiallyFailed', true],
      [undefined, false],
      ['InProgress', false],
      ['WaitingForPluginOperations', false],
      ['Finalizing', false],
      ['FinalizingPartiallyFailed', false],
      ['Failed', false],
      ['FailedValidation', false],
      ['Deleting', false],
    ];
    for (const [phase, want] of cases)
      it(`${phase ?? '(none)'} → ${want}`, () => assert.equal(backupVerifiable(phase), want));
  });

  describe('verifyGroups', () => {
    const cases: {
      name: string;
      list: ResourceList;
      evidence?: Evidence;
      result: 'verified' | 'incomplete';
      found: number;
      missing: { kind: string; name: string; cause: string }[];
    }[] = [
      { name: 'whole closure present', list: WHOLE, result: 'verified', found: 6, missing: [] },
      {
        name: 'another API version of the same kind still counts',
        list: {
          ...without(WHOLE, 'vmoperator.vmware.com/v1alpha5/VirtualMachine', 'apps/db'),
          'vmoperator.vmware.com/v1alpha4/VirtualMachine': ['apps/db'],
        },
        result: 'verified',
        found: 6,
        missing: [],
      },
      {
        name: 'same name in another namespace does not count',
        list: { ...WHOLE, 'v1/Secret': ['other/db-boot'] },
        result: 'incomplete',
        found: 5,
        missing: [{ kind: 'Secret', name: 'db-boot', cause: 'unknown' }],
      },
      {
        name: 'same name under another API group does not count',
        list: {
          ...without(WHOLE, 'vmoperator.vmware.com/v1alpha5/VirtualMachine', 'apps/web'),
          'example.com/v1/VirtualMachine': ['apps/web'],
        },
        result: 'incomplete',
        found: 5,
        missing: [{ kind: 'VirtualMachine', name: 'web', cause: 'unknown' }],
      },
      {
        name: 'member labelled velero.io/exclude-from-backup',
        list: without(WHOLE, 'vmoperator.vmware.com/v1alpha5/VirtualMachine', 'apps/web'),
        evidence: {
          labelsOf: (_ns, k) => (k.name === 'web' ? { [VELERO_EXCLUDE_LABEL]: 'true' } : undefined),
        },
        result: 'incomplete',
        found: 5,
        missing: [{ kind: 'VirtualMachine', name: 'web', cause: 'excludeLabel' }],
      },
      {
        name: "exclude label set to anything but true is not Velero's exclusion",
        list: without(WHOLE, 'vmoperator.vmware.com/v1alpha5/VirtualMachine', 'apps/web'),
        evidence: { labelsOf: () => ({ [VELERO_EXCLUDE_LABEL]: 'yes' }) },
        result: 'incomplete',
        found: 5,
        missing: [{ kind: 'VirtualMachine', name: 'web', cause: 'unknown' }],
      },
      {
        name: "the Backup's resource filter cuts every PVC",
        list: { ...WHOLE, 'v1/PersistentVolumeClaim': [] },
        evidence: {
          filterCut: (_ns, k) =>
            k.kind === 'PersistentVolumeClaim' ? 'resourceFilter' : undefined,
        },
        result: 'incomplete',
        found: 5,
        missing: [{ kind: 'PersistentVolumeClaim', name: 'db-data', cause: 'resourceFilter' }],
      },
      {
        name: "VMs on the vSphere plugin's blocked list",
        list: { ...WHOLE, 'vmoperator.vmware.com/v1alpha5/VirtualMachine': [] },
        evidence: { blockedResources: new Set(['virtualmachines.vmoperator.vmware.com']) },
        result: 'incomplete',
        found: 4,
        missing: [
          { kind: 'VirtualMachine', name: 'db', cause: 'blockedKind' },
          { kind: 'VirtualMachine', name: 'web', cause: 'blockedKind' },
        ],
      },
      {
        name: 'an item error wins over a blocked kind',
        list: { ...WHOLE, 'vmoperator.vmware.com/v1alpha5/VirtualMachine': ['apps/web'] },
        evidence: {
          itemErrors: new Set(['apps/db']),
          blockedResources: new Set(['virtualmachines.vmoperator.vmware.com']),
        },
        result: 'incomplete',
        found: 5,
        missing: [{ kind: 'VirtualMachine', name: 'db', cause: 'itemError' }],
      },
      {
        name: 'empty item list: everything missing, listed in kind order',
        list: {},
        evidence: { filterCut: () => 'labelSelector' },
        result: 'incomplete',
        found: 0,
        missing: [
          { kind: 'VirtualMachineGroup', name: 'shop', cause: 'labelSelector' },
          { kind: 'VirtualMachine', name: 'db', cause: 'labelSelector' },
          { kind: 'VirtualMachine', name: 'web', cause: 'labelSelector' },
          { kind: 'Secret', name: 'db-boot', cause: 'labelSelector' },
          { kind: 'ConfigMap', name: 'web-boot', cause: 'labelSelector' },
          { kind: 'PersistentVolumeClaim', name: 'db-data', cause: 'labelSelector' },
        ],
      },
    ];
    for (const c of cases)
      it(c.name, () => {
        const [v] = verifyGroups(c.list, [group], c.evidence);
        assert.ok(v);
        assert.equal(v.result, c.result);
        assert.equal(v.found, c.found);
        assert.deepEqual(v.missing, c.missing);
      });

    it('judges each group on its own closure', () => {
      const other: ExpectedGroup = {
        namespace: 'apps',
        name: 'batch',
        objects: [{ kind: 'VirtualMachineGroup', name: 'batch' }],
      };
      const out = verifyGroups(WHOLE, [group, other]);
      assert.deepEqual(
        out.map((v) => [v.name, v.result]),
        [
          ['shop', 'verified'],
          ['batch', 'incomplete'],
        ],
      );
    });
  });

  describe('parseResourceList', () => {
    it('reads the gzipped JSON Velero stores', () => {
      assert.deepEqual(parseResourceList(gzipSync(JSON.stringify(WHOLE))), WHOLE);
    });
    const bad: [string, Uint8Array][] = [
      ['not gzip', Buffer.from('{}')],
      ['not JSON', gzipSync('nope')],
      ['a JSON array', gzipSync('[]')],
      ['null', gzipSync('null')],
      ['an entry that is not a list', gzipSync('{"v1/Secret":"apps/a"}')],
      ['a name that is not a string', gzipSync('{"v1/Secret":[1]}')],
    ];
    for (const [name, bytes] of bad)
      it(`refuses ${name}`, () => assert.throws(() => parseResourceList(bytes)));
  });

  describe('verificationMessage', () => {
    it('names the count when verified', () => {
      const [v] = verifyGroups(WHOLE, [group]);
      assert.ok(v);
      assert.equal(
        verificationMessage('b1', v),
        'backup b1 holds all 6 objects of group apps/shop',
      );
    });
    it('names every missing object and its cause', () => {
      const list = without(
        without(WHOLE, 'vmoperator.vmware.com/v1alpha5/VirtualMachine', 'apps/web'),
        'v1/Secret',
        'apps/db-boot',
      );
      const [v] = verifyGroups(list, [group], {
        labelsOf: (_ns, k) => (k.name === 'web' ? { [VELERO_EXCLUDE_LABEL]: 'true' } : undefined),
      });
      assert.ok(v);
      assert.equal(
        verificationMessage('b1', v),
        'backup b1 lacks 2 of 6 objects of group apps/shop: ' +
          `VirtualMachine web: labelled ${VELERO_EXCLUDE_LABEL}=true; ` +
          'Secret db-boot: not in the item list (cause unknown; see `velero backup logs`)',
      );
    });
  });
});
