import assert from 'node:assert/strict';
import {
  parseGoDirective,
  parseReplaces,
  renderWrapperGoMod,
  wrapperReplaces,
} from '../../scripts/binaries/go-mod-file.ts';
import type { BinaryRecipe } from '../../scripts/binaries/versions.ts';

// Shapes taken from the pinned upstream go.mod files (Kubernetes, etcd, Velero).
const kubernetesLike = `module k8s.io/kubernetes

go 1.26.0

godebug default=go1.26

require (
	k8s.io/api v0.0.0
	k8s.io/client-go v0.0.0 // indirect
)

replace (
	k8s.io/api => ./staging/src/k8s.io/api
	k8s.io/client-go => ./staging/src/k8s.io/client-go // staging
)
`;

const veleroLike = `module github.com/vmware-tanzu/velero

go 1.25.0

require github.com/kopia/kopia v0.16.0

replace github.com/kopia/kopia => github.com/project-velero/kopia v0.0.0-20251230033609-d946b1e75197
replace go.etcd.io/etcd => ./FORBIDDEN_DEPENDENCY
`;

const recipe = (extra: Partial<BinaryRecipe> = {}): BinaryRecipe => ({
  module: 'example.com/m',
  version: 'v1.2.3',
  package: 'example.com/m/cmd/x',
  ...extra,
});

describe('go-mod-file', function () {
  it('reads block and single-line replace directives, ignoring comments', function () {
    assert.deepEqual(parseReplaces(kubernetesLike), [
      {
        from: 'k8s.io/api',
        fromVersion: undefined,
        to: './staging/src/k8s.io/api',
        toVersion: undefined,
      },
      {
        from: 'k8s.io/client-go',
        fromVersion: undefined,
        to: './staging/src/k8s.io/client-go',
        toVersion: undefined,
      },
    ]);
    assert.deepEqual(parseReplaces(veleroLike)[0], {
      from: 'github.com/kopia/kopia',
      fromVersion: undefined,
      to: 'github.com/project-velero/kopia',
      toVersion: 'v0.0.0-20251230033609-d946b1e75197',
    });
  });

  it('reads the go directive', function () {
    assert.equal(parseGoDirective(kubernetesLike), '1.26.0');
    assert.equal(parseGoDirective('module x\n'), undefined);
  });

  it('maps local staging replaces to the published version when asked', function () {
    const r = wrapperReplaces(recipe({ localReplaceVersion: 'v0.36.3' }), kubernetesLike);
    assert.deepEqual(
      r.map((x) => `${x.from} => ${x.to} ${x.toVersion}`),
      ['k8s.io/api => k8s.io/api v0.36.3', 'k8s.io/client-go => k8s.io/client-go v0.36.3'],
    );
  });

  it('repeats module replaces verbatim and drops local ones without a mapping', function () {
    const r = wrapperReplaces(recipe(), veleroLike);
    assert.deepEqual(r, [
      {
        from: 'github.com/kopia/kopia',
        fromVersion: undefined,
        to: 'github.com/project-velero/kopia',
        toVersion: 'v0.0.0-20251230033609-d946b1e75197',
      },
    ]);
  });

  it('renders a wrapper module that requires the upstream module', function () {
    const text = renderWrapperGoMod(recipe(), veleroLike, 'velero');
    assert.match(text, /^module local\.invalid\/build-velero$/m);
    assert.match(text, /^go 1\.25\.0$/m);
    assert.match(text, /^\texample\.com\/m v1\.2\.3$/m);
    assert.match(
      text,
      /^\tgithub\.com\/kopia\/kopia => github\.com\/project-velero\/kopia v0\.0\.0-20251230033609-d946b1e75197$/m,
    );
    assert.doesNotMatch(text, /FORBIDDEN/);
  });

  it('adds extra requirements after the upstream module', function () {
    const text = renderWrapperGoMod(
      recipe({ extraRequires: ['k8s.io/cli-runtime v0.33.13'] }),
      veleroLike,
      'velero',
    );
    assert.match(
      text,
      /^require \(\n\texample\.com\/m v1\.2\.3\n\tk8s\.io\/cli-runtime v0\.33\.13\n\)$/m,
    );
  });
});
