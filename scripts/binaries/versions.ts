// Typed access to versions.json, the one place every pinned upstream version lives.
import { readFileSync } from 'node:fs';

/** How to build one binary from Go modules. */
export interface BinaryRecipe {
  /** Go module that holds the main package. */
  module: string;
  version: string;
  /** Import path of the main package. */
  package: string;
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
