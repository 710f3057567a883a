import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { withFileLock } from '../../scripts/binaries/file-lock.ts';

describe('file lock for builds', function () {
  let dir: string;
  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'vvf-lock-test-'));
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs holders one after the other and tells the waiter it waits', async function () {
    const lock = join(dir, 'x.lock');
    const events: string[] = [];
    let waits = 0;
    const holder = (name: string) =>
      withFileLock(
        lock,
        () => waits++,
        async () => {
          events.push(`${name} in`);
          await sleep(300);
          events.push(`${name} out`);
        },
      );
    await Promise.all([holder('a'), sleep(50).then(() => holder('b'))]);
    assert.deepEqual(events, ['a in', 'a out', 'b in', 'b out']);
    assert.equal(waits, 1);
    assert.equal(existsSync(lock), false);
  });

  it('takes over a lock whose owner is gone', async function () {
    const lock = join(dir, 'x.lock');
    writeFileSync(lock, '2147483646'); // no such pid
    let waited = false;
    const result = await withFileLock(
      lock,
      () => (waited = true),
      async () => 'built',
    );
    assert.equal(result, 'built');
    assert.equal(waited, false);
  });

  it('releases the lock when the work fails', async function () {
    const lock = join(dir, 'x.lock');
    await assert.rejects(
      withFileLock(
        lock,
        () => undefined,
        async () => {
          throw new Error('go build failed');
        },
      ),
      /go build failed/,
    );
    assert.equal(existsSync(lock), false);
  });
});
