// The `velero-vmgroup-functions` command. Each subcommand lives in its own module, loaded only
// when used, so `serve` never pays for another command's imports. To add a command, add one row
// to `commands` (keep it sorted) and a module exporting `run(argv, io)`.

import type { CommandIo } from '../runtime/process/command-io.ts';
import { processIo } from './io.ts';

export interface Command {
  summary: string;
  /** Resolves to the process exit code; long-running commands resolve when they stop. */
  run(argv: string[], io: CommandIo): Promise<number>;
}

export const commands: Readonly<Record<string, Command>> = {
  closure: {
    summary:
      'Show what a backup of a VirtualMachineGroup will contain (from manifests or the cluster)',
    run: async (argv, io) => (await import('./closure.ts')).run(argv, io),
  },
  serve: {
    summary: 'Start one function as an HTTP CloudEvents receiver (what the image runs)',
    run: async (argv, io) => (await import('./serve.ts')).run(argv, io),
  },
};

export function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const rows = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'Usage: velero-vmgroup-functions <command> [options]',
    '',
    'Commands:',
    ...rows,
    '',
    "Run `velero-vmgroup-functions <command> --help` for a command's options.",
  ].join('\n');
}

export async function main(argv: string[], io: CommandIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    io.err(`unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return command.run(rest, io);
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
