// The harness's promise: no processes and no temp folders outlive a run, even when the test
// process is killed without warning.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startControlPlane } from './control-plane.ts';
import { runsExecutable } from './reaper.ts';

interface Owner {
  pid: number;
  children: { pid: number; exe: string }[];
}

const readOwner = (dir: string) => JSON.parse(readFileSync(`${dir}/owner.json`, 'utf8')) as Owner;
const anyAlive = (owner: Owner) => owner.children.some((c) => runsExecutable(c.pid, c.exe));

async function eventually(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`${what} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

describe('control plane lifecycle', function () {
  this.timeout(180_000);

  it('stop() ends etcd and kube-apiserver and removes the folder', async function () {
    const plane = await startControlPlane({ installCrds: false, log: () => undefined });
    const owner = readOwner(plane.dir);
    assert.deepEqual(
      owner.children.map((c) => c.exe.split('/').pop()),
      ['etcd', 'kube-apiserver'],
    );
    assert.ok(anyAlive(owner));
    await plane.stop();
    assert.equal(existsSync(plane.dir), false);
    assert.equal(anyAlive(owner), false);
  });

  it('leaves nothing behind when its owner is SIGKILLed', async function () {
    const controlPlane = fileURLToPath(new URL('./control-plane.ts', import.meta.url));
    const script = `import { startControlPlane } from ${JSON.stringify(controlPlane)};
const p = await startControlPlane({ installCrds: false, log: () => undefined });
process.stdout.write(p.dir + '\\n');
setInterval(() => undefined, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const dir = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
      child.once('exit', (code) => reject(new Error(`plane owner exited early (${code})`)));
    });
    const owner = readOwner(dir);
    assert.equal(owner.pid, child.pid);
    assert.ok(anyAlive(owner));
    child.kill('SIGKILL');
    await eventually('etcd and kube-apiserver gone', () => !anyAlive(owner));
    await eventually('temp folder removed', () => !existsSync(dir));
  });
});
