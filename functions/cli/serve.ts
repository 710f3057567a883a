// `serve <function>`: what the container image runs. Reads configuration once (flags override the
// environment), builds the runtime context and starts the server; SIGTERM drains and exits.

import { parseArgs } from 'node:util';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CommandIo } from '../runtime/process/command-io.ts';
import type { FunctionDefinition } from '../runtime/function.ts';
import { functionNames, loadFunction } from '../registry.ts';
import { PRODUCT } from '../product.ts';

export const SERVE_HELP = `Usage: velero-vmgroup-functions serve <function> [options]

Starts <function> as an HTTP receiver of CloudEvents (binary or structured mode).
<function> is a name from functions/registry.ts, or a path to a module whose default export is a
FunctionDefinition; when omitted, $FUNCTION names it (how the container image is told).

Options:
  --port N            listen port (default: $PORT or 8080; 0 picks a free port)
  --kubeconfig PATH   kubeconfig file (default: $KUBECONFIG, else the in-cluster service account)
  --max-body SIZE     largest accepted request body, bytes or with Ki/Mi suffix
                      (default: $MAX_BODY_SIZE or 8Mi)
  --log-level LEVEL   trace|debug|info|warn|error|fatal (default: $LOG_LEVEL or info)
  -h, --help          show this help

Functions: ${'{functions}'}

Endpoints: POST / (CloudEvents), GET /health/liveness, GET /health/readiness, GET /metrics.`;

export async function run(argv: string[], io: CommandIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        port: { type: 'string' },
        kubeconfig: { type: 'string' },
        'max-body': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${help()}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(help());
    return 0;
  }
  // The image's CMD is `serve`; the Knative Service (or func.yaml) picks the function with FUNCTION.
  const fn = positionals[0] ?? io.env.FUNCTION;
  if (positionals.length > 1 || !fn) {
    io.err(`serve needs exactly one function\n\n${help()}`);
    return 2;
  }
  const { serve } = await import('../runtime/process/main.ts');
  const config = {
    port: values.port ?? io.env.PORT,
    kubeconfig: values.kubeconfig ?? io.env.KUBECONFIG,
    maxBody: values['max-body'] ?? io.env.MAX_BODY_SIZE,
    logLevel: values['log-level'] ?? io.env.LOG_LEVEL,
  };
  return serve(() => resolveFunction(fn), PRODUCT, config, io);
}

function help(): string {
  return SERVE_HELP.replace('{functions}', functionNames().join(', ') || '(none registered yet)');
}

async function resolveFunction(nameOrPath: string): Promise<FunctionDefinition<unknown>> {
  if (!/[/\\]|\.[cm]?[jt]s$/.test(nameOrPath)) return loadFunction(nameOrPath);
  const path = isAbsolute(nameOrPath) ? nameOrPath : resolve(nameOrPath);
  const mod = (await import(pathToFileURL(path).href)) as { default?: FunctionDefinition<unknown> };
  if (!mod.default) throw new Error(`${nameOrPath} has no default export`);
  return mod.default;
}
