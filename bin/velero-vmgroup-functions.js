#!/usr/bin/env node
// Runs the esbuild bundle built by `npm run build` (also run by `npm ci` via `prepare`): the same
// code the container image runs.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(bundle)) {
  process.stderr.write(
    'velero-vmgroup-functions: dist/cli.js is missing; run `npm run build` first\n',
  );
  process.exit(1);
}
const { main } = await import(bundle.href);
process.exitCode = await main(process.argv.slice(2));
