import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadValidators } from '../runtime/schema/schema-source.ts';
import { violation } from '../runtime/schema/validation.ts';
import { schemaId } from '../runtime/schema/schema-files.ts';
import type { KubeObject } from '../runtime/kube/kube-api.ts';
import {
  asKube,
  bootstraps,
  configMap,
  encryptionClass,
  groupMember,
  pvc,
  pvcVolume,
  resourcePolicy,
  secret,
  vm,
  vmg,
  vmMember,
  vmService,
} from '../vmgroup/test/builders.ts';
import { run, type ClosureCommandDeps } from './closure.ts';
import type { ClosureReport } from './closure-render.ts';

interface Result {
  code: number;
  out: string;
  err: string;
}

async function cli(argv: string[], deps: Partial<ClosureCommandDeps> = {}): Promise<Result> {
  let out = '';
  let err = '';
  const io = {
    out: (t: string) => void (out += `${t}\n`),
    err: (t: string) => void (err += `${t}\n`),
    env: {},
  };
  const code = await run(argv, io, {
    readStdin: () => '',
    kubeFor: async () => {
      throw new Error('not live');
    },
    ...deps,
  });
  return { code, out, err };
}

function yamlDocs(objects: KubeObject[]): string {
  return objects.map((o) => stringify(o)).join('---\n');
}

const app = (): KubeObject[] => [
  asKube(vmg('app', { bootOrder: [[groupMember('db-tier')], [vmMember('web')]] })),
  asKube(vmg('db-tier', { groupName: 'app', bootOrder: [[vmMember('db')]] })),
  asKube(
    vm('db', {
      groupName: 'db-tier',
      bootstrap: bootstraps.cloudInitRaw('db-boot'),
      volumes: [pvcVolume('db-data', 'data')],
    }),
  ),
  asKube(
    vm('web', {
      groupName: 'app',
      bootstrap: bootstraps.sysprepRaw('web-unattend'),
      volumes: [pvcVolume('web-logs')],
    }),
  ),
  secret('db-boot'),
  configMap('web-unattend'),
  pvc('db-data'),
];

