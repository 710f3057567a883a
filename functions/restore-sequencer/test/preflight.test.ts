import assert from 'node:assert/strict';
import { describeLack, preflight, type RestoredVmSpec, type Target } from '../preflight.ts';

const TARGET: Target = {
  namespace: 'shop-dr',
  images: [{ name: 'vmi-0a1b2c', displayName: 'ubuntu-22.04', ready: true }],
  clusterImages: [
    { name: 'vmi-ffee01', displayName: 'photon-5', ready: true },
    { name: 'vmi-notrdy', displayName: 'broken', ready: false },
  ],
  classes: ['best-effort-small'],
  storageClasses: ['wcp-policy', 'unassigned-policy'],
  quotaKeys: ['wcp-policy.storageclass.storage.k8s.io/requests.storage', 'requests.cpu'],
  encryptionClasses: ['my-keys'],
};

const vm = (spec: RestoredVmSpec['spec']): RestoredVmSpec => ({ name: 'db-0', spec });
const OK = {
  image: { kind: 'VirtualMachineImage', name: 'vmi-0a1b2c' },
  imageName: 'ubuntu-22.04',
  className: 'best-effort-small',
  storageClass: 'wcp-policy',
};

describe('restore preflight: what the target namespace must offer', () => {
  const cases: Array<[string, RestoredVmSpec['spec'], Array<[string, string, RegExp]>]> = [
    ['everything present', OK, []],
    ['a VM naming nothing needs nothing', {}, []],
    [
      'cluster image present',
      {
        ...OK,
        image: { kind: 'ClusterVirtualMachineImage', name: 'vmi-ffee01' },
        imageName: 'photon-5',
      },
      [],
    ],
    [
      'image hash from another Supervisor, display name present here: names the local image',
      { ...OK, image: { kind: 'VirtualMachineImage', name: 'vmi-999999' } },
      [
        [
          'image',
          'VirtualMachineImage/vmi-999999',
          /here is vmi-0a1b2c: restore again with spec.image removed and spec.imageName kept/,
        ],
      ],
    ],
    [
      'image absent, no display name match: kubectl to list images',
      { ...OK, image: { kind: 'VirtualMachineImage', name: 'vmi-999999' }, imageName: 'centos' },
      [['image', 'VirtualMachineImage/vmi-999999', /kubectl get vmi -n shop-dr; kubectl get cvmi/]],
    ],
    [
      'namespaced image of the same name is not a cluster image',
      { ...OK, image: { kind: 'ClusterVirtualMachineImage', name: 'vmi-0a1b2c' } },
      [['image', 'ClusterVirtualMachineImage/vmi-0a1b2c', /not found \(/]],
    ],
    [
      'image not Ready',
      { ...OK, image: { kind: 'ClusterVirtualMachineImage', name: 'vmi-notrdy' } },
      [['image', 'ClusterVirtualMachineImage/vmi-notrdy', /kubectl describe cvmi vmi-notrdy/]],
    ],
    [
      'class not bound to the namespace',
      { ...OK, className: 'guaranteed-large' },
      [['class', 'guaranteed-large', /kubectl get vmclass -n shop-dr guaranteed-large/]],
    ],
    [
      'storage class missing',
      { ...OK, storageClass: 'gold' },
      [['storage class', 'gold', /kubectl get storageclass/]],
    ],
    [
      'storage class exists but has no quota entry in the namespace',
      { ...OK, storageClass: 'unassigned-policy' },
      [['storage class', 'unassigned-policy', /kubectl get resourcequota -n shop-dr/]],
    ],
    ['encryption class present', { ...OK, crypto: { encryptionClassName: 'my-keys' } }, []],
    [
      'encryption class missing, with the others',
      { ...OK, className: 'x', crypto: { encryptionClassName: 'other-keys' } },
      [
        ['class', 'x', /bind the class/],
        ['encryption class', 'other-keys', /kubectl get encryptionclass/],
      ],
    ],
  ];
  for (const [name, spec, want] of cases)
    it(name, () => {
      const got = preflight(vm(spec), TARGET);
      assert.deepEqual(
        got.map((l) => [l.what, l.name]),
        want.map(([what, n]) => [what, n]),
      );
      got.forEach((l, i) => assert.match(`${l.problem}; ${l.fix}`, want[i]![2]));
    });

  it('describes a lack in one line naming the VM, the object and the fix', () => {
    const [l] = preflight(vm({ ...OK, className: 'guaranteed-large' }), TARGET);
    assert.equal(
      describeLack('db-0', l!),
      "VM db-0: class guaranteed-large VirtualMachineClass not available in namespace shop-dr; bind the class to the namespace (vSphere Client: the namespace's VM Service, Manage VM classes), then check: kubectl get vmclass -n shop-dr guaranteed-large",
    );
  });
});
