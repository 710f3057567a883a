#!/usr/bin/env node
// Runs the esbuild bundle built by `npm run build` (also run by `npm ci` via `prepare`): the same
// code the container image runs.
import { existsSync } from 'node:fs';

// The bundle targets Node 24 (package.json engines); say so instead of failing on syntax.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `velero-vmgroup-functions: needs Node 24, this is ${process.version}; run it through npx or npm (the project's devDependency provides Node 24)\n`,
  );
  process.exit(1);
}

const bundle = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(bundle)) {
  process.stderr.write(
    'velero-vmgroup-functions: dist/cli.js is missing; run `npm run build` first\n',
  );
  process.exit(1);
}
const { main } = await import(bundle.href);
process.exitCode = await main(process.argv.slice(2));
