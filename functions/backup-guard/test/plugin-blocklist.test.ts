// velero-plugin-for-vsphere's blocked list as the plugin applies it (pure, table-driven).
import assert from 'node:assert/strict';
import { pluginBlocks, pluginBlocksText, pluginEntryName } from '../plugin-blocklist.ts';
import { VSPHERE_PLUGIN_BLOCKED_LIST } from '../../vmgroup/names.ts';

describe('vSphere plugin blocked list (pure)', () => {
  describe('pluginEntryName: the plugin’s UnstructuredToCRDName', () => {
    const cases: Array<[string, string, string]> = [
      ['VirtualMachine', 'vmoperator.vmware.com', 'virtualmachines.vmoperator.vmware.com'],
      [
        'VirtualMachineGroup',
        'vmoperator.vmware.com',
        'virtualmachinegroups.vmoperator.vmware.com',
      ],
      [
        'VirtualMachineSetResourcePolicy',
        'vmoperator.vmware.com',
        'virtualmachinesetresourcepolicies.vmoperator.vmware.com',
      ],
      // Its naive rule, not discovery's plural: what the plugin looks up is what counts.
      ['EncryptionClass', 'encryption.vmware.com', 'encryptionclasss.encryption.vmware.com'],
      ['PersistentVolumeClaim', '', 'persistentvolumeclaims'],
      ['Secret', '', 'secrets'],
    ];
    for (const [kind, group, want] of cases)
      it(`${kind}.${group || 'core'} → ${want}`, () =>
        assert.equal(pluginEntryName(kind, group), want));
  });

  describe('pluginBlocks', () => {
    const DEFAULT = {
      'virtualmachines.vmoperator.vmware.com': 'true',
      'virtualmachineclasses.vmoperator.vmware.com': 'true',
      'virtualmachineservices.vmoperator.vmware.com': 'true',
    };
    const group = { includedNamespaces: ['apps'] };
    const cases: Array<{
      name: string;
      spec?: Record<string, unknown>;
      selection?: 'membership' | 'everything' | 'other';
      data: Record<string, string> | undefined;
      want: string[];
    }> = [
      {
        name: 'the default list blocks the VMs',
        data: DEFAULT,
        want: ['virtualmachines.vmoperator.vmware.com'],
      },
      { name: 'no ConfigMap (plugin not installed)', data: undefined, want: [] },
      {
        name: 'entry set to false',
        data: { ...DEFAULT, 'virtualmachines.vmoperator.vmware.com': 'false' },
        want: [],
      },
      {
        name: 'Go ParseBool spellings: T and 1 block, yes does not',
        data: {
          'virtualmachines.vmoperator.vmware.com': 'T',
          'virtualmachinegroups.vmoperator.vmware.com': '1',
          configmaps: 'yes',
        },
        want: [
          'virtualmachinegroups.vmoperator.vmware.com',
          'virtualmachines.vmoperator.vmware.com',
        ],
      },
      {
        name: 'snapshotVolumes false: the plugin returns before its check',
        spec: { snapshotVolumes: false },
        data: DEFAULT,
        want: [],
      },
      {
        name: 'snapshotVolumes true still blocks',
        spec: { snapshotVolumes: true },
        data: DEFAULT,
        want: ['virtualmachines.vmoperator.vmware.com'],
      },
      {
        name: 'a Backup that does not select groups is not this warning',
        selection: 'everything',
        data: DEFAULT,
        want: [],
      },
      {
        name: 'a kind the Backup excludes anyway is not blocked by the plugin',
        spec: { excludedResources: ['virtualmachines.vmoperator.vmware.com'] },
        data: DEFAULT,
        want: [],
      },
      {
        name: 'core closure kinds too',
        data: { secrets: 'true', persistentvolumeclaims: 'true' },
        want: ['secrets', 'persistentvolumeclaims'],
      },
    ];
    for (const c of cases)
      it(c.name, () => {
        const got = pluginBlocks({ ...group, ...c.spec }, c.selection ?? 'membership', c.data);
        assert.deepEqual(
          got.map((b) => b.entry),
          c.want,
        );
      });
  });

  it('the warning names the ConfigMap, the entry and the command that removes it', () => {
    const [b] = pluginBlocks({}, 'membership', { 'virtualmachines.vmoperator.vmware.com': 'true' });
    const text = pluginBlocksText([b!], 'velero');
    assert.match(
      text,
      new RegExp(
        `velero/${VSPHERE_PLUGIN_BLOCKED_LIST} blocks the group's VirtualMachines \\(virtualmachines.vmoperator.vmware.com\\)`,
      ),
    );
    assert.match(
      text,
      /kubectl -n velero patch configmap velero-vsphere-plugin-blocked-resources-list --type json -p '\[\{"op":"remove","path":"\/data\/virtualmachines.vmoperator.vmware.com"\}\]'/,
    );
    assert.equal(pluginBlocksText([], 'velero'), '');
  });
});
