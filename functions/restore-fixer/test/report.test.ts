import assert from 'node:assert/strict';
import { ANNOTATION_RESTORE_STRIPPED, RESOURCE_MODIFIER_CONFIGMAP } from '../../vmgroup/names.ts';
import { asKube, vm } from '../../vmgroup/test/builders.ts';
import {
  modifierMissingEvent,
  rerunCommand,
  shellWord,
  stripIncompleteEvent,
  targetsGroups,
  usesOurModifier,
  type RestoreLike,
} from '../report.ts';
import { verify } from '../verify.ts';

const restore = (spec: RestoreLike['spec']): RestoreLike => ({
  apiVersion: 'velero.io/v1',
  kind: 'Restore',
  metadata: { name: 'r1', namespace: 'velero' },
  spec,
});

describe('restore fixer: report', () => {
  const commands: Array<[string, RestoreLike['spec'], string]> = [
    ['a backup', { backupName: 'b1' }, 'velero restore create --from-backup b1'],
    [
      'a schedule',
      { scheduleName: 'nightly', backupName: 'nightly-2026' },
      'velero restore create --from-schedule nightly',
    ],
    [
      'namespaces and a mapping',
      {
        backupName: 'b1',
        includedNamespaces: ['a', 'b'],
        excludedNamespaces: ['c'],
        namespaceMapping: { a: 'a2' },
      },
      'velero restore create --from-backup b1 --include-namespaces a,b --exclude-namespaces c --namespace-mappings a:a2',
    ],
    [
      'a selector',
      {
        backupName: 'b1',
        labelSelector: { matchLabels: { 'member.vmgroup-backup.dev/app': 'VirtualMachineGroup' } },
      },
      'velero restore create --from-backup b1 --selector member.vmgroup-backup.dev/app=VirtualMachineGroup',
    ],
  ];
  for (const [name, spec, prefix] of commands) {
    it(`repeats a restore from ${name} with the modifier`, () => {
      assert.equal(
        rerunCommand(restore(spec)),
        `${prefix} --resource-modifier-configmap ${RESOURCE_MODIFIER_CONFIGMAP}`,
      );
    });
  }

  const scopes: Array<[string, RestoreLike['spec'], boolean]> = [
    [
      'a membership-label selector',
      {
        labelSelector: { matchLabels: { 'member.vmgroup-backup.dev/app': 'VirtualMachineGroup' } },
      },
      true,
    ],
    [
      'membership labels in or-selectors',
      {
        orLabelSelectors: [
          { matchLabels: { a: 'b' } },
          { matchExpressions: [{ key: 'member.vmgroup-backup.dev/db' }] },
        ],
      },
      true,
    ],
    [
      'the seed group label',
      { labelSelector: { matchExpressions: [{ key: 'vmgroup.vmoperator.vmware.com/name' }] } },
      true,
    ],
    [
      'VM Operator resources',
      { includedResources: ['virtualmachines.vmoperator.vmware.com'] },
      true,
    ],
    ['a whole namespace', { includedNamespaces: ['apps'] }, false],
    ['other resources', { includedResources: ['deployments', 'configmaps'] }, false],
  ];
  for (const [name, spec, expected] of scopes) {
    it(`${expected ? 'warns at once' : 'waits for a VM'} on a Restore selecting ${name}`, () => {
      assert.equal(targetsGroups(restore(spec)), expected);
    });
  }

  it('repeats or-selectors and included resources', () => {
    const spec: RestoreLike['spec'] = {
      backupName: 'b1',
      includedResources: ['virtualmachines', 'secrets'],
      orLabelSelectors: [
        { matchLabels: { 'member.vmgroup-backup.dev/a': 'VirtualMachineGroup' } },
        { matchLabels: { 'member.vmgroup-backup.dev/b': 'VirtualMachineGroup' } },
      ],
    };
    assert.equal(
      rerunCommand(restore(spec)),
      `velero restore create --from-backup b1 --include-resources virtualmachines,secrets --or-selector 'member.vmgroup-backup.dev/a=VirtualMachineGroup or member.vmgroup-backup.dev/b=VirtualMachineGroup' --resource-modifier-configmap ${RESOURCE_MODIFIER_CONFIGMAP}`,
    );
  });

  it('quotes values a shell would expand or split', () => {
    assert.equal(
      rerunCommand(restore({ backupName: 'b1', includedNamespaces: ['*'] })),
      `velero restore create --from-backup b1 --include-namespaces '*' --resource-modifier-configmap ${RESOURCE_MODIFIER_CONFIGMAP}`,
    );
    assert.equal(shellWord("it's"), `'it'\\''s'`);
    assert.equal(shellWord('apps:apps-restored,b'), 'apps:apps-restored,b');
  });

  it('recognises the modifier by name and kind, case-insensitively for the kind', () => {
    assert.ok(
      usesOurModifier(
        restore({ resourceModifier: { kind: 'ConfigMap', name: RESOURCE_MODIFIER_CONFIGMAP } }),
      ),
    );
    assert.ok(!usesOurModifier(restore({ resourceModifier: { kind: 'configmap', name: 'mine' } })));
    assert.ok(!usesOurModifier(restore({})));
    assert.match(
      modifierMissingEvent(
        restore({ backupName: 'b', resourceModifier: { kind: 'configmap', name: 'mine' } }),
      ).message,
      /uses the resource modifier ConfigMap "mine", not "vmgroup-backup-restore-modifiers"/,
    );
  });

  it('reports a stripped VM that carries what only a privileged user can remove, without suggesting a re-run', () => {
    const v = asKube(
      vm('db', {
        annotations: {
          [ANNOTATION_RESTORE_STRIPPED]: '1',
          'poweron.check.vmoperator.vmware.com/backup-tool': 'hold',
        },
      }),
    );
    const e = stripIncompleteEvent(restore({ backupName: 'b' }), 'apps', [verify(v)]);
    assert.match(
      e!.message,
      /carry what only a privileged user can remove: VirtualMachine apps\/db: needs a privileged user: poweron\.check\.vmoperator\.vmware\.com\/backup-tool \(blocks power-on and only privileged users may remove it\)/,
    );
    assert.doesNotMatch(e!.message, /Re-run/);
  });

  it('says nothing about a clean, stripped object', () => {
    const v = asKube(vm('db', { annotations: { [ANNOTATION_RESTORE_STRIPPED]: '1' } }));
    assert.equal(
      stripIncompleteEvent(restore({ backupName: 'b' }), 'apps', [verify(v)]),
      undefined,
    );
  });

  it('says nothing of what VM Operator writes after the modifier has stripped a VM', () => {
    // VM Operator's mutating webhook on create and its controllers after (demo on the VM Operator
    // plane, 2026-12-04): the marker proves the modifier removed the backup's values before create.
    const written = {
      spec: { instanceUUID: 'new-uuid', biosUUID: 'new-bios', class: { name: 'small' } },
      annotations: {
        'vmoperator.vmware.com/created-at-build-version': 'v1.10.0',
        'vmoperator.vmware.com/created-at-schema-version': 'v1alpha5',
        'vmoperator.vmware.com/manager-id': 'new-vc',
        'virtualmachine.vmoperator.vmware.com/first-boot-done': 'true',
      },
    };
    const stripped = asKube(
      vm('db', {
        spec: written.spec,
        annotations: { ...written.annotations, [ANNOTATION_RESTORE_STRIPPED]: '1' },
      }),
    );
    assert.deepEqual(verify(stripped).findings, []);
    assert.equal(
      stripIncompleteEvent(restore({ backupName: 'b' }), 'apps', [verify(stripped)]),
      undefined,
    );
    // Without the marker, or with an outdated one, they may be the backup's own: reported.
    for (const marker of [undefined, '0']) {
      const v = verify(
        asKube(
          vm('db', {
            spec: written.spec,
            annotations: {
              ...written.annotations,
              ...(marker ? { [ANNOTATION_RESTORE_STRIPPED]: marker } : {}),
            },
          }),
        ),
      );
      assert.deepEqual(v.findings.map((f) => f.what).sort(), [
        'annotation virtualmachine.vmoperator.vmware.com/first-boot-done',
        'annotation vmoperator.vmware.com/created-at-build-version',
        'annotation vmoperator.vmware.com/created-at-schema-version',
        'annotation vmoperator.vmware.com/manager-id',
        'spec.biosUUID',
        'spec.class',
        'spec.instanceUUID',
      ]);
    }
  });

  it('flags an object stripped by an outdated copy of the modifier', () => {
    const v = asKube(vm('db', { annotations: { [ANNOTATION_RESTORE_STRIPPED]: '0' } }));
    assert.match(
      stripIncompleteEvent(restore({ backupName: 'b' }), 'apps', [verify(v)])!.message,
      /stripped by an outdated copy of the modifier/,
    );
  });

  it('keeps long reports within the Event size and says how many were left out', () => {
    const many = Array.from({ length: 60 }, (_, i) =>
      verify(asKube(vm(`vm-${i}`, { spec: { instanceUUID: 'x', biosUUID: 'y' } }))),
    );
    const e = stripIncompleteEvent(restore({ backupName: 'b' }), 'apps', many)!;
    assert.ok(e.message.length <= 2048, String(e.message.length));
    assert.match(e.message, /…and \d+ more\. Re-run: /);
  });
});