describe('closure CLI', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'closure-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('--json from a multi-document YAML file matches the schema and lists the closure', async () => {
    const file = join(dir, 'app.yaml');
    writeFileSync(file, yamlDocs(app()));
    const r = await cli(['--group', 'apps/app', '--file', file, '--json']);
    assert.equal(r.code, 0, r.err);
    const report = JSON.parse(r.out) as ClosureReport;
    assert.equal(violation(await loadValidators(), schemaId('cli/closure'), report), undefined);
    assert.deepEqual(
      report.objects.map((o) => `${o.kind}/${o.name}`),
      [
        'VirtualMachineGroup/app',
        'VirtualMachineGroup/db-tier',
        'VirtualMachine/db',
        'VirtualMachine/web',
        'Secret/db-boot',
        'ConfigMap/web-unattend',
        'PersistentVolumeClaim/db-data',
      ],
    );
    assert.deepEqual(report.missing, [
      {
        kind: 'PersistentVolumeClaim',
        name: 'web-logs',
        role: 'volumes[web-logs]',
        referencedBy: { kind: 'VirtualMachine', name: 'web' },
      },
    ]);
    assert.deepEqual(report.cycles, []);
    assert.equal(report.selector, 'member.vmgroup-backup.dev/app');
  });

  it('reads a folder recursively (GitOps repo), JSON files and List kinds, skipping non-manifests', async () => {
    const [g, nested, db, web, s, cm, p] = app();
    mkdirSync(join(dir, 'base', 'vms'), { recursive: true });
    mkdirSync(join(dir, '.git'));
    writeFileSync(join(dir, '.git', 'junk.yaml'), ': : not yaml');
    writeFileSync(join(dir, 'kustomization.yaml'), 'resources: [base]\n');
    writeFileSync(join(dir, 'base', 'groups.yaml'), yamlDocs([g!, nested!]));
    writeFileSync(
      join(dir, 'base', 'vms', 'list.json'),
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [db, web] }),
    );
    writeFileSync(
      join(dir, 'base', 'deps.yml'),
      yamlDocs([s!, cm!, p!, secret('db-boot', { namespace: 'elsewhere' })]),
    );
    const r = await cli(['--group', 'apps/app', '--file', dir, '--json']);
    assert.equal(r.code, 0, r.err);
    const report = JSON.parse(r.out) as ClosureReport;
    assert.equal(report.objects.length, 7);
  });

  it('reads stdin with --file -', async () => {
    const r = await cli(['--group', 'apps/app', '--file', '-', '--json'], {
      readStdin: () => yamlDocs(app()),
    });
    assert.equal(r.code, 0, r.err);
    assert.equal((JSON.parse(r.out) as ClosureReport).counts.VirtualMachine, 2);
  });

  it('prints a tree by default, with missing, cycles and problems', async () => {
    const file = join(dir, 'ring.yaml');
    writeFileSync(
      file,
      yamlDocs([
        asKube(vmg('a', { groupName: 'b', bootOrder: [[groupMember('b'), vmMember('ghost')]] })),
        asKube(vmg('b', { groupName: 'a', bootOrder: [[groupMember('a'), vmMember('v')]] })),
        asKube(vm('v', { groupName: 'other', bootstrap: bootstraps.linuxPrep('pw') })),
      ]),
    );
    const r = await cli(['--group', 'apps/a', '--file', file]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^VirtualMachineGroup a {2}\(namespace apps\)$/m);
    assert.match(r.out, /└── VirtualMachineGroup a {2}\(bootOrder\[0\]\.members\) {2}\[cycle\]/);
    assert.match(
      r.out,
      /Missing:\n {2}VirtualMachine ghost {2}\(referenced by VirtualMachineGroup a, bootOrder\[0\]\.members\)/,
    );
    assert.match(r.out, /Cycles:\n {2}a → b → a/);
    assert.match(
      r.out,
      /groupMismatch: VirtualMachine v is listed by group b but its spec.groupName is other/,
    );
    assert.match(r.out, /Backup selector: member\.vmgroup-backup\.dev\/a/);
  });

  it('SealedSecrets and ExternalSecrets provide their Secrets; manifests without any Secret leave them unchecked', async () => {
    const objects = [
      asKube(vmg('app', { bootOrder: [[vmMember('a'), vmMember('b')]] })),
      asKube(vm('a', { groupName: 'app', bootstrap: bootstraps.linuxPrep('sealed-pw') })),
      asKube(
        vm('b', { groupName: 'app', bootstrap: bootstraps.cloudInitUsers('ext-pw', 'gone-pw') }),
      ),
    ];
    const gitops = [
      ...objects,
      {
        apiVersion: 'bitnami.com/v1alpha1',
        kind: 'SealedSecret',
        metadata: { name: 'sealed-pw' },
        spec: { encryptedData: { password: 'AgB...' } },
      },
      {
        apiVersion: 'external-secrets.io/v1beta1',
        kind: 'ExternalSecret',
        metadata: { name: 'ext' },
        spec: { target: { name: 'ext-pw' } },
      },
    ];
    const withSecrets = await cli(['--group', 'apps/app', '--file', '-', '--json'], {
      readStdin: () => yamlDocs(gitops),
    });
    const r1 = JSON.parse(withSecrets.out) as ClosureReport;
    assert.deepEqual(
      r1.objects.filter((o) => o.kind === 'Secret').map((o) => [o.name, o.unverified ?? false]),
      [
        ['ext-pw', false],
        ['sealed-pw', false],
      ],
    );
    assert.deepEqual(
      r1.missing.map((m) => m.name),
      ['gone-pw'],
    );
    const without = await cli(['--group', 'apps/app', '--file', '-', '--json'], {
      readStdin: () => yamlDocs(objects),
    });
    const r2 = JSON.parse(without.out) as ClosureReport;
    assert.deepEqual(r2.missing, []);
    assert.ok(r2.objects.filter((o) => o.kind === 'Secret').every((o) => o.unverified === true));
  });

  it('--dot prints a Graphviz digraph with a node per object and missing ones dashed', async () => {
    const file = join(dir, 'app.yaml');
    writeFileSync(file, yamlDocs(app()));
    const r = await cli(['--group', 'apps/app', '--file', file, '--dot']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^digraph "apps\/app" \{/);
    assert.match(
      r.out,
      /"VirtualMachine\/db" -> "Secret\/db-boot" \[label="bootstrap\.cloudInit\.rawCloudConfig"\];/,
    );
    assert.match(
      r.out,
      /"PersistentVolumeClaim\/web-logs" \[label="PersistentVolumeClaim\\nweb-logs\\n\(missing\)".*style=dashed/,
    );
    assert.match(r.out, /\}$/m);
  });

  it('accepts v1alpha2 VMs shaped like upstream api/v1alpha5/testdata; refuses per object what it cannot read', async () => {
    // Shapes of VM Operator v1.10.0 api/v1alpha5/testdata/vm-with-cloudinit.yaml and
    // vm-with-sysprep.yaml (apiVersion v1alpha2, imageName, structured bootstrap), own fixtures.
    const objects: KubeObject[] = [
      {
        ...asKube(
          vmg('app', {
            bootOrder: [[vmMember('ci'), vmMember('win'), vmMember('old'), vmMember('bad')]],
          }),
        ),
        apiVersion: 'vmoperator.vmware.com/v1alpha2',
      },
      {
        apiVersion: 'vmoperator.vmware.com/v1alpha2',
        kind: 'VirtualMachine',
        metadata: { name: 'ci', namespace: 'apps' },
        spec: {
          groupName: 'app',
          className: 'medium',
          imageName: 'ubuntu-jammy',
          bootstrap: {
            cloudInit: {
              cloudConfig: {
                write_files: [
                  { path: '/etc/plain', content: 'hello' },
                  { path: '/etc/secret', content: { name: 'ci-files', key: 'etc-secret' } },
                ],
              },
            },
          },
        },
      },
      {
        apiVersion: 'vmoperator.vmware.com/v1alpha3',
        kind: 'VirtualMachine',
        metadata: { name: 'win', namespace: 'apps' },
        spec: {
          groupName: 'app',
          className: 'medium',
          imageName: 'windows-11',
          bootstrap: {
            sysprep: {
              sysprep: {
                guiUnattended: { autoLogon: true, password: { name: 'win-boot', key: 'password' } },
                userData: {
                  fullName: 'Ops',
                  orgName: 'Example',
                  productID: { name: 'win-key', key: 'k' },
                },
              },
            },
          },
        },
      },
      {
        apiVersion: 'vmoperator.vmware.com/v1alpha1',
        kind: 'VirtualMachine',
        metadata: { name: 'old', namespace: 'apps' },
        spec: {
          imageName: 'x',
          className: 'y',
          vmMetadata: { secretName: 's', transport: 'CloudInit' },
        },
      },
      {
        ...asKube(vm('bad')),
        apiVersion: 'vmoperator.vmware.com/v1alpha4',
        spec: { volumes: [{ name: 'd', persistentVolumeClaim: {} }] },
      },
      secret('ci-files'),
      secret('win-boot'),
    ];
    mkdirSync(join(dir, 'repo'));
    writeFileSync(join(dir, 'repo', 'a.yaml'), yamlDocs(objects.slice(0, 3)));
    writeFileSync(join(dir, 'repo', 'b.yaml'), yamlDocs(objects.slice(3)));
    const r = await cli(['--group', 'apps/app', '--file', join(dir, 'repo'), '--json']);
    assert.equal(r.code, 0, r.err);
    const report = JSON.parse(r.out) as ClosureReport;
    assert.equal(violation(await loadValidators(), schemaId('cli/closure'), report), undefined);
    assert.deepEqual(
      report.objects.map((o) => `${o.kind}/${o.name}`),
      [
        'VirtualMachineGroup/app',
        'VirtualMachine/ci',
        'VirtualMachine/win',
        'Secret/ci-files',
        'Secret/win-boot',
      ],
    );
    assert.deepEqual(
      report.missing.map((m) => `${m.kind}/${m.name}`),
      ['Secret/win-key', 'VirtualMachine/old', 'VirtualMachine/bad'],
    );
    assert.deepEqual(
      report.refused.map((x) => [x.where.replace(dir, ''), x.kind, x.name]),
      [
        ['/repo/b.yaml#1', 'VirtualMachine', 'old'],
        ['/repo/b.yaml#2', 'VirtualMachine', 'bad'],
      ],
    );
    assert.match(report.refused[0]!.reason, /v1alpha1 VirtualMachines have another shape/);
    assert.match(
      report.refused[1]!.reason,
      /persistentVolumeClaim must have required property 'claimName'/,
    );
    assert.match(
      r.err,
      /b\.yaml#1: VirtualMachine old \(vmoperator\.vmware\.com\/v1alpha1\) not read/,
    );
    assert.equal(
      report.fidelity.find((f) => f.vm === 'ci')?.targetMustProvide.image,
      'VirtualMachineImage/ubuntu-jammy',
    );
    const tree = await cli(['--group', 'apps/app', '--file', join(dir, 'repo')]);
    assert.match(
      tree.out,
      /VirtualMachine old {2}\(referenced by VirtualMachineGroup app, bootOrder\[0\]\.members; in .*b\.yaml#1 but not read, see below\)/,
    );
    assert.match(tree.out, /Not read \(left out of the closure\):/);
  });

  it('a v1alpha1 VirtualMachineGroup is refused (VM Operator serves groups from v1alpha2)', async () => {
    const r = await cli(['--group', 'apps/app', '--file', '-'], {
      readStdin: () =>
        yamlDocs([{ ...asKube(vmg('app')), apiVersion: 'vmoperator.vmware.com/v1alpha1' }]),
    });
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /VirtualMachineGroup app \(vmoperator\.vmware\.com\/v1alpha1\) not read: VM Operator serves VirtualMachineGroup from v1alpha2/,
    );
  });

  it('application objects and restore fidelity in JSON, tree and DOT', async () => {
    const objects: KubeObject[] = [
      asKube(vmg('shop', { bootOrder: [[vmMember('db')]] })),
      asKube(
        vm('db', {
          groupName: 'shop',
          labels: { app: 'shop' },
          spec: { reserved: { resourcePolicyName: 'rp' }, crypto: { encryptionClassName: 'ec' } },
          volumes: [pvcVolume('db-data', 'data'), { name: 'scratch' }],
        }),
      ),
      vmService('lb', { app: 'shop' }),
      vmService('none', {}),
      resourcePolicy('rp'),
      encryptionClass('ec'),
      pvc('db-data'),
    ];
    const file = join(dir, 'shop.yaml');
    writeFileSync(file, yamlDocs(objects));
    const r = await cli(['--group', 'apps/shop', '--file', file, '--json']);
    assert.equal(r.code, 0, r.err);
    const report = JSON.parse(r.out) as ClosureReport;
    assert.equal(violation(await loadValidators(), schemaId('cli/closure'), report), undefined);
    assert.deepEqual(
      report.objects.map((o) => `${o.kind}/${o.name}`),
      [
        'VirtualMachineGroup/shop',
        'VirtualMachine/db',
        'PersistentVolumeClaim/db-data',
        'VirtualMachineService/lb',
        'VirtualMachineSetResourcePolicy/rp',
        'EncryptionClass/ec',
      ],
    );
    assert.equal(report.counts.VirtualMachineService, 1);
    assert.deepEqual(report.fidelity[0]?.targetMustProvide, {
      image: 'VirtualMachineImage/vmi-0123456789abcdef0',
      class: 'best-effort-small',
      storageClasses: ['wcp-storage'],
      encryptionClass: 'ec',
    });
    const tree = await cli(['--group', 'apps/shop', '--file', file]);
    assert.match(tree.out, /VirtualMachineService lb {2}\(service\.spec\.selector\)/);
    assert.match(
      tree.out,
      /does not: {12}boot disk state since deploy: redeployed from image VirtualMachineImage\/vmi-0123456789abcdef0; volumes not on a PVC: scratch/,
    );
    assert.match(
      tree.out,
      /target must provide: image VirtualMachineImage\/vmi-0123456789abcdef0, class best-effort-small, storage classes wcp-storage, encryption class ec/,
    );
    const dot = await cli(['--group', 'apps/shop', '--file', file, '--dot']);
    assert.match(
      dot.out,
      /"VirtualMachine\/db" -> "target:VirtualMachineImage\/vmi-0123456789abcdef0" \[label="boot disk redeployed from", style=dotted/,
    );
    assert.match(
      dot.out,
      /"VirtualMachine\/db" -> "VirtualMachineService\/lb" \[label="service\.spec\.selector"\];/,
    );
    assert.match(dot.out, /volumes not on a PVC\\nscratch/);
  });

  describe('errors', () => {
    const cases: Array<{
      title: string;
      files: Record<string, string>;
      argv: (d: string) => string[];
      code: number;
      err: RegExp;
    }> = [
      {
        title: 'invalid YAML names file and document',
        files: {
          'bad.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkey: [unclosed\n',
        },
        argv: (d) => ['--group', 'apps/app', '--file', join(d, 'bad.yaml')],
        code: 1,
        err: /bad\.yaml#2: invalid YAML/,
      },
      {
        title: 'a document that is not an object in a named file',
        files: {
          'x.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n- just\n- a list\n',
        },
        argv: (d) => ['--group', 'apps/app', '--file', join(d, 'x.yaml')],
        code: 1,
        err: /x\.yaml#2: not a Kubernetes object/,
      },
      {
        title: 'group absent',
        files: { 'a.yaml': yamlDocs([asKube(vmg('other'))]) },
        argv: (d) => ['--group', 'apps/app', '--file', join(d, 'a.yaml')],
        code: 1,
        err: /VirtualMachineGroup apps\/app not found in /,
      },
      {
        title: 'group in another namespace is absent',
        files: { 'a.yaml': yamlDocs([asKube(vmg('app', { namespace: 'prod' }))]) },
        argv: (d) => ['--group', 'apps/app', '--file', join(d, 'a.yaml')],
        code: 1,
        err: /not found/,
      },
      {
        title: 'missing file',
        files: {},
        argv: (d) => ['--group', 'apps/app', '--file', join(d, 'nope.yaml')],
        code: 1,
        err: /nope\.yaml: no such file or folder/,
      },
      {
        title: 'bad --group',
        files: {},
        argv: () => ['--group', 'app', '--live'],
        code: 2,
        err: /--group must be <namespace>\/<name>/,
      },
      {
        title: 'both --file and --live',
        files: {},
        argv: (d) => ['--group', 'a/b', '--live', '--file', d],
        code: 2,
        err: /exactly one of --file or --live/,
      },
      {
        title: '--json with --dot',
        files: {},
        argv: (d) => ['--group', 'a/b', '--file', d, '--json', '--dot'],
        code: 2,
        err: /exclude each other/,
      },
      {
        title: 'unknown option',
        files: {},
        argv: () => ['--bogus'],
        code: 2,
        err: /Unknown option '--bogus'/,
      },
    ];
    for (const t of cases) {
      it(t.title, async () => {
        for (const [name, text] of Object.entries(t.files)) writeFileSync(join(dir, name), text);
        const r = await cli(t.argv(dir));
        assert.equal(r.code, t.code, r.err);
        assert.match(r.err, t.err);
        assert.equal(r.out, '');
      });
    }
  });
});
