import assert from 'node:assert/strict';
import {
  binaryNames,
  findRecipe,
  goExecutableName,
  localModuleDirs,
  localModuleVersion,
  recipeBinaries,
  recipeProblems,
} from '../../scripts/binaries/build-plan.ts';
import { loadVersions } from '../../scripts/binaries/versions.ts';
import type { BinaryRecipe } from '../../scripts/binaries/versions.ts';

const upstream = (extra: Partial<BinaryRecipe> = {}): BinaryRecipe => ({
  module: 'example.com/m',
  version: 'v1.2.3',
  package: 'example.com/m/cmd/x',
  ...extra,
});

describe('build plan', function () {
  it('versions.json is a valid set of recipes', function () {
    assert.deepEqual(recipeProblems(loadVersions().binaries), []);
  });

  it('builds kube-apiserver and kube-controller-manager in one go build', function () {
    const binaries = loadVersions().binaries;
    assert.equal(findRecipe(binaries, 'kube-apiserver')?.key, 'kubernetes');
    assert.equal(findRecipe(binaries, 'kube-controller-manager')?.key, 'kubernetes');
    assert.ok(
      binaryNames(binaries, { includeOnDemand: false }).includes('kube-controller-manager'),
    );
    assert.ok(!binaryNames(binaries, { includeOnDemand: false }).includes('vegeta'));
    assert.ok(binaryNames(binaries, { includeOnDemand: true }).includes('vegeta'));
  });

  const names: [string, string][] = [
    ['k8s.io/kubernetes/cmd/kube-apiserver', 'kube-apiserver'],
    ['sigs.k8s.io/kustomize/kustomize/v5', 'kustomize'],
    ['github.com/tsenart/vegeta/v12', 'vegeta'],
    ['github.com/vmware-tanzu/vm-operator', 'vm-operator'],
    ['./cmd/vcsim', 'vcsim'],
    ['example.com/tool/v1', 'v1'],
    ['example.com/tool/v0', 'v0'],
    ['example.com/tool/v10', 'tool'],
    ['v2', 'v2'],
  ];
  for (const [path, name] of names)
    it(`go names ${path} ${name}`, function () {
      assert.equal(goExecutableName(path), name);
    });

  it('lists one binary named after the entry, or every package of a group', function () {
    assert.deepEqual(recipeBinaries('x', upstream()), [
      { name: 'x', package: 'example.com/m/cmd/x' },
    ]);
    const group = upstream({ package: undefined, packages: { a: 'm/cmd/a', b: './b' } });
    assert.deepEqual(
      recipeBinaries('g', group).map((b) => b.name),
      ['a', 'b'],
    );
  });

  const problems: [string, Record<string, BinaryRecipe>, RegExp][] = [
    [
      'neither upstream nor ours',
      { x: { package: 'p' } },
      /x: give either module \+ version or localModule/,
    ],
    ['both upstream and ours', { x: upstream({ localModule: 'test/go/x' }) }, /either module/],
    [
      'version without module',
      { x: { version: 'v1', package: 'p' } },
      /module and version go together/,
    ],
    [
      'package and packages',
      { x: upstream({ packages: { x: 'p/x' } }) },
      /either package or packages/,
    ],
    [
      'empty packages',
      { x: upstream({ package: undefined, packages: {} }) },
      /x: packages is empty/,
    ],
    [
      'a name go would not give',
      { x: upstream({ package: undefined, packages: { server: 'm/cmd/srv' } }) },
      /go names m\/cmd\/srv srv, not server/,
    ],
    [
      'one name from two entries',
      { x: upstream(), g: upstream({ package: undefined, packages: { x: 'm/x' } }) },
      /x is built by both x and g/,
    ],
  ];
  for (const [what, recipes, expected] of problems)
    it(`refuses recipes with ${what}`, function () {
      assert.match(recipeProblems(recipes).join('; '), expected);
    });

  it('accepts a module of ours with several packages', function () {
    const ours = {
      localModule: 'test/go/x',
      packages: { vmop: './cmd/vmop', vcsim: './cmd/vcsim' },
    };
    assert.deepEqual(recipeProblems({ ours }), []);
  });

  it('fingerprints a module of ours with its local replace targets only', function () {
    const goMod = `module example.test/x

go 1.26

replace (
	example.com/a => ../shared/a
	example.com/b => ./vendored/b // inside the module anyway
	example.com/c => example.com/c v1.0.0
	example.com/d => /abs/path
)
replace example.com/e => ../shared/e
`;
    assert.deepEqual(localModuleDirs('test/go/x', goMod), [
      'test/go/shared/a',
      'test/go/shared/e',
      'test/go/x',
      'test/go/x/vendored/b',
    ]);
  });

  it('versions a module of ours by every path and byte, not by file order', function () {
    const files = [
      { path: 'm/go.mod', content: 'module m\n' },
      { path: 'm/main.go', content: 'package main\n' },
    ];
    const version = localModuleVersion(files);
    assert.match(version, /^local-[0-9a-f]{16}$/);
    assert.equal(localModuleVersion([...files].reverse()), version);
    assert.notEqual(
      localModuleVersion([files[0]!, { ...files[1]!, content: 'package main \n' }]),
      version,
    );
    assert.notEqual(localModuleVersion([files[0]!, { ...files[1]!, path: 'm/cmd.go' }]), version);
    assert.notEqual(localModuleVersion([files[0]!]), version);
    // Length-prefixed: moving bytes between a path and its content is a different module.
    assert.notEqual(
      localModuleVersion([{ path: 'ab', content: 'c' }]),
      localModuleVersion([{ path: 'a', content: 'bc' }]),
    );
  });
});
