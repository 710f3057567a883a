// The shipped entry point, as the image and `npx velero-vmgroup-functions` run it: bin/ → dist/
// bundle (built by `pretest`), spawned as a real process.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiServerEvent, postEvent } from '../../../test/support/cloudevents.ts';
import { virtualMachine } from '../../../test/support/objects.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const BIN = join(root, 'bin/velero-vmgroup-functions.js');

interface Run {
  code: number | null;
  out: string;
  err: string;
}

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH, ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe('velero-vmgroup-functions command', function () {
  this.timeout(30_000);
  let dir: string;
  let kubeconfig: string;
  let slowFunction: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'vvf-cli-'));
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      'apiVersion: v1\nkind: Config\ncurrent-context: x\n' +
        'clusters: [{name: c, cluster: {server: "https://127.0.0.1:9"}}]\n' +
        'users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n',
    );
    slowFunction = join(dir, 'slow-function.mjs');
    // Tells the test (through a file) when the handler has started, then takes its time.
    writeFileSync(
      slowFunction,
      `import { writeFileSync } from 'node:fs';
      export default {
        name: 'slow',
        bindings: [{ type: 'dev.knative.apiserver.resource.add', kind: 'VirtualMachine',
          dataSchema: 'https://vmgroup-backup.dev/schemas/objects/virtualmachine.schema.json',
          handle: () => {
          writeFileSync(${JSON.stringify(join(dir, 'started'))}, '1');
          return new Promise((resolve) => setTimeout(resolve, 500));
        } }],
        deps: () => ({}),
      };\n`,
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('replies from the bundle: one binary-mode CloudEvent, validated against its dataschema', async () => {
    const replying = join(dir, 'replying-function.mjs');
    writeFileSync(
      replying,
      `export default {
        name: 'replying',
        bindings: [{ type: 'dev.knative.apiserver.resource.add', kind: 'VirtualMachine',
          dataSchema: 'https://vmgroup-backup.dev/schemas/objects/virtualmachine.schema.json',
          handle: async (event) => [{
          type: 'dev.vmgroup-backup.bundle.replied',
          subject: event.subject,
          dataschema: 'https://vmgroup-backup.dev/schemas/cloudevents/apiserver-ref.schema.json',
          data: { kind: event.data.kind, name: event.data.metadata.name, apiVersion: event.data.apiVersion },
        }] }],
        deps: () => ({}),
      };\n`,
    );
    const child = spawn(process.execPath, [BIN, 'serve', replying, '--port', '0'], {
      env: { PATH: process.env.PATH, KUBECONFIG: kubeconfig },
    });
    try {
      const ready = await readyLine(child);
      const res = await postEvent(
        `http://127.0.0.1:${ready.port}`,
        apiServerEvent('add', virtualMachine()),
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.headers['ce-type'], 'dev.vmgroup-backup.bundle.replied');
      assert.deepEqual(res.body, {
        kind: 'VirtualMachine',
        name: 'payments-db-0',
        apiVersion: 'vmoperator.vmware.com/v1alpha5',
      });
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('loads @kubernetes/client-node from the bundle for an exec-plugin kubeconfig (503 when the API is down, not 500)', async () => {
    const execConfig = join(dir, 'exec-kubeconfig');
    const credential = JSON.stringify({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { token: 'from-exec' },
    });
    writeFileSync(
      execConfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: x',
        'clusters: [{name: c, cluster: {server: "https://127.0.0.1:9", insecure-skip-tls-verify: true}}]',
        'contexts: [{name: x, context: {cluster: c, user: u}}]',
        'users:',
        '- name: u',
        '  user:',
        '    exec:',
        '      apiVersion: client.authentication.k8s.io/v1',
        '      command: /bin/echo',
        `      args: [${JSON.stringify(credential)}]`,
        '      interactiveMode: Never',
        '',
      ].join('\n'),
    );
    const reader = join(dir, 'reader-function.mjs');
    writeFileSync(
      reader,
      `export default {
        name: 'reader',
        bindings: [{ type: 'dev.knative.apiserver.resource.add', kind: 'VirtualMachine',
          dataSchema: 'https://vmgroup-backup.dev/schemas/objects/virtualmachine.schema.json',
          handle: async (_event, kube) => {
          await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'x', name: 'y' });
        } }],
        deps: (ctx) => ctx.kube,
      };\n`,
    );
    const child = spawn(
      process.execPath,
      [BIN, 'serve', reader, '--port', '0', '--kubeconfig', execConfig],
      {
        env: { PATH: process.env.PATH },
      },
    );
    try {
      const ready = await readyLine(child);
      const res = await postEvent(
        `http://127.0.0.1:${ready.port}`,
        apiServerEvent('add', virtualMachine()),
      );
      assert.equal(res.status, 503, JSON.stringify(res.body));
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('keeps serving after a handler leaves a promise rejection unhandled', async () => {
    const careless = join(dir, 'careless-function.mjs');
    writeFileSync(
      careless,
      `export default {
        name: 'careless',
        bindings: [{ type: 'dev.knative.apiserver.resource.add', kind: 'VirtualMachine',
          dataSchema: 'https://vmgroup-backup.dev/schemas/objects/virtualmachine.schema.json',
          handle: async () => { Promise.reject(new Error('forgotten')); } }],
        deps: () => ({}),
      };\n`,
    );
    const child = spawn(process.execPath, [BIN, 'serve', careless, '--port', '0'], {
      env: { PATH: process.env.PATH, KUBECONFIG: kubeconfig },
    });
    try {
      const ready = await readyLine(child);
      const url = `http://127.0.0.1:${ready.port}`;
      assert.equal((await postEvent(url, apiServerEvent('add', virtualMachine()))).status, 204);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal((await postEvent(url, apiServerEvent('add', virtualMachine()))).status, 204);
      assert.equal(child.exitCode, null);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('--help lists the commands', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.out, /Usage: velero-vmgroup-functions <command>/);
    assert.match(r.out, /serve\s+Start one function/);
  });

  it('serve --help explains options, environment and endpoints', async () => {
    const r = await run(['serve', '--help']);
    assert.equal(r.code, 0);
    for (const word of [
      '--port',
      '$PORT',
      '--kubeconfig',
      '--max-body',
      '8Mi',
      'LOG_LEVEL',
      '/health/readiness',
      '/metrics',
    ]) {
      assert.ok(r.out.includes(word), word);
    }
  });

  const usageErrors: Array<[string, string[], number, RegExp]> = [
    ['no command', [], 2, /Usage/],
    ['an unknown command', ['frobnicate'], 2, /unknown command "frobnicate"/],
    ['serve without a function', ['serve'], 2, /exactly one function/],
    ['an unknown option', ['serve', 'x', '--colour'], 2, /Unknown option '--colour'/],
    ['a bad port', ['serve', 'x', '--port', 'eighty'], 2, /port "eighty"/],
    ['a bad log level', ['serve', 'x', '--log-level', 'loud'], 2, /log level "loud"/],
    [
      'an unknown function',
      ['serve', 'no-such-function', '--kubeconfig', '/dev/null'],
      1,
      /unknown function "no-such-function"/,
    ],
  ];
  for (const [name, args, code, message] of usageErrors) {
    it(`exits ${code} on ${name}`, async () => {
      const r = await run(args);
      assert.equal(r.code, code, r.err);
      assert.match(r.err + r.out, message);
    });
  }

  it('refuses to start without a kubeconfig outside a cluster', async () => {
    const r = await run(['serve', slowFunction, '--port', '0']);
    assert.equal(r.code, 1);
    assert.match(r.err, /not running in a cluster/);
  });

  it('serves from the bundle, drains an in-flight event on SIGTERM, exits 0', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', slowFunction, '--port', '0'], {
      env: { PATH: process.env.PATH, KUBECONFIG: kubeconfig, LOG_LEVEL: 'info' },
    });
    try {
      const ready = await readyLine(child);
      assert.equal(ready.precompiled, true, 'the bundle uses precompiled validators');
      const url = `http://127.0.0.1:${ready.port}`;
      const inFlight = postEvent(url, apiServerEvent('add', virtualMachine()));
      while (!existsSync(join(dir, 'started')))
        await new Promise((resolve) => setTimeout(resolve, 10));
      child.kill('SIGTERM');
      assert.equal((await inFlight).status, 204);
      const code = await new Promise((resolve) => child.once('exit', resolve));
      assert.equal(code, 0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

function readyLine(child: ChildProcess): Promise<{ port: number; precompiled: boolean }> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      for (const line of out.split('\n')) {
        if (line.includes('"msg":"ready"'))
          resolve(JSON.parse(line) as { port: number; precompiled: boolean });
      }
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before ready: ${out}`)));
  });
}
