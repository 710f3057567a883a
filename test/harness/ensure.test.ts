import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cachedBinaryPath, ensureBinary } from '../../scripts/binaries/ensure.ts';
import { loadVersions } from '../../scripts/binaries/versions.ts';

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
    const version = loadVersions().binaries['etcd']!.version;
    const cached = cachedBinaryPath(env, 'etcd', version);
    assert.equal(cached, join(dir, 'velero-vmgroup-functions', 'bin', `etcd-${version}`, 'etcd'));
    mkdirSync(dirname(cached), { recursive: true });
    writeFileSync(cached, '#!/bin/sh\n');
    chmodSync(cached, 0o755);
    assert.equal(await ensureBinary('etcd', { env, ...silent }), cached);
  });

  it('rejects names it has no recipe for', async function () {
    const env = { ...process.env, KUBEBUILDER_ASSETS: '' };
    await assert.rejects(ensureBinary('kubelet', { env, ...silent }), /unknown binary kubelet/);
  });
});
