// The layering rule in eslint.config.js fails lint on a cross-function import and on a runtime →
// domain import, and passes the imports the walls allow.
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';

const eslint = new ESLint();

async function restricted(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'no-restricted-imports')
    .map((m) => m.message);
}

describe('lint walls (no-restricted-imports)', () => {
  const cases: Array<{ name: string; file: string; code: string; fails: boolean }> = [
    {
      name: 'a function importing another function',
      file: 'functions/backup-labeler/x.ts',
      code: "import { decide } from '../backup-guard/plan.ts';\nexport const d = decide;\n",
      fails: true,
    },
    {
      name: "a function's test importing another function's test support",
      file: 'functions/restore-sequencer/test/x.test.ts',
      code: "import { dirtyPvc } from '../../restore-fixer/test/dirty-objects.ts';\nexport const d = dirtyPvc;\n",
      fails: true,
    },
    {
      name: 'the runtime importing the Velero domain',
      file: 'functions/runtime/x.ts',
      code: "import { findRestore } from '../velero/restore-lookup.ts';\nexport const f = findRestore;\n",
      fails: true,
    },
    {
      name: 'the runtime importing a function',
      file: 'functions/runtime/x.ts',
      code: "import fixer from '../restore-fixer/index.ts';\nexport const f = fixer;\n",
      fails: true,
    },
    {
      name: 'the runtime importing the vmgroup domain',
      file: 'functions/runtime/events/x.ts',
      code: "import { EVENT_SOURCE } from '../../vmgroup/names.ts';\nexport const s = EVENT_SOURCE;\n",
      fails: true,
    },
    {
      name: 'the runtime importing the CLI',
      file: 'functions/runtime/process/x.ts',
      code: "import { run } from '../../cli/serve.ts';\nexport const r = run;\n",
      fails: true,
    },
    {
      name: "the runtime importing main's wiring (registry, product identity)",
      file: 'functions/runtime/http/x.ts',
      code: "import { PRODUCT } from '../../product.ts';\nexport const p = PRODUCT;\n",
      fails: true,
    },
    {
      name: "a runtime test importing a function's test support",
      file: 'functions/runtime/test/x.test.ts',
      code: "import { labelerEnv } from '../../backup-labeler/test/support.ts';\nexport const l = labelerEnv;\n",
      fails: true,
    },
    {
      name: 'a domain importing a function',
      file: 'functions/velero/x.ts',
      code: "import { plan } from '../backup-labeler/plan.ts';\nexport const p = plan;\n",
      fails: true,
    },
    {
      name: 'the runtime importing its own rooms',
      file: 'functions/runtime/http/x.ts',
      code:
        "import { dispatch } from '../events/dispatch.ts';\n" +
        "import type { FunctionDefinition } from '../function.ts';\n" +
        'export const d: [typeof dispatch, FunctionDefinition?] = [dispatch];\n',
      fails: false,
    },
    {
      name: 'main wiring importing the runtime and the domain',
      file: 'functions/cli/serve.ts',
      code:
        "import { PRODUCT } from '../product.ts';\n" +
        "import { serve } from '../runtime/process/main.ts';\n" +
        'export const all = [PRODUCT, serve];\n',
      fails: false,
    },
    {
      name: 'a function importing the runtime and the domains',
      file: 'functions/backup-labeler/x.ts',
      code:
        "import { findRestore } from '../velero/restore-lookup.ts';\n" +
        "import { isMemberLabelKey } from '../vmgroup/names.ts';\n" +
        "import { createKube } from '../runtime/kube/kube.ts';\n" +
        'export const all = [findRestore, isMemberLabelKey, createKube];\n',
      fails: false,
    },
  ];
  for (const c of cases) {
    it(`${c.fails ? 'fails' : 'passes'}: ${c.name}`, async () => {
      const messages = await restricted(c.file, c.code);
      assert.equal(messages.length > 0, c.fails, messages.join('; '));
    });
  }
});
