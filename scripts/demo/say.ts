// Plain-words output for the demo: numbered steps, indented detail, time since start.
const started = Date.now();

const clock = (): string => `${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s`;

let step = 0;

export const say = {
  step(text: string): void {
    step++;
    process.stdout.write(`\n[${clock()}] ${step}. ${text}\n`);
  },
  line(text: string): void {
    process.stdout.write(`[${clock()}]    ${text}\n`);
  },
  detail(text: string): void {
    process.stdout.write(`             ${text}\n`);
  },
  blank(): void {
    process.stdout.write('\n');
  },
  elapsedSeconds(): number {
    return (Date.now() - started) / 1000;
  },
};

/** A fixed-width table for the summary. */
export function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}
