// A lock file holding the owner's pid, so two processes (two test runs, CI and a developer)
// never build the same binary into the same folder at once. A lock whose owner died is taken over.
import { openSync, closeSync, writeSync, readFileSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

function ownerAlive(path: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(path, 'utf8').trim());
  } catch {
    return true; // vanished or being written: look again on the next round
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryAcquire(path: string, retryStale = true): boolean {
  try {
    const fd = openSync(path, 'wx');
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    if (ownerAlive(path)) return false;
    rmSync(path, { force: true });
    return retryStale && tryAcquire(path, false);
  }
}

export async function withFileLock<T>(
  path: string,
  onWait: () => void,
  fn: () => Promise<T>,
): Promise<T> {
  let waited = false;
  while (!tryAcquire(path)) {
    if (!waited) onWait();
    waited = true;
    await sleep(1000);
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}
