// Child processes of the end-to-end stack: logged to a file each, given their own environment,
// watched by the harness reaper so a SIGKILLed test run leaves nothing behind.
import { setTimeout as sleep } from 'node:timers/promises';
import { logTail, spawnLogged, stopProcess } from '../../harness/processes.ts';
import type { Managed } from '../../harness/processes.ts';
import type { Reaper } from '../../harness/reaper.ts';

export { freePort, logTail, stopProcess } from '../../harness/processes.ts';
export type { Managed } from '../../harness/processes.ts';

export interface StartOptions {
  /** Added to (not replacing) this process's environment unless `cleanEnv`. */
  env?: Record<string, string>;
  /** Start from an empty environment plus PATH and HOME (the adapters read a dozen variables). */
  cleanEnv?: boolean;
  cwd?: string;
  reaper?: Reaper;
}

export function startProcess(
  name: string,
  exe: string,
  args: string[],
  logFile: string,
  options: StartOptions = {},
): Managed {
  const base: NodeJS.ProcessEnv = options.cleanEnv
    ? { PATH: process.env['PATH'], HOME: process.env['HOME'], TMPDIR: process.env['TMPDIR'] }
    : process.env;
  const m = spawnLogged(name, exe, args, logFile, {
    env: { ...base, ...options.env },
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  if (m.child.pid) options.reaper?.watchProcess(m.child.pid, exe);
  return m;
}

/** Polls `ready` until true; fails early with the log tail when the process dies. */
export async function waitReady(
  m: Managed,
  timeoutMs: number,
  ready: () => Promise<boolean>,
  what = m.name,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready().catch(() => false))) {
    if (m.hasExited()) throw new Error(`${what} exited during start-up:\n${logTail(m, 40)}`);
    if (Date.now() > deadline)
      throw new Error(`${what} not ready after ${timeoutMs} ms:\n${logTail(m, 40)}`);
    await sleep(200);
  }
}

/** Polls until `check` returns a value (not undefined); the message names what was awaited. */
export async function eventually<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(intervalMs);
  }
}

export async function stopAll(processes: Managed[]): Promise<void> {
  await Promise.all([...processes].reverse().map((p) => stopProcess(p)));
}
