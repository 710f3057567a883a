// Makes the test binaries available: from KUBEBUILDER_ASSETS (envtest convention) when set,
// else from the per-user cache, else built once from Go modules at the versions in versions.json.
//
//   node scripts/binaries/ensure.ts kube-apiserver etcd   # prints name=path lines
//   node scripts/binaries/ensure.ts --all
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  accessSync,
  constants,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withFileLock } from './file-lock.ts';
import { renderWrapperGoMod } from './go-mod-file.ts';
import { findGo, moduleDir, runGo } from './go-toolchain.ts';
import { loadVersions } from './versions.ts';
import type { BinaryRecipe } from './versions.ts';

/** Binaries the envtest convention puts in KUBEBUILDER_ASSETS. */
const ENVTEST_BINARIES = new Set(['etcd', 'kube-apiserver', 'kubectl']);

export interface EnsureOptions {
  env?: NodeJS.ProcessEnv;
  /** Progress lines; stderr by default so stdout stays machine-readable. */
  log?: (line: string) => void;
}

export function cacheRoot(env: NodeJS.ProcessEnv): string {
  const base = env['XDG_CACHE_HOME'] || join(env['HOME'] || homedir(), '.cache');
  return join(base, 'velero-vmgroup-functions', 'bin');
}

export function cachedBinaryPath(env: NodeJS.ProcessEnv, name: string, version: string): string {
  return join(cacheRoot(env), `${name}-${version}`, name);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function howToProvide(name: string, recipe: BinaryRecipe, target: string): string {
  const envtest = ENVTEST_BINARIES.has(name)
    ? ` or set KUBEBUILDER_ASSETS to a folder holding etcd and kube-apiserver (for example the one \`setup-envtest use -p path\` prints)`
    : '';
  return (
    `${name} ${recipe.version} is not built yet (${target}) and no Go toolchain was found ` +
    `(tried $GO if set, else \`go\` on PATH and /usr/local/go/bin/go). Install Go >= 1.26 and run ` +
    `\`node scripts/binaries/ensure.ts --all\`${envtest}.`
  );
}

function fromKubebuilderAssets(name: string, env: NodeJS.ProcessEnv): string | undefined {
  const assets = env['KUBEBUILDER_ASSETS'];
  if (!assets || !ENVTEST_BINARIES.has(name)) return undefined;
  const path = join(assets, name);
  if (!isExecutable(path))
    throw new Error(
      `KUBEBUILDER_ASSETS=${assets} has no executable ${name} (put it there, or unset KUBEBUILDER_ASSETS to build it from Go modules)`,
    );
  return path;
}

async function buildWithGo(
  go: string,
  name: string,
  recipe: BinaryRecipe,
  target: string,
  options: Required<EnsureOptions>,
): Promise<void> {
  const { env, log } = options;
  const work = mkdtempSync(join(tmpdir(), `vvf-build-${name}-`));
  const logFile = join(work, 'build.log');
  const started = Date.now();
  const minutes = recipe.approxMinutes ? `, ~${recipe.approxMinutes} min` : '';
  log(`building ${name} ${recipe.version} from Go modules (first run only${minutes})…`);
  const heartbeat = setInterval(
    () => log(`  still building ${name} (${Math.round((Date.now() - started) / 1000)}s)…`),
    30_000,
  );
  try {
    const upstream = readFileSync(
      join(await moduleDir(go, recipe.module, recipe.version, env), 'go.mod'),
      'utf8',
    );
    writeFileSync(join(work, 'go.mod'), renderWrapperGoMod(recipe, upstream, name));
    const run = (args: string[]) => runGo(args, { go, cwd: work, env, logFile });
    await run(['get', `${recipe.package}@${recipe.version}`]);
    mkdirSync(join(target, '..'), { recursive: true });
    const partial = `${target}.partial-${process.pid}`;
    const ldflags = ['-s', '-w', ...(recipe.ldflags ?? [])].join(' ');
    await run(['build', '-trimpath', `-ldflags=${ldflags}`, '-o', partial, recipe.package]);
    renameSync(partial, target); // atomic: a reader never sees half a binary
    log(
      `built ${name} ${recipe.version} in ${Math.round((Date.now() - started) / 1000)}s → ${target}`,
    );
  } finally {
    clearInterval(heartbeat);
    rmSync(work, { recursive: true, force: true });
  }
}

/** Path of a runnable binary, building it first when needed. */
export async function ensureBinary(name: string, options: EnsureOptions = {}): Promise<string> {
  const opts: Required<EnsureOptions> = {
    env: options.env ?? process.env,
    log: options.log ?? ((l) => process.stderr.write(`${l}\n`)),
  };
  const fromAssets = fromKubebuilderAssets(name, opts.env);
  if (fromAssets) return fromAssets;
  const recipe = loadVersions().binaries[name];
  if (!recipe)
    throw new Error(
      `unknown binary ${name}; known: ${Object.keys(loadVersions().binaries).join(', ')}`,
    );
  const target = cachedBinaryPath(opts.env, name, recipe.version);
  if (isExecutable(target)) return target;
  const go = findGo(opts.env);
  if (!go) throw new Error(howToProvide(name, recipe, target));
  mkdirSync(cacheRoot(opts.env), { recursive: true });
  const lock = join(cacheRoot(opts.env), `.${name}-${recipe.version}.lock`);
  await withFileLock(
    lock,
    () => opts.log(`waiting for another process building ${name} ${recipe.version}…`),
    async () => {
      if (!existsSync(target)) await buildWithGo(go, name, recipe, target, opts);
    },
  );
  return target;
}

/** Builds sequentially: the machines have two cores and a Go build uses both. */
export async function ensureBinaries(
  names: string[],
  options: EnsureOptions = {},
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of names) out[name] = await ensureBinary(name, options);
  return out;
}

/** What `--all` builds: every binary the tests need, not the on-demand bench tools. */
export function allBinaryNames(): string[] {
  return Object.entries(loadVersions().binaries)
    .filter(([, recipe]) => !recipe.onDemand)
    .map(([name]) => name);
}

async function main(argv: string[]): Promise<void> {
  const names = argv.includes('--all') ? allBinaryNames() : argv.filter((a) => !a.startsWith('-'));
  if (names.length === 0) {
    process.stderr.write('usage: node scripts/binaries/ensure.ts --all | NAME...\n');
    process.exitCode = 2;
    return;
  }
  const paths = await ensureBinaries(names);
  for (const [name, path] of Object.entries(paths)) process.stdout.write(`${name}=${path}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
