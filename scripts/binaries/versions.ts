// Typed access to versions.json, the one place every pinned upstream version lives.
import { readFileSync } from 'node:fs';

/**
 * How to build binaries from Go: one entry is one `go build`. Either an upstream module at a
 * pinned version (`module` + `version`, built in a generated wrapper module) or a module of
 * ours in this repository (`localModule`, built in place from its committed go.mod/go.sum).
 * One main package (`package`, the binary is named after the entry) or several that share
 * packages (`packages`, binary name → import path), compiled together so shared packages are
 * compiled and linked for all of them in one go.
 */
export interface BinaryRecipe {
  /** Upstream Go module that holds the main package(s). */
  module?: string;
  version?: string;
  /**
   * A Go module of ours: folder relative to the repository root holding go.mod, go.sum and
   * our main packages. Its version is a hash of its files (and of local `replace` targets),
   * so the cached build changes when they do.
   */
  localModule?: string;
  /** Import path of the one main package; the binary is named after the recipe's key. */
  package?: string;
  /**
   * Several main packages built in one `go build -o dir/`: binary name → import path. Each
   * name is also the executable name Go gives the package (checked), and unique across
   * versions.json, so `ensureBinary(name)` finds it.
   */
  packages?: Record<string, string>;
  /**
   * Upstream go.mod `replace` lines that point at a local folder (Kubernetes' ./staging/...,
   * etcd's ../api) cannot be repeated outside that repository. When set, each becomes
   * `<path> => <path> <localReplaceVersion>` (Kubernetes publishes staging as v0.x); when
   * unset they are dropped and the upstream `require` versions apply.
   */
  localReplaceVersion?: string;
  /**
   * Extra `path version` requirements for the wrapper, when a version upstream pins is not
   * served by the module proxy this machine reaches and a newer patch release is.
   */
  extraRequires?: string[];
  /** Extra `-X` flags for the linker (version stamps). */
  ldflags?: string[];
  /** Rough cold build time on two cores, for the progress line. */
  approxMinutes?: number;
  /**
   * Built only when something asks for it by name (a bench tool), never by `--all`, so
   * `npm run binaries` in CI does not spend time on it.
   */
  onDemand?: boolean;
}

/** Where CRD YAML comes from: files or whole folders of one Go module. */
export interface CrdSource {
  module: string;
  version: string;
  files?: string[];
  dirs?: string[];
}

export interface Versions {
  binaries: Record<string, BinaryRecipe>;
  crds: Record<string, CrdSource>;
}

export function loadVersions(): Versions {
  const url = new URL('./versions.json', import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Versions;
}

/** The upstream module and pinned version an entry builds from (not for modules of ours). */
export function pinnedModule(key: string): BinaryRecipe & { module: string; version: string } {
  const recipe = loadVersions().binaries[key];
  if (!recipe?.module || !recipe.version)
    throw new Error(`versions.json has no upstream module entry ${key}`);
  return { ...recipe, module: recipe.module, version: recipe.version };
}
