// Makes the test binaries available: from KUBEBUILDER_ASSETS (envtest convention) when set,
// else from the per-user cache, else built once from Go modules at the versions in versions.json.
//
//   node scripts/binaries/ensure.ts kube-apiserver etcd   # prints name=path lines
//   node scripts/binaries/ensure.ts --all
import {
  accessSync,
  chmodSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  binaryNames,
  findRecipe,
  goExecutableName,
  localModuleDirs,
  localModuleVersion,
  recipeBinaries,
  recipeProblems,
} from './build-plan.ts';
import type { BuildLookup, PlannedBinary, SourceFile } from './build-plan.ts';
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
  /** Recipes instead of versions.json's (tests). */
  recipes?: Record<string, BinaryRecipe>;
  /** Where `localModule` folders are (tests); this repository by default. */
  repoRoot?: string;
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

function howToProvide(name: string, version: string, target: string): string {
  const envtest = ENVTEST_BINARIES.has(name)
    ? ` or set KUBEBUILDER_ASSETS to a folder holding etcd and kube-apiserver (for example the one \`setup-envtest use -p path\` prints)`
    : '';
  return (
    `${name} ${version} is not built yet (${target}) and no Go toolchain was found ` +
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

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

function filesUnder(root: string, dir: string): SourceFile[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = posix.join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(root, path);
    return entry.isFile() ? [{ path, content: readFileSync(join(root, path)) }] : [];
  });
}

/** The cache version of a recipe: its pinned version, or a hash of our module's files. */
export function recipeVersion(recipe: BinaryRecipe, repoRoot = REPO_ROOT): string {
  if (recipe.localModule === undefined) return recipe.version!;
  const goMod = readFileSync(join(repoRoot, recipe.localModule, 'go.mod'), 'utf8');
  const dirs = localModuleDirs(recipe.localModule, goMod);
  return localModuleVersion(dirs.flatMap((dir) => filesUnder(repoRoot, dir)));
}

interface Build {
  key: string;
  recipe: BinaryRecipe;
  version: string;
  /** The binaries this run compiles (those of the recipe not cached yet), with their targets. */
  binaries: (PlannedBinary & { target: string })[];
}

/** Writes the wrapper module of an upstream recipe into `work`; returns where to run go build. */
async function prepareUpstream(
  go: string,
  build: Build,
  work: string,
  run: (args: string[], cwd: string) => Promise<string>,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  const { recipe, key } = build;
  const upstream = readFileSync(
    join(await moduleDir(go, recipe.module!, build.version, env), 'go.mod'),
    'utf8',
  );
  writeFileSync(join(work, 'go.mod'), renderWrapperGoMod(recipe, upstream, key));
  await run(['get', ...build.binaries.map((b) => `${b.package}@${build.version}`)], work);
  return work;
}

async function buildWithGo(
  go: string,
  build: Build,
  options: Required<EnsureOptions>,
): Promise<void> {
  const { env, log } = options;
  const { recipe, key, version } = build;
  const names = build.binaries.map((b) => b.name).join(' + ');
  const work = mkdtempSync(join(tmpdir(), `vvf-build-${key}-`));
  const logFile = join(work, 'build.log');
  const started = Date.now();
  const minutes = recipe.approxMinutes ? `, ~${recipe.approxMinutes} min` : '';
  const from = recipe.localModule ? `our Go module ${recipe.localModule}` : 'Go modules';
  log(`building ${names} ${version} from ${from} in one go build (first run only${minutes})…`);
  const heartbeat = setInterval(
    () => log(`  still building ${names} (${Math.round((Date.now() - started) / 1000)}s)…`),
    30_000,
  );
  // Our own module builds from its committed go.mod/go.sum and must never rewrite them.
  const modFlag = recipe.localModule ? '-mod=readonly' : '-mod=mod';
  const run = (args: string[], cwd: string) => runGo(args, { go, cwd, env, logFile, modFlag });
  try {
    const cwd = recipe.localModule
      ? join(options.repoRoot, recipe.localModule)
      : await prepareUpstream(go, build, work, run, env);
    const out = join(work, 'out');
    mkdirSync(out);
    const ldflags = ['-s', '-w', ...(recipe.ldflags ?? [])].join(' ');
    const packages = build.binaries.map((b) => b.package);
    await run(['build', '-trimpath', `-ldflags=${ldflags}`, '-o', `${out}/`, ...packages], cwd);
    for (const { package: pkg, target } of build.binaries) {
      mkdirSync(dirname(target), { recursive: true });
      const partial = `${target}.partial-${process.pid}`;
      copyFileSync(join(out, goExecutableName(pkg)), partial);
      chmodSync(partial, 0o755);
      renameSync(partial, target); // atomic: a reader never sees half a binary
    }
    const seconds = Math.round((Date.now() - started) / 1000);
    log(
      `built ${names} ${version} in ${seconds}s → ${build.binaries.map((b) => b.target).join(', ')}`,
    );
  } finally {
    clearInterval(heartbeat);
    rmSync(work, { recursive: true, force: true });
  }
}

function lookUp(name: string, binaries: Record<string, BinaryRecipe>): BuildLookup {
  const problems = recipeProblems(binaries);
  if (problems.length > 0)
    throw new Error(`scripts/binaries/versions.json: ${problems.join('; ')}`);
  const found = findRecipe(binaries, name);
  if (!found)
    throw new Error(
      `unknown binary ${name}; known: ${binaryNames(binaries, { includeOnDemand: true }).join(', ')}`,
    );
  return found;
}

/**
 * Path of a runnable binary, building it first when needed. Binaries of one recipe are built
 * together: asking for one builds every one of them not cached yet, in one go build.
 */
export async function ensureBinary(name: string, options: EnsureOptions = {}): Promise<string> {
  const opts: Required<EnsureOptions> = {
    env: options.env ?? process.env,
    log: options.log ?? ((l) => process.stderr.write(`${l}\n`)),
    recipes: options.recipes ?? loadVersions().binaries,
    repoRoot: options.repoRoot ?? REPO_ROOT,
  };
  const fromAssets = fromKubebuilderAssets(name, opts.env);
  if (fromAssets) return fromAssets;
  const { key, recipe } = lookUp(name, opts.recipes);
  const version = recipeVersion(recipe, opts.repoRoot);
  const targetOf = (binary: string) => cachedBinaryPath(opts.env, binary, version);
  const target = targetOf(name);
  if (isExecutable(target)) return target;
  const go = findGo(opts.env);
  if (!go) throw new Error(howToProvide(name, version, target));
  mkdirSync(cacheRoot(opts.env), { recursive: true });
  const lock = join(cacheRoot(opts.env), `.${key}-${version}.lock`);
  await withFileLock(
    lock,
    () => opts.log(`waiting for another process building ${name} ${version}…`),
    async () => {
      const missing = recipeBinaries(key, recipe)
        .map((b) => ({ ...b, target: targetOf(b.name) }))
        .filter((b) => !existsSync(b.target));
      if (missing.length > 0)
        await buildWithGo(go, { key, recipe, version, binaries: missing }, opts);
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
  return binaryNames(loadVersions().binaries, { includeOnDemand: false });
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
