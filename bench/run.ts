// `npm run bench [-- <name>...]`: runs every bench/*.bench.ts (or the named ones) one after the
// other and prints each one's figures. A bench module default-exports a function resolving to
// { title, lines }; it is a measurement, not a test, so nothing here passes or fails on numbers.

import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { benchFlags, benchNames } from './flags.ts';

export interface BenchResult {
  title: string;
  lines: string[];
}

export type Bench = () => Promise<BenchResult>;

const dir = fileURLToPath(new URL('.', import.meta.url));
const wanted = benchNames();
const flags = benchFlags();
if (flags.quick && flags.full) {
  console.error('bench: --quick and --full together make no sense');
  process.exit(1);
}
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.includes(f.replace(/\.bench\.ts$/, '')))
  .sort();
if (files.length === 0) {
  console.error(
    `bench: nothing to run (looked for ${wanted.join(', ') || '*'}.bench.ts in bench/)`,
  );
  process.exit(1);
}
let failed = false;
for (const file of files) {
  const started = performance.now();
  try {
    const { default: bench } = (await import(`./${file}`)) as { default: Bench };
    const result = await bench();
    console.log(
      `\n## ${result.title}  (${file}, ${((performance.now() - started) / 1000).toFixed(0)} s)\n`,
    );
    for (const line of result.lines) console.log(line);
  } catch (err) {
    failed = true;
    console.error(`\n## ${file} failed: ${(err as Error).stack ?? String(err)}`);
  }
}
process.exitCode = failed ? 1 : 0;
