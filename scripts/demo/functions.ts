// Starts functions as the image does (`velero-vmgroup-functions serve <function>`), each as its
// own process authenticated as its own ServiceAccount from config/, so the demo also shows the
// functions working under exactly the RBAC the config grants.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  freePort,
  killNow,
  logTail,
  spawnLogged,
  stopProcess,
} from '../../test/harness/processes.ts';
import type { Managed } from '../../test/harness/processes.ts';

const CLI = fileURLToPath(new URL('../../functions/cli/main.ts', import.meta.url));

export interface RunningFunction {
  name: string;
  url: string;
  process: Managed;
}

// Function processes must not outlive the demo, however it ends.
const started = new Set<Managed>();
let exitHandler = false;

export async function startFunction(
  name: string,
  kubeconfig: string,
  dir: string,
): Promise<RunningFunction> {
  const port = await freePort();
  // The CLI from source (Node 24 strips the types): what `npm run build` bundles for the image.
  const args = [
    CLI,
    'serve',
    name,
    '--port',
    String(port),
    '--kubeconfig',
    kubeconfig,
    '--log-level',
    'info',
  ];
  const process_ = spawnLogged(name, process.execPath, args, join(dir, `${name}.log`));
  started.add(process_);
  if (!exitHandler) {
    exitHandler = true;
    process.on('exit', () => started.forEach(killNow));
  }
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (process_.hasExited())
      throw new Error(`${name} exited during start-up:\n${logTail(process_)}`);
    const res = await fetch(`${url}/health/readiness`).catch(() => undefined);
    if (res?.status === 200) return { name, url, process: process_ };
    if (Date.now() > deadline)
      throw new Error(`${name} not ready after 30s:\n${logTail(process_)}`);
    await sleep(100);
  }
}

export async function stopFunctions(fns: RunningFunction[]): Promise<void> {
  await Promise.all(fns.map((f) => stopProcess(f.process, 3000)));
}
