// The real process behind a command's CommandIo (the interface lives in the runtime, which the
// CLI builds on).
import type { CommandIo } from '../runtime/process/command-io.ts';

export function processIo(): CommandIo {
  return {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    env: process.env,
  };
}
