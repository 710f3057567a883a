// Thin wrapper over the `go` command: locate it, run it, ask the module cache for a module's folder.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';

/** $GO when set (an explicit choice), else `go` on PATH, else the official installer's location. */
export function findGo(env: NodeJS.ProcessEnv): string | undefined {
  const candidates = env['GO'] ? [env['GO']] : ['go', '/usr/local/go/bin/go'];
  return candidates.find(
    (candidate) => spawnSync(candidate, ['version'], { env, encoding: 'utf8' }).status === 0,
  );
}

export interface RunGoOptions {
  go: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Append go's stdout and stderr here (a build prints hundreds of "downloading" lines). */
  logFile?: string;
  /**
   * `-mod=mod` (default) lets a generated wrapper module resolve and record what it needs;
   * `-mod=readonly` builds a committed module of ours exactly as its go.mod/go.sum say.
   */
  modFlag?: '-mod=mod' | '-mod=readonly';
}

/** Runs go; resolves stdout, rejects with the tail of the output on failure. */
export function runGo(args: string[], options: RunGoOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    // Workspaces or a module-mode override from the caller's shell must not leak into a build.
    // No VCS stamping either: a module of ours is built inside this repository's checkout.
    const env = {
      ...options.env,
      GOWORK: 'off',
      GOFLAGS: `${options.modFlag ?? '-mod=mod'} -buildvcs=false`,
      CGO_ENABLED: '0',
    };
    const child = spawn(options.go, args, {
      cwd: options.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
    let stdout = '';
    let tail = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      log?.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-4000);
      log?.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      log?.end();
      if (code === 0) resolve(stdout);
      else reject(new Error(`go ${args.join(' ')} failed (exit ${code}):\n${tail}`));
    });
  });
}

/** The module's extracted folder in the Go module cache (downloads it when absent). */
export async function moduleDir(
  go: string,
  module: string,
  version: string,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  const out = await runGo(['mod', 'download', '-json', `${module}@${version}`], {
    go,
    cwd: tmpdir(),
    env,
  });
  const info = JSON.parse(out) as { Dir?: string; Error?: string };
  if (!info.Dir)
    throw new Error(`go mod download ${module}@${version}: ${info.Error ?? 'no folder'}`);
  return info.Dir;
}
