// Bundles the command (and with it the runtime and every function) into dist/ with esbuild. This
// bundle is what `bin/velero-vmgroup-functions.js`, the container image and `npm run bench` run.
// What makes it start fast lives here, not in a bench-only path:
//  - functions/runtime/schema/schema-source.ts is swapped for ajv standalone validators generated from
//    schemas/ now, so the process neither compiles schemas nor loads ajv's compiler at start;
//  - each command and each function is its own lazily loaded chunk (code splitting).

import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { readSchemaFiles } from '../functions/runtime/schema/schema-files.ts';
import { standaloneValidatorsModule } from '../functions/runtime/schema/schema-compiler.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

export async function build(outdir = join(root, 'dist')): Promise<esbuild.Metafile> {
  // Built next to dist/ and moved in file by file: processes (tests, a running bench) keep
  // running from dist/ while someone rebuilds, and chunks they load later are still there.
  const staging = `${outdir}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const generated = join(staging, '.build');
  mkdirSync(generated, { recursive: true });
  const precompiledPath = join(generated, 'schema-source.js');
  const warnings: string[] = [];
  const validators = standaloneValidatorsModule(readSchemaFiles(), warnings);
  const unique = [...new Set(warnings)];
  if (unique.length > 0) {
    console.warn(
      `build: ${unique.length} ajv strict-mode warning(s) in schemas/, e.g. ${unique[0]}`,
    );
  }
  writeFileSync(
    precompiledPath,
    `${validators}\n` +
      'export async function loadValidators() { return validators; }\n' +
      'export const precompiled = true;\n',
  );

  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { cli: 'functions/cli/main.ts' },
    outdir: staging,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    chunkNames: 'chunks/[name]-[hash]',
    // Identifiers stay readable for stack traces without keepNames, whose __name() wrapper runs
    // for every closure created on the hot path (~3% of the CPU per event).
    minifyWhitespace: true,
    minifySyntax: true,
    minifyIdentifiers: false,
    sourcemap: 'linked',
    legalComments: 'linked',
    metafile: true,
    logLevel: 'warning',
    // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    plugins: [
      {
        name: 'precompiled-validators',
        setup(b) {
          b.onResolve({ filter: /[/\\]schema-source\.ts$/ }, () => ({ path: precompiledPath }));
        },
      },
    ],
  });
  rmSync(generated, { recursive: true, force: true });
  publish(staging, outdir);
  return result.metafile;
}

/** Moves every built file into `outdir` (atomic per file; cli.js last), prunes chunks unused for an hour. */
function publish(staging: string, outdir: string): void {
  const files = readdirSync(staging, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(staging, join(e.parentPath, e.name)))
    .sort((a, b) => Number(a.startsWith('cli.')) - Number(b.startsWith('cli.')));
  for (const file of files) {
    mkdirSync(dirname(join(outdir, file)), { recursive: true });
    renameSync(join(staging, file), join(outdir, file));
  }
  rmSync(staging, { recursive: true, force: true });
  const fresh = new Set(files);
  const hourAgo = Date.now() - 3_600_000;
  for (const entry of readdirSync(outdir, { recursive: true, withFileTypes: true })) {
    const file = relative(outdir, join(entry.parentPath, entry.name));
    if (entry.isFile() && !fresh.has(file) && statSync(join(outdir, file)).mtimeMs < hourAgo) {
      rmSync(join(outdir, file));
    }
  }
}

if (import.meta.main) {
  const started = performance.now();
  const meta = await build();
  const bytes = Object.values(meta.outputs)
    .filter((o) => o.entryPoint !== undefined || o.imports !== undefined)
    .reduce((sum, o) => sum + o.bytes, 0);
  console.log(
    `build: dist/ ${Object.keys(meta.outputs).length} files, ${(bytes / 1024).toFixed(0)} KiB, ${(performance.now() - started).toFixed(0)} ms`,
  );
}
