// Child processes of the control plane: output to a log file in the plane's folder (never a
// pipe that could fill up or keep the test run alive), stopped gracefully then forcibly.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Managed {
  name: string;
  exe: string;
  child: ChildProcess;
  logFile: string;
  /** Set once the process has exited. */
  exited: Promise<number | null>;
  hasExited(): boolean;
}

export function spawnLogged(
  name: string,
  exe: string,
  args: string[],
  logFile: string,
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Managed {
  const fd = openSync(logFile, 'a');
  const child = spawn(exe, args, {
    stdio: ['ignore', fd, fd],
    ...(options.env ? { env: options.env } : {}),
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  closeSync(fd);
  child.unref();
  let done = false;
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code, signal) => {
      done = true;
      resolve(code ?? (signal ? -1 : null));
    });
    child.on('error', () => {
      done = true;
      resolve(-1);
    });
  });
  return { name, exe, child, logFile, exited, hasExited: () => done };
}

export function logTail(m: Managed, lines = 30): string {
  try {
    return readFileSync(m.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function stopProcess(m: Managed, graceMs = 5000): Promise<void> {
  if (m.hasExited()) return;
  m.child.kill('SIGTERM');
  const timedOut = await Promise.race([
    m.exited.then(() => false),
    sleep(graceMs).then(() => true),
  ]);
  if (timedOut && !m.hasExited()) {
    m.child.kill('SIGKILL');
    await m.exited;
  }
}

/** Synchronous last resort for exit and signal handlers, where nothing can be awaited. */
export function killNow(m: Managed): void {
  if (!m.hasExited()) m.child.kill('SIGKILL');
}

/** A port the kernel just handed out on loopback; the caller retries if it is taken meanwhile. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}
