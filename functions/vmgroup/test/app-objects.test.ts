import assert from 'node:assert/strict';
import type { VirtualMachine } from '../../../schemas/generated/objects/virtualmachine.ts';
import { appRefs, restoreFidelity, serviceSelects, type VmServiceLike } from '../app-objects.ts';

function vmOf(
  name: string,
  spec: Record<string, unknown>,
  labels?: Record<string, string>,
): VirtualMachine {
  return {
    apiVersion: 'vmoperator.vmware.com/v1alpha5',
    kind: 'VirtualMachine',
    metadata: { name, ...(labels ? { labels } : {}) },
    spec,
  };
}

describe('app objects: VirtualMachineService selection (VM Operator semantics)', () => {
  const cases: Array<
    [string, Record<string, string> | null | undefined, Record<string, string> | undefined, boolean]
  > = [
    ['empty selector selects nothing', {}, { app: 'web' }, false],
    ['absent selector selects nothing', undefined, { app: 'web' }, false],
    ['null selector selects nothing', null, { app: 'web' }, false],
    ['one matching pair', { app: 'web' }, { app: 'web', tier: 'front' }, true],
    ['all pairs must match', { app: 'web', tier: 'db' }, { app: 'web', tier: 'front' }, false],
    ['missing key does not match', { app: 'web' }, { tier: 'front' }, false],
    ['VM without labels', { app: 'web' }, undefined, false],
    ['empty value matches only an empty value', { app: '' }, { app: '' }, true],
    ['empty value does not match an absent key', { app: '' }, {}, false],
  ];
  for (const [title, selector, labels, want] of cases) {
    it(title, () => assert.equal(serviceSelects(selector, labels), want));
  }
});

describe('app objects: links from members', () => {
  it('names the resource policy, encryption class and selecting services per member', () => {
    const db = vmOf(
      'db',
      { reserved: { resourcePolicyName: 'rp' }, crypto: { encryptionClassName: 'ec' } },
      { app: 'shop', tier: 'db' },
    );
    const web = vmOf('web', {}, { app: 'shop', tier: 'web' });
    const services: VmServiceLike[] = [
      { metadata: { name: 'lb' }, spec: { selector: { tier: 'web' } } },
      { metadata: { name: 'all' }, spec: { selector: { app: 'shop' } } },
      { metadata: { name: 'none' }, spec: {} },
      { metadata: { name: 'nospec' } },
      { metadata: { name: 'other' }, spec: { selector: { app: 'other' } } },
    ];
    assert.deepEqual(appRefs([db, web], services), [
      {
        kind: 'VirtualMachineSetResourcePolicy',
        name: 'rp',
        role: 'reserved.resourcePolicyName',
        vm: 'db',
      },
      { kind: 'EncryptionClass', name: 'ec', role: 'crypto.encryptionClassName', vm: 'db' },
      { kind: 'VirtualMachineService', name: 'all', role: 'service.spec.selector', vm: 'db' },
      { kind: 'VirtualMachineService', name: 'lb', role: 'service.spec.selector', vm: 'web' },
      { kind: 'VirtualMachineService', name: 'all', role: 'service.spec.selector', vm: 'web' },
    ]);
  });
  it('ignores empty names and non-string fields', () => {
    const vm = vmOf('a', {
      reserved: { resourcePolicyName: '' },
      crypto: { encryptionClassName: 7 },
    });
    assert.deepEqual(appRefs([vm], []), []);
  });
});

describe('restore fidelity', () => {
  it('says what comes back, what does not and what the target must provide', () => {
    const vm = vmOf('db', {
      image: { kind: 'ClusterVirtualMachineImage', name: 'vmi-0a1b' },
      className: 'best-effort-small',
      storageClass: 'gold',
      crypto: { encryptionClassName: 'ec' },
      volumes: [
        { name: 'data', persistentVolumeClaim: { claimName: 'db-data' } },
        { name: 'log', persistentVolumeClaim: { claimName: 'db-log' } },
        { name: 'gone', persistentVolumeClaim: { claimName: 'db-gone' } },
        { name: 'scratch' },
      ],
    });
    const f = restoreFidelity(vm, {
      bootstrap: ['Secret/db-boot'],
      pvcs: ['db-data', 'db-log'],
      pvcStorageClasses: new Map([
        ['db-data', 'silver'],
        ['db-log', 'gold'],
      ]),
    });
    assert.deepEqual(f, {
      vm: 'db',
      comesBack: { spec: true, pvcs: ['db-data', 'db-log'], bootstrap: ['Secret/db-boot'] },
      doesNot: {
        bootDisk:
          'boot disk state since deploy: redeployed from image ClusterVirtualMachineImage/vmi-0a1b',
        redeployedFrom: 'ClusterVirtualMachineImage/vmi-0a1b',
        nonPvcVolumes: ['scratch'],
        missingPvcs: ['db-gone'],
      },
      targetMustProvide: {
        image: 'ClusterVirtualMachineImage/vmi-0a1b',
        class: 'best-effort-small',
        storageClasses: ['gold', 'silver'],
        encryptionClass: 'ec',
      },
    });
  });
  const none = { bootstrap: [], pvcs: [] };
  it('defaults the image kind and falls back to spec.imageName (v1alpha2 has no spec.image)', () => {
    const f = restoreFidelity(vmOf('w', { imageName: 'ubuntu-22.04' }), none);
    assert.equal(f.targetMustProvide.image, 'VirtualMachineImage/ubuntu-22.04');
    assert.equal(f.targetMustProvide.class, '');
    assert.deepEqual(f.targetMustProvide.storageClasses, []);
  });
  it('spec.image wins over spec.imageName', () => {
    const f = restoreFidelity(
      vmOf('w', { image: { kind: 'VirtualMachineImage', name: 'vmi-1' }, imageName: 'ubuntu' }),
      none,
    );
    assert.equal(f.doesNot.redeployedFrom, 'VirtualMachineImage/vmi-1');
  });
  it('says when no image is named', () => {
    const f = restoreFidelity(vmOf('x', {}), none);
    assert.match(f.doesNot.bootDisk, /names no image/);
    assert.equal(f.doesNot.redeployedFrom, '');
  });
});
