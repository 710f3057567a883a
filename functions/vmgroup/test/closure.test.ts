import assert from 'node:assert/strict';
import type { KubeObject } from '../../runtime/kube/kube-api.ts';
import { computeClosure, computeClosures, type Closure } from '../closure.ts';
import { MEMBER_LABEL_PREFIX, memberLabelKey } from '../names.ts';
import {
  asKube,
  bootstraps,
  configMap,
  encryptionClass,
  resourcePolicy,
  vmService,
  TEST_NAMESPACE,
  groupFixture,
  groupMember,
  pvc,
  pvcVolume,
  secret,
  stateOf,
  vm,
  vmg,
  vmMember,
  type VmOverrides,
} from './builders.ts';

function keys(c: Closure | undefined): string[] {
  assert.ok(c, 'group exists');
  return c.objects.map((o) => `${o.kind}/${o.name}`);
}

function closureOf(
  objects: KubeObject[],
  group: string,
  o: { secretsUnknown?: boolean } = {},
): Closure {
  const c = computeClosure(stateOf(objects, o), group);
  assert.ok(c, `group ${group} exists`);
  return c;
}

describe('closure', () => {
  it('holds the group, its VMs (kind defaulted and explicit), their Secrets and PVCs', () => {
    const c = closureOf(
      [
        asKube(vmg('app', { bootOrder: [[vmMember('db', true)], [vmMember('web')]] })),
        asKube(
          vm('db', {
            groupName: 'app',
            bootstrap: bootstraps.cloudInitRaw('db-boot'),
            volumes: [pvcVolume('db-data', 'data'), pvcVolume('db-log')],
          }),
        ),
        asKube(vm('web', { groupName: 'app', bootstrap: bootstraps.linuxPrep('web-pw') })),
        asKube(vm('other', { bootstrap: bootstraps.cloudInitRaw('other-boot') })),
        secret('db-boot'),
        secret('web-pw'),
        secret('other-boot'),
        pvc('db-data'),
        pvc('db-log'),
        pvc('unrelated'),
      ],
      'app',
    );
    assert.deepEqual(keys(c), [
      'VirtualMachineGroup/app',
      'VirtualMachine/db',
      'VirtualMachine/web',
      'Secret/db-boot',
      'Secret/web-pw',
      'PersistentVolumeClaim/db-data',
      'PersistentVolumeClaim/db-log',
    ]);
    assert.deepEqual(c.missing, []);
    assert.deepEqual(c.cycles, []);
    assert.deepEqual(c.problems, []);
    assert.equal(c.labelKey, `${MEMBER_LABEL_PREFIX}app`);
    const data = c.objects.find((o) => o.name === 'db-data');
    assert.deepEqual(data?.roles, ['volumes[data]']);
    assert.ok(
      c.edges.some(
        (e) => e.from.name === 'app' && e.to.name === 'web' && e.role === 'bootOrder[1].members',
      ),
    );
  });

  describe('every bootstrap reference kind', () => {
    const cases: Array<{
      title: string;
      bootstrap: VmOverrides['bootstrap'];
      secrets: string[];
      roles: string[];
    }> = [
      {
        title: 'cloudInit.rawCloudConfig',
        bootstrap: bootstraps.cloudInitRaw('s1'),
        secrets: ['s1'],
        roles: ['bootstrap.cloudInit.rawCloudConfig'],
      },
      {
        title: 'cloudInit.cloudConfig users passwd + hashed_passwd',
        bootstrap: bootstraps.cloudInitUsers('s1', 's2'),
        secrets: ['s1', 's2'],
        roles: [
          'bootstrap.cloudInit.cloudConfig.users[0].passwd',
          'bootstrap.cloudInit.cloudConfig.users[1].hashed_passwd',
        ],
      },
      {
        title: 'cloudInit.cloudConfig write_files content {name,key} (inline string ignored)',
        bootstrap: bootstraps.cloudInitWriteFile('s1'),
        secrets: ['s1'],
        roles: ['bootstrap.cloudInit.cloudConfig.write_files[1].content'],
      },
      {
        title: 'linuxPrep password + scriptText.from',
        bootstrap: bootstraps.linuxPrep('s1', 's2'),
        secrets: ['s1', 's2'],
        roles: ['bootstrap.linuxPrep.password', 'bootstrap.linuxPrep.scriptText.from'],
      },
      {
        title: 'sysprep.rawSysprep',
        bootstrap: bootstraps.sysprepRaw('s1'),
        secrets: ['s1'],
        roles: ['bootstrap.sysprep.rawSysprep'],
      },
      {
        title: 'sysprep.sysprep password, domain, productID, scriptText',
        bootstrap: bootstraps.sysprep({
          password: 's1',
          domain: 's2',
          productID: 's3',
          script: 's4',
        }),
        secrets: ['s1', 's2', 's3', 's4'],
        roles: [
          'bootstrap.sysprep.sysprep.guiUnattended.password',
          'bootstrap.sysprep.sysprep.identification.domainAdminPassword',
          'bootstrap.sysprep.sysprep.userData.productID',
          'bootstrap.sysprep.sysprep.scriptText.from',
        ],
      },
      {
        title: 'vAppConfig.properties[].value.from (plain values ignored)',
        bootstrap: bootstraps.vAppProperties('s1', 's2'),
        secrets: ['s1', 's2'],
        roles: [
          'bootstrap.vAppConfig.properties[1].value.from',
          'bootstrap.vAppConfig.properties[2].value.from',
        ],
      },
      {
        title: 'vAppConfig.rawProperties',
        bootstrap: bootstraps.vAppRaw('s1'),
        secrets: ['s1'],
        roles: ['bootstrap.vAppConfig.rawProperties'],
      },
      {
        title: 'linuxPrep together with vAppConfig',
        bootstrap: { ...bootstraps.linuxPrep('s1'), ...bootstraps.vAppProperties('s2') },
        secrets: ['s1', 's2'],
        roles: ['bootstrap.linuxPrep.password', 'bootstrap.vAppConfig.properties[1].value.from'],
      },
      {
        title: 'cloudInit shadows sysprep and linuxPrep (VM Operator else-if chain)',
        bootstrap: {
          ...bootstraps.cloudInitRaw('s1'),
          ...bootstraps.sysprepRaw('ignored-a'),
          ...bootstraps.linuxPrep('ignored-b'),
        },
        secrets: ['s1'],
        roles: ['bootstrap.cloudInit.rawCloudConfig'],
      },
      {
        title: 'structured cloudConfig shadows rawCloudConfig',
        bootstrap: {
          cloudInit: {
            cloudConfig: { users: [{ name: 'u', passwd: { name: 's1', key: 'k' } }] },
            rawCloudConfig: { name: 'ignored', key: 'k' },
          },
        },
        secrets: ['s1'],
        roles: ['bootstrap.cloudInit.cloudConfig.users[0].passwd'],
      },
      {
        // VM Operator v1.10.0: the webhook (validateVAppConfig) refuses only properties and
        // rawProperties both non-empty; GetVirtualMachineBootstrap then reads rawProperties,
        // which GetAdditionalResourcesForBackup leaves out because properties is non-nil.
        title: 'vAppConfig properties: [] with rawProperties: the boot path needs rawProperties',
        bootstrap: { vAppConfig: { properties: [], rawProperties: 's1' } },
        secrets: ['s1'],
        roles: ['bootstrap.vAppConfig.rawProperties'],
      },
      {
        title:
          'vAppConfig properties and rawProperties: both (backup list reads one, boot the other)',
        bootstrap: {
          vAppConfig: {
            properties: [{ key: 'k', value: { from: { name: 's1', key: 'v' } } }],
            rawProperties: 's2',
          },
        },
        secrets: ['s1', 's2'],
        roles: [
          'bootstrap.vAppConfig.properties[0].value.from',
          'bootstrap.vAppConfig.rawProperties',
        ],
      },
    ];
    for (const t of cases) {
      it(t.title, () => {
        const objects = [
          asKube(vmg('g', { bootOrder: [[vmMember('v')]] })),
          asKube(vm('v', { groupName: 'g', bootstrap: t.bootstrap })),
          ...t.secrets.map((s) => secret(s)),
          secret('ignored'),
          secret('ignored-a'),
          secret('ignored-b'),
        ];
        const c = closureOf(objects, 'g');
        assert.deepEqual(
          c.objects.filter((o) => o.kind === 'Secret').map((o) => o.name),
          [...t.secrets].sort(),
        );
        assert.deepEqual(
          c.objects
            .filter((o) => o.kind === 'Secret')
            .flatMap((o) => o.roles)
            .sort(),
          [...t.roles].sort(),
        );
        assert.deepEqual(c.missing, []);
      });
    }

    it('the same Secret under several paths is one object with every role', () => {
      const c = closureOf(
        [
          asKube(vmg('g', { bootOrder: [[vmMember('v')]] })),
          asKube(vm('v', { groupName: 'g', bootstrap: bootstraps.linuxPrep('s', 's') })),
          secret('s'),
        ],
        'g',
      );
      assert.deepEqual(keys(c), ['VirtualMachineGroup/g', 'VirtualMachine/v', 'Secret/s']);
      assert.deepEqual(c.objects[2]?.roles, [
        'bootstrap.linuxPrep.password',
        'bootstrap.linuxPrep.scriptText.from',
      ]);
    });
  });

  describe('ConfigMap fallback of raw references', () => {
    const raws = [
      ['rawCloudConfig', bootstraps.cloudInitRaw('boot')],
      ['rawSysprep', bootstraps.sysprepRaw('boot')],
      ['rawProperties', bootstraps.vAppRaw('boot')],
    ] as const;
    for (const [title, bootstrap] of raws) {
      it(`${title}: Secret when it exists, else the same-named ConfigMap, else missing`, () => {
        const base = [
          asKube(vmg('g', { bootOrder: [[vmMember('v')]] })),
          asKube(vm('v', { groupName: 'g', bootstrap })),
        ];
        assert.deepEqual(
          keys(closureOf([...base, secret('boot'), configMap('boot')], 'g')).slice(2),
          ['Secret/boot'],
        );
        assert.deepEqual(keys(closureOf([...base, configMap('boot')], 'g')).slice(2), [
          'ConfigMap/boot',
        ]);
        const none = closureOf(base, 'g');
        assert.deepEqual(keys(none).slice(2), []);
        assert.deepEqual(
          none.missing.map((m) => [m.kind, m.name, m.referencedBy.name]),
          [['Secret', 'boot', 'v']],
        );
      });
    }

    it('structured references never fall back to a ConfigMap', () => {
      const c = closureOf(
        [
          asKube(vmg('g', { bootOrder: [[vmMember('v')]] })),
          asKube(vm('v', { groupName: 'g', bootstrap: bootstraps.linuxPrep('pw') })),
          configMap('pw'),
        ],
        'g',
      );
      assert.deepEqual(keys(c), ['VirtualMachineGroup/g', 'VirtualMachine/v']);
      assert.deepEqual(
        c.missing.map((m) => `${m.kind}/${m.name}`),
        ['Secret/pw'],
      );
    });

    it('live (Secrets unknown): the Secret is unverified and the fallback ConfigMap comes too', () => {
      const c = closureOf(
        [
          asKube(vmg('g', { bootOrder: [[vmMember('v')]] })),
          asKube(vm('v', { groupName: 'g', bootstrap: bootstraps.cloudInitRaw('boot') })),
          configMap('boot'),
        ],
        'g',
        { secretsUnknown: true },
      );
      assert.deepEqual(keys(c).slice(2), ['Secret/boot', 'ConfigMap/boot']);
      assert.equal(c.objects.find((o) => o.kind === 'Secret')?.unverified, true);
      assert.deepEqual(c.missing, []);
    });
  });

  it('nested groups: everything below is in the parent closure, recursively', () => {
    const objects = [
      asKube(vmg('top', { bootOrder: [[groupMember('mid')], [vmMember('t1')]] })),
      asKube(vmg('mid', { groupName: 'top', bootOrder: [[groupMember('leaf'), vmMember('m1')]] })),
      asKube(vmg('leaf', { groupName: 'mid', bootOrder: [[vmMember('l1')]] })),
      asKube(vm('t1', { groupName: 'top' })),
      asKube(vm('m1', { groupName: 'mid', volumes: [pvcVolume('m1-disk')] })),
      asKube(vm('l1', { groupName: 'leaf', bootstrap: bootstraps.cloudInitRaw('l1-boot') })),
      pvc('m1-disk'),
      secret('l1-boot'),
    ];
    const all = computeClosures(stateOf(objects));
    assert.deepEqual(keys(all.get('top')), [
      'VirtualMachineGroup/leaf',
      'VirtualMachineGroup/mid',
      'VirtualMachineGroup/top',
      'VirtualMachine/l1',
      'VirtualMachine/m1',
      'VirtualMachine/t1',
      'Secret/l1-boot',
      'PersistentVolumeClaim/m1-disk',
    ]);
    assert.deepEqual(keys(all.get('mid')), [
      'VirtualMachineGroup/leaf',
      'VirtualMachineGroup/mid',
      'VirtualMachine/l1',
      'VirtualMachine/m1',
      'Secret/l1-boot',
      'PersistentVolumeClaim/m1-disk',
    ]);
    assert.deepEqual(keys(all.get('leaf')), [
      'VirtualMachineGroup/leaf',
      'VirtualMachine/l1',
      'Secret/l1-boot',
    ]);
    for (const c of all.values()) assert.deepEqual([c.missing, c.cycles, c.problems], [[], [], []]);
  });

  it('a group reached twice (diamond) is walked once', () => {
    const objects = [
      asKube(vmg('top', { bootOrder: [[groupMember('a'), groupMember('b')]] })),
      asKube(vmg('a', { groupName: 'top', bootOrder: [[groupMember('shared')]] })),
      asKube(vmg('b', { groupName: 'top', bootOrder: [[groupMember('shared')]] })),
      asKube(vmg('shared', { groupName: 'a', bootOrder: [[vmMember('v')]] })),
      asKube(vm('v', { groupName: 'shared' })),
    ];
    const c = closureOf(objects, 'top');
    assert.deepEqual(keys(c), [
      'VirtualMachineGroup/a',
      'VirtualMachineGroup/b',
      'VirtualMachineGroup/shared',
      'VirtualMachineGroup/top',
      'VirtualMachine/v',
    ]);
    assert.deepEqual(c.cycles, []);
    // `shared` names `a` as its parent, so `b` listing it is a mismatch VM Operator reports too.
    assert.deepEqual(
      c.problems.map((p) => [p.type, p.name, p.group]),
      [['groupMismatch', 'shared', 'b']],
    );
  });

  describe('cycles are reported, not looped on', () => {
    it('self reference', () => {
      const c = closureOf(
        [
          asKube(vmg('a', { groupName: 'a', bootOrder: [[groupMember('a'), vmMember('v')]] })),
          asKube(vm('v', { groupName: 'a' })),
        ],
        'a',
      );
      assert.deepEqual(keys(c), ['VirtualMachineGroup/a', 'VirtualMachine/v']);
      assert.deepEqual(c.cycles, [['a', 'a']]);
    });

    it('three groups in a ring: same cycle from every root, all members once', () => {
      const objects = [
        asKube(vmg('a', { groupName: 'c', bootOrder: [[groupMember('b'), vmMember('va')]] })),
        asKube(vmg('b', { groupName: 'a', bootOrder: [[groupMember('c'), vmMember('vb')]] })),
        asKube(vmg('c', { groupName: 'b', bootOrder: [[groupMember('a'), vmMember('vc')]] })),
        asKube(vm('va', { groupName: 'a' })),
        asKube(vm('vb', { groupName: 'b' })),
        asKube(vm('vc', { groupName: 'c' })),
      ];
      for (const root of ['a', 'b', 'c']) {
        const c = closureOf(objects, root);
        assert.deepEqual(keys(c), [
          'VirtualMachineGroup/a',
          'VirtualMachineGroup/b',
          'VirtualMachineGroup/c',
          'VirtualMachine/va',
          'VirtualMachine/vb',
          'VirtualMachine/vc',
        ]);
        assert.deepEqual(c.cycles, [['a', 'b', 'c', 'a']]);
      }
    });
  });

  it('missing members and references are reported with who references them', () => {
    const c = closureOf(
      [
        asKube(
          vmg('g', { bootOrder: [[vmMember('ghost'), groupMember('ghost-group'), vmMember('v')]] }),
        ),
        asKube(
          vm('v', {
            groupName: 'g',
            bootstrap: bootstraps.linuxPrep('no-secret'),
            volumes: [pvcVolume('no-pvc', 'disk')],
          }),
        ),
      ],
      'g',
    );
    assert.deepEqual(keys(c), ['VirtualMachineGroup/g', 'VirtualMachine/v']);
    assert.deepEqual(
      c.missing.map((m) => [
        m.kind,
        m.name,
        m.role,
        `${m.referencedBy.kind}/${m.referencedBy.name}`,
      ]),
      [
        ['VirtualMachine', 'ghost', 'bootOrder[0].members', 'VirtualMachineGroup/g'],
        ['VirtualMachineGroup', 'ghost-group', 'bootOrder[0].members', 'VirtualMachineGroup/g'],
        ['Secret', 'no-secret', 'bootstrap.linuxPrep.password', 'VirtualMachine/v'],
        ['PersistentVolumeClaim', 'no-pvc', 'volumes[disk]', 'VirtualMachine/v'],
      ],
    );
  });

  describe('membership agreement (spec.groupName)', () => {
    it('a listed VM that names another group has moved: not in this closure, reported', () => {
      const objects = [
        asKube(vmg('old', { bootOrder: [[vmMember('v')]] })),
        asKube(vmg('new', { bootOrder: [[vmMember('v')]] })),
        asKube(vm('v', { groupName: 'new', volumes: [pvcVolume('d')] })),
        pvc('d'),
      ];
      const all = computeClosures(stateOf(objects));
      assert.deepEqual(keys(all.get('old')), ['VirtualMachineGroup/old']);
      assert.deepEqual(
        all.get('old')?.problems.map((p) => [p.type, p.name]),
        [['groupMismatch', 'v']],
      );
      assert.deepEqual(keys(all.get('new')), [
        'VirtualMachineGroup/new',
        'VirtualMachine/v',
        'PersistentVolumeClaim/d',
      ]);
    });

    it('a listed VM with empty groupName is included and reported unlinked', () => {
      const c = closureOf(
        [asKube(vmg('g', { bootOrder: [[vmMember('v')]] })), asKube(vm('v'))],
        'g',
      );
      assert.deepEqual(keys(c), ['VirtualMachineGroup/g', 'VirtualMachine/v']);
      assert.deepEqual(
        c.problems.map((p) => [p.type, p.name]),
        [['unlinked', 'v']],
      );
    });

    it('a VM naming the group that the group does not list is reported, not included', () => {
      const c = closureOf(
        [asKube(vmg('g', { bootOrder: [] })), asKube(vm('v', { groupName: 'g' }))],
        'g',
      );
      assert.deepEqual(keys(c), ['VirtualMachineGroup/g']);
      assert.deepEqual(
        c.problems.map((p) => [p.type, p.kind, p.name]),
        [['notListed', 'VirtualMachine', 'v']],
      );
    });
  });

  it('a Secret shared by two groups is in both closures', () => {
    const objects = [
      asKube(vmg('a', { bootOrder: [[vmMember('va')]] })),
      asKube(vmg('b', { bootOrder: [[vmMember('vb')]] })),
      asKube(vm('va', { groupName: 'a', bootstrap: bootstraps.cloudInitRaw('shared') })),
      asKube(vm('vb', { groupName: 'b', bootstrap: bootstraps.sysprep({ password: 'shared' }) })),
      secret('shared'),
    ];
    const all = computeClosures(stateOf(objects));
    assert.ok(keys(all.get('a')).includes('Secret/shared'));
    assert.ok(keys(all.get('b')).includes('Secret/shared'));
  });

  it('v1alpha5 and v1alpha6 objects mix', () => {
    const c = closureOf(
      [
        asKube(
          vmg('g', {
            apiVersion: 'vmoperator.vmware.com/v1alpha6',
            bootOrder: [[vmMember('a'), vmMember('b')]],
          }),
        ),
        asKube(
          vm('a', {
            groupName: 'g',
            apiVersion: 'vmoperator.vmware.com/v1alpha6',
            bootstrap: bootstraps.cloudInitRaw('sa'),
          }),
        ),
        asKube(vm('b', { groupName: 'g', bootstrap: bootstraps.cloudInitRaw('sb') })),
        secret('sa'),
        secret('sb'),
      ],
      'g',
    );
    assert.deepEqual(keys(c), [
      'VirtualMachineGroup/g',
      'VirtualMachine/a',
      'VirtualMachine/b',
      'Secret/sa',
      'Secret/sb',
    ]);
  });

  it('long group names get a stable, valid, distinct label key', () => {
    const long1 = `${'a'.repeat(70)}-one`;
    const long2 = `${'a'.repeat(70)}-two`;
    const c1 = closureOf([asKube(vmg(long1))], long1);
    const c2 = closureOf([asKube(vmg(long2))], long2);
    for (const c of [c1, c2]) {
      const name = c.labelKey.slice(MEMBER_LABEL_PREFIX.length);
      assert.ok(name.length <= 63, name);
      assert.match(name, /^[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/);
    }
    assert.notEqual(c1.labelKey, c2.labelKey);
    assert.equal(c1.labelKey, memberLabelKey(long1));
    assert.equal(memberLabelKey('short'), `${MEMBER_LABEL_PREFIX}short`);
  });

  it('absent group → undefined', () => {
    assert.equal(computeClosure(stateOf([]), 'nope'), undefined);
  });

  it('scales: 100 groups of 10 VMs in well under a second', () => {
    const objects = Array.from({ length: 100 }, (_, i) => groupFixture(`g${i}`, 10)).flat();
    const started = performance.now();
    const all = computeClosures(stateOf(objects));
    const ms = performance.now() - started;
    assert.equal(all.size, 100);
    assert.equal(all.get('g7')?.objects.length, 1 + 10 + 10 + 20);
    assert.ok(ms < 1000, `${ms} ms`);
  });

  describe('application objects (issue 16 part 2)', () => {
    const shop = (): KubeObject[] => [
      asKube(vmg('shop', { bootOrder: [[vmMember('db')], [vmMember('web')]] })),
      asKube(
        vm('db', {
          groupName: 'shop',
          labels: { app: 'shop', tier: 'db' },
          spec: {
            reserved: { resourcePolicyName: 'shop-policy' },
            crypto: { encryptionClassName: 'shop-keys' },
          },
          volumes: [pvcVolume('db-data', 'data')],
        }),
      ),
      asKube(vm('web', { groupName: 'shop', labels: { app: 'shop', tier: 'web' } })),
      asKube(vm('other', { labels: { app: 'shop', tier: 'web' } })),
      vmService('web-lb', { app: 'shop', tier: 'web' }),
      vmService('all', { app: 'shop' }),
      vmService('selectorless', undefined),
      vmService('empty', {}),
      vmService('elsewhere', { app: 'other' }),
      resourcePolicy('shop-policy'),
      encryptionClass('shop-keys'),
      resourcePolicy('unrelated'),
      pvc('db-data'),
    ];

    it('holds the services selecting members, the named policy and encryption class', () => {
      const c = closureOf(shop(), 'shop');
      assert.deepEqual(keys(c), [
        'VirtualMachineGroup/shop',
        'VirtualMachine/db',
        'VirtualMachine/web',
        'PersistentVolumeClaim/db-data',
        'VirtualMachineService/all',
        'VirtualMachineService/web-lb',
        'VirtualMachineSetResourcePolicy/shop-policy',
        'EncryptionClass/shop-keys',
      ]);
      assert.deepEqual(c.missing, []);
      assert.deepEqual(
        c.edges
          .filter((e) => e.to.kind === 'VirtualMachineService')
          .map((e) => `${e.from.name}->${e.to.name} ${e.role}`),
        [
          'db->all service.spec.selector',
          'web->web-lb service.spec.selector',
          'web->all service.spec.selector',
        ],
      );
      assert.deepEqual(c.objects.find((o) => o.name === 'shop-policy')?.roles, [
        'reserved.resourcePolicyName',
      ]);
    });

    it('a named policy or encryption class that does not exist is missing', () => {
      const objects = shop().filter(
        (o) => o.kind !== 'VirtualMachineSetResourcePolicy' && o.kind !== 'EncryptionClass',
      );
      const c = closureOf(objects, 'shop');
      assert.deepEqual(
        c.missing.map((m) => [m.kind, m.name, m.role, m.referencedBy.name]),
        [
          ['VirtualMachineSetResourcePolicy', 'shop-policy', 'reserved.resourcePolicyName', 'db'],
          ['EncryptionClass', 'shop-keys', 'crypto.encryptionClassName', 'db'],
        ],
      );
    });

    it('a service in another namespace never selects (VM Operator lists in its own namespace)', () => {
      const objects = [...shop(), vmService('far', { app: 'shop' }, { namespace: 'prod' })];
      // stateOf keeps only the given namespace's objects when a real reader builds it; here the
      // reader's filter is what the CLI and labeler do, so check the state they build.
      const c = computeClosure(
        stateOf(objects.filter((o) => (o.metadata.namespace ?? TEST_NAMESPACE) === TEST_NAMESPACE)),
        'shop',
      );
      assert.ok(!c?.objects.some((o) => o.name === 'far'));
    });

    it('a VM moved to another group takes its application objects with it', () => {
      const objects = shop().map((o) =>
        o.kind === 'VirtualMachine' && o.metadata.name === 'db'
          ? { ...o, spec: { ...(o.spec as object), groupName: 'elsewhere' } }
          : o,
      );
      const c = closureOf(objects, 'shop');
      assert.ok(!c.objects.some((o) => o.name === 'shop-policy' || o.name === 'shop-keys'));
      assert.deepEqual(
        c.objects.filter((o) => o.kind === 'VirtualMachineService').map((o) => o.name),
        ['all', 'web-lb'],
      );
    });

    it("nested groups bring their members' application objects to the parent", () => {
      const objects = [
        asKube(vmg('top', { bootOrder: [[groupMember('shop')]] })),
        ...shop().map((o) =>
          o.kind === 'VirtualMachineGroup'
            ? asKube(
                vmg('shop', { groupName: 'top', bootOrder: [[vmMember('db')], [vmMember('web')]] }),
              )
            : o,
        ),
      ];
      const all = computeClosures(stateOf(objects));
      const top = keys(all.get('top'));
      for (const k of ['VirtualMachineService/all', 'EncryptionClass/shop-keys'])
        assert.ok(top.includes(k), k);
    });

    it('restore fidelity per member VM, sorted by name', () => {
      const objects = [
        ...shop().filter((o) => o.kind !== 'PersistentVolumeClaim'),
        pvc('db-data'),
        secret('web-boot'),
      ].map((o) =>
        o.kind === 'VirtualMachine' && o.metadata.name === 'web'
          ? asKube(
              vm('web', {
                groupName: 'shop',
                bootstrap: bootstraps.cloudInitRaw('web-boot'),
                spec: { image: { kind: 'ClusterVirtualMachineImage', name: 'vmi-web' } },
                volumes: [{ name: 'scratch' }],
              }),
            )
          : o,
      );
      const c = closureOf(objects, 'shop');
      assert.deepEqual(
        c.fidelity.map((f) => f.vm),
        ['db', 'web'],
      );
      const [db, web] = c.fidelity;
      assert.deepEqual(db?.comesBack, { spec: true, pvcs: ['db-data'], bootstrap: [] });
      assert.deepEqual(db?.targetMustProvide, {
        image: 'VirtualMachineImage/vmi-0123456789abcdef0',
        class: 'best-effort-small',
        storageClasses: ['wcp-storage'],
        encryptionClass: 'shop-keys',
      });
      assert.deepEqual(web?.comesBack.bootstrap, ['Secret/web-boot']);
      assert.equal(web?.doesNot.redeployedFrom, 'ClusterVirtualMachineImage/vmi-web');
      assert.deepEqual(web?.doesNot.nonPvcVolumes, ['scratch']);
    });
  });
});
