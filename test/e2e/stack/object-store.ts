// The S3-compatible store Velero writes to: gofakes3 (why this one: scripts/binaries/versions.json
// and docs/testing.md, "The end-to-end suite"), on loopback, path-style, files under the stack's
// folder.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startProcess, waitReady } from './proc.ts';
import type { Managed, StartOptions } from './proc.ts';

export interface ObjectStore {
  url: string;
  bucket: string;
  process: Managed;
}

export async function startObjectStore(
  exe: string,
  dir: string,
  options: StartOptions,
  bucket = 'velero',
): Promise<ObjectStore> {
  const port = await freePort();
  const data = join(dir, 's3');
  mkdirSync(data, { recursive: true });
  const url = `http://127.0.0.1:${port}`;
  const process = startProcess(
    'gofakes3',
    exe,
    [
      `-host=127.0.0.1:${port}`,
      '-backend=fs',
      `-fs.path=${data}`,
      '-fs.create',
      `-initialbucket=${bucket}`,
    ],
    join(dir, 'gofakes3.log'),
    options,
  );
  // ListBuckets answers once the bucket exists.
  await waitReady(process, 60_000, async () => {
    const res = await fetch(`${url}/`);
    return res.ok && (await res.text()).includes(`<Name>${bucket}</Name>`);
  });
  return { url, bucket, process };
}
