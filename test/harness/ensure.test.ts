import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cachedBinaryPath, ensureBinary } from '../../scripts/binaries/ensure.ts';
import { findGo } from '../../scripts/binaries/go-toolchain.ts';
import { pinnedModule } from '../../scripts/binaries/versions.ts';
import type { BinaryRecipe } from '../../scripts/binaries/versions.ts';

describe('ensure binaries', function () {
  let dir: string;
  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'vvf-ensure-test-'));
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  const silent = { log: () => undefined };

  it('takes etcd from KUBEBUILDER_ASSETS without building', async function () {
    const etcd = join(dir, 'etcd');
    writeFileSync(etcd, '#!/bin/sh\n');
    chmodSync(etcd, 0o755);
    const env = { ...process.env, KUBEBUILDER_ASSETS: dir, GO: join(dir, 'no-go') };
    assert.equal(await ensureBinary('etcd', { env, ...silent }), etcd);
  });

  it('says which binary KUBEBUILDER_ASSETS lacks', async function () {
    const env = { ...process.env, KUBEBUILDER_ASSETS: dir };
    await assert.rejects(
      ensureBinary('kube-apiserver', { env, ...silent }),
      /KUBEBUILDER_ASSETS=.* has no executable kube-apiserver/,
    );
  });

  it('explains how to provide binaries when none is cached and Go is missing', async function () {
    const env = {
      ...process.env,
      XDG_CACHE_HOME: dir,
      GO: join(dir, 'no-go'),
      KUBEBUILDER_ASSETS: '',
    };
    await assert.rejects(ensureBinary('kube-apiserver', { env, ...silent }), (err: Error) => {
      assert.match(err.message, /kube-apiserver v\d+\.\d+\.\d+ is not built yet/);
      assert.match(
        err.message,
        /Install Go >= 1\.26 and run `node scripts\/binaries\/ensure\.ts --all`/,
      );
      assert.match(err.message, /KUBEBUILDER_ASSETS/);
      return true;
    });
  });

  it('uses a cached build without asking for Go', async function () {
    const env = {
      ...process.env,
      XDG_CACHE_HOME: dir,
      GO: join(dir, 'no-go'),
      KUBEBUILDER_ASSETS: '',
    };
    const version = pinnedModule('etcd').version;
    const cached = cachedBinaryPath(env, 'etcd', version);
    assert.equal(cached, join(dir, 'velero-vmgroup-functions', 'bin', `etcd-${version}`, 'etcd'));
    mkdirSync(dirname(cached), { recursive: true });
    writeFileSync(cached, '#!/bin/sh\n');
    chmodSync(cached, 0o755);
    assert.equal(await ensureBinary('etcd', { env, ...silent }), cached);
  });

  it('finds a binary built together with others under its own name', async function () {
    const env = {
      ...process.env,
      XDG_CACHE_HOME: dir,
      GO: join(dir, 'no-go'),
      KUBEBUILDER_ASSETS: '',
    };
    const version = pinnedModule('kubernetes').version;
    const cached = cachedBinaryPath(env, 'kube-controller-manager', version);
    mkdirSync(dirname(cached), { recursive: true });
    writeFileSync(cached, '#!/bin/sh\n');
    chmodSync(cached, 0o755);
    assert.equal(await ensureBinary('kube-controller-manager', { env, ...silent }), cached);
  });

  it('rejects names it has no recipe for', async function () {
    const env = { ...process.env, KUBEBUILDER_ASSETS: '' };
    await assert.rejects(ensureBinary('kubelet', { env, ...silent }), /unknown binary kubelet/);
  });
});

// A real go build of a module of ours: two main packages sharing a package, one go build.
describe('ensure binaries from a module of ours (builds with Go)', function () {
  this.timeout(120_000);
  let root: string;
  let env: NodeJS.ProcessEnv;
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);
  const recipes: Record<string, BinaryRecipe> = {
    pair: { localModule: 'go/pair', packages: { hello: './cmd/hello', bye: './cmd/bye' } },
  };

  before(function () {
    if (!findGo(process.env)) this.skip();
    root = mkdtempSync(join(tmpdir(), 'vvf-ensure-local-'));
    env = { ...process.env, XDG_CACHE_HOME: join(root, 'cache'), KUBEBUILDER_ASSETS: '' };
    const write = (path: string, text: string) => {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    };
    write('go/pair/go.mod', 'module example.test/pair\n\ngo 1.22\n');
    write('go/pair/word/word.go', 'package word\n\nconst Word = "one"\n');
    for (const cmd of ['hello', 'bye'])
      write(
        `go/pair/cmd/${cmd}/main.go`,
        `package main\n\nimport (\n\t"fmt"\n\t"example.test/pair/word"\n)\n\nfunc main() { fmt.Println("${cmd}", word.Word) }\n`,
      );
  });
  after(function () {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('builds every package of the recipe in one go build and caches each by name', async function () {
    const hello = await ensureBinary('hello', { env, log, recipes, repoRoot: root });
    assert.equal(lines.filter((l) => l.startsWith('building ')).length, 1);
    assert.match(
      lines[0]!,
      /^building hello \+ bye local-[0-9a-f]{16} from our Go module go\/pair/,
    );
    const bye = await ensureBinary('bye', { env, log, recipes, repoRoot: root });
    assert.equal(lines.filter((l) => l.startsWith('building ')).length, 1, 'bye came with hello');
    assert.equal(execFileSync(hello, { encoding: 'utf8' }), 'hello one\n');
    assert.equal(execFileSync(bye, { encoding: 'utf8' }), 'bye one\n');
    assert.equal(dirname(dirname(hello)), dirname(dirname(bye)));
  });

  it('rebuilds when a file of the module changes, leaving go.mod untouched', async function () {
    const before = await ensureBinary('hello', { env, log, recipes, repoRoot: root });
    writeFileSync(join(root, 'go/pair/word/word.go'), 'package word\n\nconst Word = "two"\n');
    const after = await ensureBinary('hello', { env, log, recipes, repoRoot: root });
    assert.notEqual(after, before);
    assert.equal(execFileSync(after, { encoding: 'utf8' }), 'hello two\n');
    assert.equal(
      readFileSync(join(root, 'go/pair/go.mod'), 'utf8'),
      'module example.test/pair\n\ngo 1.22\n',
    );
  });
});
