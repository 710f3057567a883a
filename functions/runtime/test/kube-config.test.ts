// Reading cluster access without @kubernetes/client-node: in-cluster service account and the
// kubeconfig shapes the lean path handles, and which ones it hands to the library.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inClusterAccess, kubeconfigAccess } from '../kube/kube-config.ts';

describe('cluster access', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'vvf-kubeconfig-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const kubeconfig = (name: string, user: string, cluster = 'server: https://10.0.0.1:6443/') => {
    const path = join(dir, name);
    writeFileSync(
      path,
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: work',
        'contexts:',
        '- {name: other, context: {cluster: nope, user: nope}}',
        '- {name: work, context: {cluster: c, user: u}}',
        'clusters:',
        `- name: c\n  cluster:\n    ${cluster}`,
        `users:\n- name: u\n  user:\n${user}`,
        '',
      ].join('\n'),
    );
    return path;
  };

  it('in cluster: the service host and port, its CA, and the token file (re-read, it rotates)', () => {
    const sa = join(dir, 'sa');
    mkdirSync(sa);
    writeFileSync(join(sa, 'ca.crt'), 'CA PEM');
    writeFileSync(join(sa, 'token'), 'jwt');
    const access = inClusterAccess(
      { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' },
      sa,
    );
    assert.deepEqual(access, {
      server: 'https://10.96.0.1:443',
      ca: Buffer.from('CA PEM'),
      tokenFile: join(sa, 'token'),
    });
    assert.equal(
      inClusterAccess({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, sa)
        .server,
      'https://[fd00::1]:443',
    );
    assert.throws(() => inClusterAccess({}, sa), /not running in a cluster/);
  });

  it('kubeconfig: the current context, a bearer token, inline CA data', () => {
    const path = kubeconfig(
      'token',
      '    token: abc',
      `server: https://10.0.0.1:6443/\n    certificate-authority-data: ${Buffer.from('CA').toString('base64')}`,
    );
    assert.deepEqual(kubeconfigAccess(path), {
      server: 'https://10.0.0.1:6443',
      ca: Buffer.from('CA'),
      token: 'abc',
    });
  });

  it('kubeconfig: client certificate files relative to the kubeconfig, insecure-skip-tls-verify, tokenFile', () => {
    writeFileSync(join(dir, 'client.crt'), 'CERT');
    writeFileSync(join(dir, 'client.key'), 'KEY');
    const path = kubeconfig(
      'certs',
      '    client-certificate: client.crt\n    client-key: client.key\n    tokenFile: token.txt',
      'server: https://api:6443\n    insecure-skip-tls-verify: true\n    tls-server-name: kubernetes',
    );
    assert.deepEqual(kubeconfigAccess(path), {
      server: 'https://api:6443',
      insecureSkipTlsVerify: true,
      tlsServerName: 'kubernetes',
      cert: Buffer.from('CERT'),
      key: Buffer.from('KEY'),
      tokenFile: join(dir, 'token.txt'),
    });
  });

  it('kubeconfig: exec plugins and auth providers are left to @kubernetes/client-node', () => {
    const exec = kubeconfig(
      'exec',
      '    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: kubectl-vsphere',
    );
    assert.deepEqual(kubeconfigAccess(exec).needsClientNode, { kubeconfigPath: exec });
    const oidc = kubeconfig('oidc', '    auth-provider:\n      name: oidc');
    assert.deepEqual(kubeconfigAccess(oidc).needsClientNode, { kubeconfigPath: oidc });
  });

  it('kubeconfig: a missing context or server is an error naming the file', () => {
    const path = join(dir, 'broken');
    writeFileSync(path, 'apiVersion: v1\nkind: Config\ncurrent-context: gone\ncontexts: []\n');
    assert.throws(
      () => kubeconfigAccess(path),
      new RegExp(`${path}: current-context "gone" not found`),
    );
  });
});
