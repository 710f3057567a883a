// Knative's own admission and routing code as a test tool: test/go/knative's knative-admission
// (built and cached by scripts/binaries, entry `knative`), given the release's default
// ConfigMaps from the pinned knative.dev/serving and knative.dev/eventing modules.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBinary } from '../../scripts/binaries/ensure.ts';
import { findGo, moduleDir } from '../../scripts/binaries/go-toolchain.ts';
import { loadVersions } from '../../scripts/binaries/versions.ts';
import type { KubeObject } from '../../functions/runtime/kube/kube-api.ts';

/** One object's verdict: refused when `errors` is set; skipped when no Knative webhook owns it. */
export interface Admission {
  object: string;
  webhook?: string;
  skipped?: string;
  errors?: string[];
  warnings?: string[];
  /** The object as the API server would store it after the create. */
  defaulted?: KubeObject;
}

export interface AdmissionRun {
  results: Admission[];
  /** knative-admission's exit status: 0 all admitted, 1 some refused. */
  status: number;
  stderr: string;
}

/** A sample event as an HTTP request to the Broker: ce- headers, Content-Type, body. */
export interface SampleEvent {
  name: string;
  headers: Record<string, string>;
  body?: string;
}

export interface Routed {
  event: string;
  /** Names of the Triggers the Broker filter delivers it to, in the order given. */
  triggers: string[];
  /** Set when Knative refuses the message (the ingress answers 400). */
  error?: string;
}

/** The release's default ConfigMaps folders (config/core/configmaps) of Serving and Eventing. */
async function configFolders(env: NodeJS.ProcessEnv): Promise<[string, string]> {
  const go = findGo(env);
  if (!go) throw new Error('Knative ConfigMaps are read from the Go module cache: install Go');
  const { knativeServing, knativeEventing } = loadVersions().crds;
  const dir = async (m: { module: string; version: string }) =>
    join(await moduleDir(go, m.module, m.version, env), 'config', 'core', 'configmaps');
  return [await dir(knativeServing!), await dir(knativeEventing!)];
}

function run(exe: string, args: string[], input?: string) {
  return new Promise<{ status: number; stdout: string; stderr: string }>((resolve, reject) => {
    const child = execFile(exe, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const status = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      if (status === -1) reject(err);
      else resolve({ status, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Admits every object (create, then re-apply as an update) with Knative's webhook code. */
export async function admit(
  objects: readonly KubeObject[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<AdmissionRun> {
  const exe = await ensureBinary('knative-admission', { env });
  const [serving, eventing] = await configFolders(env);
  const input = objects.map((o) => JSON.stringify(o)).join('\n');
  const args = ['--serving-config', serving, '--eventing-config', eventing];
  const { status, stdout, stderr } = await run(exe, args, input);
  if (status > 1) throw new Error(`knative-admission failed (exit ${status}): ${stderr}`);
  const results = stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Admission);
  return { results, status, stderr };
}

/** How Knative's Broker filter routes each sample event to these Triggers. */
export async function knativeRoutes(
  triggers: readonly KubeObject[],
  events: readonly SampleEvent[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Routed[]> {
  const exe = await ensureBinary('knative-admission', { env });
  const dir = mkdtempSync(join(tmpdir(), 'vvf-knative-routes-'));
  try {
    const triggersFile = join(dir, 'triggers.json');
    const eventsFile = join(dir, 'events.json');
    writeFileSync(triggersFile, triggers.map((t) => JSON.stringify(t)).join('\n'));
    writeFileSync(eventsFile, JSON.stringify(events));
    const args = ['--routes', '--triggers', triggersFile, '--events', eventsFile];
    const { status, stdout, stderr } = await run(exe, args);
    if (status !== 0)
      throw new Error(`knative-admission --routes failed (exit ${status}): ${stderr}`);
    return JSON.parse(stdout) as Routed[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
