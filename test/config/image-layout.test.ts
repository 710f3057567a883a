// Proves the image's runtime layout without Docker: the file system is assembled as the
// Dockerfile says (see image-layout.ts) in a folder with no node_modules above it, and the final
// stage's ENTRYPOINT + CMD runs there with only the image's environment — NODE_ENV=production,
// no node_modules — and must start each function and answer Knative's probes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { functionNames } from '../../functions/registry.ts';
import { freePort } from '../harness/processes.ts';
import { postEvent } from '../support/cloudevents.ts';
import { execForm, finalStage, readDockerfile, stageEnv } from './dockerfile-model.ts';
import { assembleImage, du, ignored, NODE } from './image-layout.ts';
import type { Layout } from './image-layout.ts';

const model = readDockerfile();
const final = finalStage(model);
const workdir =
  final.instructions
    .filter((i) => i.keyword === 'WORKDIR')
    .at(-1)
    ?.text.trim() ?? '/';
const entrypoint = execForm(final.instructions.find((i) => i.keyword === 'ENTRYPOINT')) ?? [];
const cmd = execForm(final.instructions.find((i) => i.keyword === 'CMD')) ?? [];

async function waitReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`exited ${child.exitCode} before ready:\n${output()}`);
    const res = await fetch(`${url}/health/readiness`).catch(() => undefined);
    if (res?.status === 200) return;
    await sleep(100);
  }
  throw new Error(`not ready after 20s:\n${output()}`);
}

describe('image runtime layout (Dockerfile replayed without Docker)', function () {
  this.timeout(120_000);
  let layout: Layout;
  let kubeconfig: string;

  before(() => {
    layout = assembleImage(model);
    // The functions reach no API server here; the client only needs a well-formed kubeconfig
    // (in a cluster the pod's service-account token takes its place).
    kubeconfig = join(layout.root, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:9"}}]\n' +
        'users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
    );
  });
  after(() => layout?.cleanup());

  it('builds dist/ from exactly the files the build stage copies (.dockerignore applied)', () => {
    assert.ok(existsSync(layout.hostPath('build', '/src/dist/cli.js')));
    assert.equal(
      ignored('functions/backup-guard/test/plan.test.ts', [
        '*',
        '!functions/',
        'functions/**/test/',
      ]),
      true,
    );
    assert.equal(
      existsSync(layout.hostPath('build', '/src/functions/runtime/test')),
      false,
      'tests are not in the build context',
    );
  });

  it('ships the bundle without node_modules', () => {
    const modules = layout.hostPath('final', join(workdir, 'node_modules'));
    assert.equal(existsSync(modules), false, 'dist/ bundles the production dependencies');
    const mib = du(layout.stageRoot('final')) / 1024 / 1024;
    assert.ok(mib < 40, `the image adds ${mib.toFixed(1)} MiB`);
  });

  for (const fn of functionNames()) {
    it(`starts ${fn} with the image's ENTRYPOINT + CMD and answers the probes`, async () => {
      assert.equal(entrypoint[0], 'node');
      const port = await freePort();
      const args = [...entrypoint.slice(1), ...cmd].map((a) =>
        a.startsWith('/') ? layout.hostPath('final', a) : a,
      );
      const env = {
        PATH: process.env['PATH'] ?? '',
        HOME: layout.root,
        ...stageEnv(final),
        PORT: String(port),
        FUNCTION: fn,
        KUBECONFIG: kubeconfig,
      };
      const child = spawn(NODE, args, {
        cwd: layout.hostPath('final', workdir),
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      const url = `http://127.0.0.1:${port}`;
      try {
        await waitReady(url, child, () => out);
        assert.equal((await fetch(`${url}/health/liveness`)).status, 200);
        // An event no binding matches is acknowledged without touching Kubernetes: the whole
        // receive path (parse, match, reply) runs from the bundle.
        const res = await postEvent(url, {
          id: 'layout-1',
          source: '/test',
          type: 'dev.example.unbound',
          extensions: {},
          data: {},
        });
        assert.ok(
          res.status >= 200 && res.status < 300,
          `status ${res.status}: ${JSON.stringify(res.body)}`,
        );
        assert.match(out, new RegExp(`"function":"${fn}"`));
      } finally {
        child.kill('SIGTERM');
        const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
        assert.equal(code, 0, `exit after SIGTERM:\n${out}`);
      }
    });
  }
});
