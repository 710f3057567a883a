// Every function the `serve` command can start, by name. Loading is lazy so starting one function
// never loads another's code.
//
// Function authors: add ONE line for your function, keep the list sorted:
//   'my-function': () => import('./my-function/index.ts'),
// and make functions/my-function/index.ts `export default` its FunctionDefinition (the default
// export is the convention; the name in the definition must equal the key here).

import type { FunctionDefinition } from './runtime/function.ts';

export type FunctionModule = { default: FunctionDefinition<unknown> };

export const functions: Readonly<Record<string, () => Promise<FunctionModule>>> = {
  'backup-guard': () => import('./backup-guard/index.ts'),
  'backup-labeler': () => import('./backup-labeler/index.ts'),
  'backup-verifier': () => import('./backup-verifier/index.ts'),
  'datamover-progress': () => import('./datamover-progress/index.ts'),
  'restore-fixer': () => import('./restore-fixer/index.ts'),
  'restore-sequencer': () => import('./restore-sequencer/index.ts'),
};

export function functionNames(): string[] {
  return Object.keys(functions).sort();
}

export async function loadFunction(name: string): Promise<FunctionDefinition<unknown>> {
  const load = Object.hasOwn(functions, name) ? functions[name] : undefined;
  if (!load) {
    throw new Error(
      `unknown function "${name}"; known: ${functionNames().join(', ') || '(none yet)'}`,
    );
  }
  const def = (await load()).default as FunctionDefinition<unknown>;
  if (def.name !== name)
    throw new Error(`functions/registry.ts: "${name}" loads a definition named "${def.name}"`);
  return def;
}
