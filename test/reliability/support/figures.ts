// Figures of a reliability run: printed as one JSON line each (`figure <name> {...}`) so CI logs
// and docs/testing.md can quote them, and appended to $RELIABILITY_FIGURES when set.
import { appendFileSync } from 'node:fs';

export function figure(name: string, values: Record<string, unknown>): void {
  const line = `figure ${name} ${JSON.stringify(values)}`;
  process.stdout.write(`      ${line}\n`);
  const file = process.env.RELIABILITY_FIGURES;
  if (file) appendFileSync(file, `${line}\n`);
}
