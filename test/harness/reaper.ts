// The reaper: a small watchdog process that outlives its parent just long enough to clean up.
// The parent writes JSON lines on the reaper's stdin ({"pid":N,"exe":PATH} or {"dir":PATH});
// when that pipe closes — the parent exited normally, crashed, or was SIGKILLed — the reaper
// kills the registered processes that are still running that executable and removes the
// folders. Nothing is left behind even when mocha is killed without a chance to run hooks.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface Registration {
  pid?: number;
  exe?: string;
  dir?: string;
}

/** True when pid is alive and still the program we started (pids are reused). */
export function runsExecutable(pid: number, exe: string): boolean {
  try {
    const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
    return argv0 === exe;
  } catch {
    return false;
  }
}

function reap(registrations: Registration[]): void {
  for (const r of registrations) {
    if (r.pid && r.exe && runsExecutable(r.pid, r.exe)) {
      try {
        process.kill(r.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  for (const r of registrations) if (r.dir) rmSync(r.dir, { recursive: true, force: true });
}

function runReaper(): void {
  // A Ctrl-C reaches the whole process group; the reaper must survive it to clean up after
  // the parent, and it leaves as soon as the parent's end of the pipe closes.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.on(signal, () => undefined);
  const registrations: Registration[] = [];
  let buffered = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) registrations.push(JSON.parse(line) as Registration);
  });
  process.stdin.on('end', () => {
    reap(registrations);
    process.exit(0);
  });
  process.stdin.on('error', () => {
    reap(registrations);
    process.exit(0);
  });
}

export interface Reaper {
  watchProcess(pid: number, exe: string): void;
  watchDir(dir: string): void;
  /** Close the pipe: the reaper cleans whatever is left and exits. */
  release(): void;
}

export function startReaper(): Reaper {
  const child: ChildProcess = spawn(
    process.execPath,
    [fileURLToPath(import.meta.url), '--reaper'],
    {
      stdio: ['pipe', 'ignore', 'inherit'],
    },
  );
  // Neither the reaper nor its pipe may keep the parent's event loop alive.
  child.unref();
  const stdin = child.stdin as (NodeJS.WritableStream & { unref?: () => void }) | null;
  stdin?.unref?.();
  const send = (r: Registration) => stdin?.write(`${JSON.stringify(r)}\n`);
  return {
    watchProcess: (pid, exe) => send({ pid, exe }),
    watchDir: (dir) => send({ dir }),
    release: () => stdin?.end(),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--reaper'))
  runReaper();
