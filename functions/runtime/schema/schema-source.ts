// Where the runtime's validators come from. In development (tests, `node functions/cli/main.ts`)
// they are compiled from schemas/ at start. scripts/build.ts replaces this module in the shipped
// bundle with precompiled standalone validators of the same schemas, so the image starts without
// compiling anything; both go through schema-compiler.ts's single ajv configuration.

import { readSchemaFiles } from './schema-files.ts';
import type { ValidatorSet } from './validation.ts';

export async function loadValidators(schemasDir?: string): Promise<ValidatorSet> {
  const { compileValidators } = await import('./schema-compiler.ts');
  return compileValidators(readSchemaFiles(schemasDir));
}

/** True in the shipped bundle. */
export const precompiled = false;
