// Pure planning of Go builds from versions.json: which entry builds a binary, which main
// packages one `go build` compiles, how a module of ours is fingerprinted for the cache.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { parseReplaces } from './go-mod-file.ts';
import type { BinaryRecipe } from './versions.ts';

/** One binary of a build: its name, main package import path. */
export interface PlannedBinary {
  name: string;
  package: string;
}

/** The binaries one recipe builds, in a stable order. */
export function recipeBinaries(key: string, recipe: BinaryRecipe): PlannedBinary[] {
  if (recipe.package !== undefined) return [{ name: key, package: recipe.package }];
  return Object.entries(recipe.packages ?? {}).map(([name, pkg]) => ({ name, package: pkg }));
}

/**
 * The executable name `go build -o dir/` gives a main package: the last path element, or the
 * one before it when the last is a major-version suffix (`.../kustomize/v5` → kustomize).
 */
export function goExecutableName(importPath: string): string {
  const parts = importPath.split('/').filter((p) => p !== '' && p !== '.');
  const last = parts.at(-1) ?? '';
  return /^v[2-9]\d*$|^v1\d+$/.test(last) && parts.length > 1 ? parts.at(-2)! : last;
}

/** Everything wrong with the recipes, as sentences; empty when they are usable. */
export function recipeProblems(binaries: Record<string, BinaryRecipe>): string[] {
  const problems: string[] = [];
  const owner = new Map<string, string>();
  for (const [key, recipe] of Object.entries(binaries)) {
    const upstream = recipe.module !== undefined || recipe.version !== undefined;
    if (upstream === (recipe.localModule !== undefined))
      problems.push(`${key}: give either module + version or localModule`);
    else if (upstream && (!recipe.module || !recipe.version))
      problems.push(`${key}: module and version go together`);
    if ((recipe.package === undefined) === (recipe.packages === undefined))
      problems.push(`${key}: give either package or packages`);
    const planned = recipeBinaries(key, recipe);
    if (recipe.packages !== undefined && planned.length === 0)
      problems.push(`${key}: packages is empty`);
    for (const { name, package: pkg } of planned) {
      const other = owner.get(name);
      if (other !== undefined) problems.push(`${name} is built by both ${other} and ${key}`);
      owner.set(name, key);
      if (recipe.packages !== undefined && goExecutableName(pkg) !== name)
        problems.push(`${key}: go names ${pkg} ${goExecutableName(pkg)}, not ${name}`);
    }
  }
  return problems;
}

export interface BuildLookup {
  key: string;
  recipe: BinaryRecipe;
}

/** The recipe that builds `name`, or undefined. */
export function findRecipe(
  binaries: Record<string, BinaryRecipe>,
  name: string,
): BuildLookup | undefined {
  for (const [key, recipe] of Object.entries(binaries))
    if (recipeBinaries(key, recipe).some((b) => b.name === name)) return { key, recipe };
  return undefined;
}

/** Every binary name versions.json can build, `onDemand` ones only when asked. */
export function binaryNames(
  binaries: Record<string, BinaryRecipe>,
  { includeOnDemand }: { includeOnDemand: boolean },
): string[] {
  return Object.entries(binaries)
    .filter(([, recipe]) => includeOnDemand || !recipe.onDemand)
    .flatMap(([key, recipe]) => recipeBinaries(key, recipe).map((b) => b.name));
}

/**
 * Folders a module of ours builds from, relative to the repository root: the module itself
 * and every `replace` target that is a local folder (hand-written modules next to it).
 */
export function localModuleDirs(moduleDir: string, goMod: string): string[] {
  const local = parseReplaces(goMod)
    .map((r) => r.to)
    .filter((to) => to.startsWith('./') || to.startsWith('../'))
    .map((to) => posix.normalize(posix.join(moduleDir, to)));
  return [...new Set([posix.normalize(moduleDir), ...local])].sort();
}

export interface SourceFile {
  /** Path relative to the repository root, `/`-separated. */
  path: string;
  content: Buffer | string;
}

/** Cache version of a module of ours: changes whenever any of its files' paths or bytes do. */
export function localModuleVersion(files: SourceFile[]): string {
  const hash = createHash('sha256');
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const content = Buffer.from(file.content);
    hash.update(`${file.path}\0${content.length}\0`).update(content);
  }
  return `local-${hash.digest('hex').slice(0, 16)}`;
}
