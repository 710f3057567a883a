// Size flags for `npm run bench -- [name...] [--quick|--full]`: names pick benches, flags pick
// sizes (--quick is what CI runs to prove a bench still works; --full the Supervisor-scale sizes,
// run by hand). Read from argv, so a bench module needs no environment of its own.
export interface BenchFlags {
  quick: boolean;
  full: boolean;
  /**
   * --no-watch-cache: a bench's control plane runs kube-apiserver with `--watch-cache=false`
   * (labeler-scale: implied by --full, whose watch cache would not fit this machine's memory).
   */
  noWatchCache: boolean;
}

export function benchFlags(argv: readonly string[] = process.argv.slice(2)): BenchFlags {
  return {
    quick: argv.includes('--quick'),
    full: argv.includes('--full'),
    noWatchCache: argv.includes('--no-watch-cache'),
  };
}

/** The bench names asked for: every argument that is not a flag. */
export function benchNames(argv: readonly string[] = process.argv.slice(2)): string[] {
  return argv.filter((a) => !a.startsWith('--'));
}
