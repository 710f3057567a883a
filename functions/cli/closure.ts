// `velero-vmgroup-functions closure --group <ns>/<name> (--file <path|folder|-> | --live) [--json | --dot]`
// Shows what a backup selecting the group's membership label will contain, before running it,
// and what a restore of each VM brings back.
// Exit codes: 0 printed (missing members and objects that could not be read are reported, not
// failures); 1 unreadable input (bad YAML, no such file) or group absent; 2 usage error.

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Kube } from '../runtime/kube/kube-api.ts';
import { loadValidators } from '../runtime/schema/schema-source.ts';
import type { NamespaceState } from '../vmgroup/closure.ts';
import type { Refusal } from './closure-input.ts';
import { computeClosure } from '../vmgroup/closure.ts';
import type { CommandIo } from '../runtime/process/command-io.ts';
import {
  InputError,
  readManifestSources,
  stateFromCluster,
  stateFromDocs,
} from './closure-input.ts';
import { renderDot, renderJson, renderTree } from './closure-render.ts';

export const USAGE = `Usage: velero-vmgroup-functions closure --group <namespace>/<name> (--file <path|folder|-> ... | --live) [--json | --dot]

Prints the objects a backup of the group will contain: the group, nested groups, member VMs,
the Secrets/ConfigMaps their bootstrap refers to, their PVCs, the VirtualMachineServices whose
selector matches them, the VirtualMachineSetResourcePolicy and EncryptionClass they name; plus
missing references, cycles and membership problems; and per VM what a restore brings back, what
it does not (the boot disk is redeployed from the image), and what the target must provide.

VirtualMachine and VirtualMachineGroup manifests are read in vmoperator.vmware.com v1alpha2 to
v1alpha6. An object that cannot be read (a v1alpha1 VirtualMachine, one that fails its schema)
is reported on stderr and left out; the others are still read.

  --group NS/NAME   the VirtualMachineGroup
  --file PATH       manifests: a YAML/JSON file (multi-document), a folder (recursive) or - for stdin; repeatable
  --live            read the cluster (KUBECONFIG or ~/.kube/config); Secrets are never read, so their existence is not checked
  --json            JSON report (schema: schemas/cli/closure.schema.json)
  --dot             Graphviz DOT graph
`;

export interface ClosureCommandDeps {
  readStdin(): string;
  /** Builds the Kubernetes client for --live from a kubeconfig path. */
  kubeFor(kubeconfigPath: string): Promise<Kube>;
}

const defaultDeps: ClosureCommandDeps = {
  readStdin: () => readFileSync(0, 'utf8'),
  // Loaded only for --live so reading manifests never loads the Kubernetes client.
  kubeFor: async (path) => (await import('../runtime/kube/kube.ts')).createKube(path),
};

interface Options {
  namespace: string;
  name: string;
  files: string[];
  live: boolean;
  format: 'tree' | 'json' | 'dot';
}

function parse(argv: string[]): Options | string {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        group: { type: 'string' },
        file: { type: 'string', multiple: true },
        live: { type: 'boolean' },
        json: { type: 'boolean' },
        dot: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    return (err as Error).message;
  }
  if (values.help) return '';
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/.exec(
    values.group ?? '',
  );
  if (!m) return '--group must be <namespace>/<name>';
  const files = values.file ?? [];
  if (files.length > 0 === Boolean(values.live)) return 'give exactly one of --file or --live';
  if (values.json && values.dot) return '--json and --dot exclude each other';
  return {
    namespace: m[1]!,
    name: m[3]!,
    files,
    live: Boolean(values.live),
    format: values.json ? 'json' : values.dot ? 'dot' : 'tree',
  };
}

async function loadState(
  o: Options,
  io: CommandIo,
  deps: ClosureCommandDeps,
): Promise<{ state: NamespaceState; refused: Refusal[] }> {
  if (o.live) {
    const path = io.env.KUBECONFIG?.split(':')[0] || join(homedir(), '.kube', 'config');
    return { state: await stateFromCluster(await deps.kubeFor(path), o.namespace), refused: [] };
  }
  const docs = readManifestSources(o.files, deps.readStdin);
  return stateFromDocs(docs, o.namespace, await loadValidators());
}

export async function run(
  argv: string[],
  io: CommandIo,
  deps: ClosureCommandDeps = defaultDeps,
): Promise<number> {
  const o = parse(argv);
  if (typeof o === 'string') {
    if (o === '') {
      io.out(USAGE);
      return 0;
    }
    io.err(`closure: ${o}\n\n${USAGE}`);
    return 2;
  }
  let state: NamespaceState;
  let refused: Refusal[];
  try {
    ({ state, refused } = await loadState(o, io, deps));
  } catch (err) {
    if (err instanceof InputError) {
      io.err(`closure: ${err.message}`);
      return 1;
    }
    throw err;
  }
  for (const x of refused)
    io.err(`closure: ${x.where}: ${x.kind} ${x.name} (${x.apiVersion}) not read: ${x.reason}`);
  const closure = computeClosure(state, o.name);
  if (!closure) {
    const where = o.live ? 'in the cluster' : `in ${o.files.join(', ')}`;
    io.err(`closure: VirtualMachineGroup ${o.namespace}/${o.name} not found ${where}`);
    return 1;
  }
  io.out(
    o.format === 'json'
      ? renderJson(closure, refused)
      : o.format === 'dot'
        ? renderDot(closure)
        : renderTree(closure, refused),
  );
  return 0;
}
