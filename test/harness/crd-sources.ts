// Which CRDs the test plane installs and the two adjustments a plane without upstream
// controllers or webhooks needs. Reading is separate from the pure adjustments below.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { moduleDir } from '../../scripts/binaries/go-toolchain.ts';
import type { Versions } from '../../scripts/binaries/versions.ts';

/** Any Kubernetes object read from YAML. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  [key: string]: unknown;
}

export interface Crd extends KubeObject {
  metadata: { name: string; [key: string]: unknown };
  spec: {
    group: string;
    names: { plural: string; kind: string; [key: string]: unknown };
    versions: CrdVersion[];
    conversion?: { strategy: string; [key: string]: unknown };
    [key: string]: unknown;
  };
}

export const isCrd = (o: KubeObject): o is Crd => o.kind === 'CustomResourceDefinition';

export function parseYamlObjects(text: string, origin: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${origin}: ${doc.errors[0]?.message}`);
    const value = doc.toJS() as KubeObject | null;
    if (value && typeof value === 'object') out.push(value);
  }
  return out;
}

/**
 * VM Operator main stores VirtualMachine and VirtualMachineGroup as v1alpha6, but the newest
 * release the module proxy serves here (v1.10.0) ends at v1alpha5. The test plane therefore
 * adds a served v1alpha6 whose schema is v1alpha5's and makes it the storage version. The base
 * CRDs have no conversion, so in a real cluster's base CRDs too versions only relabel; tests
 * must only use fields that mean the same in both versions (DESIGN.md §2).
 */
export function addRelabelledVersion(crd: Crd, from: string, to: string): Crd {
  const versions = crd.spec.versions;
  if (versions.some((v) => v.name === to)) return crd;
  const source = versions.find((v) => v.name === from);
  if (!source) throw new Error(`${crd.metadata.name} has no version ${from} to copy into ${to}`);
  const copy = structuredClone(source);
  return {
    ...crd,
    spec: {
      ...crd.spec,
      versions: [
        ...versions.map((v) => ({ ...v, storage: false })),
        { ...copy, name: to, served: true, storage: true },
      ],
    },
  };
}

/**
 * Knative's PingSource and EventType convert through eventing-webhook, which a test plane does
 * not run: every read in a non-storage version would fail. Without a webhook the honest
 * equivalent is None (versions relabel), as for the VM Operator base CRDs.
 */
export function withoutWebhookConversion(crd: Crd): Crd {
  if (crd.spec.conversion?.strategy !== 'Webhook') return crd;
  return { ...crd, spec: { ...crd.spec, conversion: { strategy: 'None' } } };
}

const RELABEL_TO_V1ALPHA6 = new Set([
  'virtualmachines.vmoperator.vmware.com',
  'virtualmachinegroups.vmoperator.vmware.com',
]);

export function adjustForTestPlane(crd: Crd): Crd {
  const adjusted = withoutWebhookConversion(crd);
  return RELABEL_TO_V1ALPHA6.has(crd.metadata.name)
    ? addRelabelledVersion(adjusted, 'v1alpha5', 'v1alpha6')
    : adjusted;
}

const yamlFilesIn = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, f));

/** The pinned upstream CRDs, from the Go module cache. */
export async function upstreamCrds(
  versions: Versions,
  go: string,
  env: NodeJS.ProcessEnv,
): Promise<Crd[]> {
  const out: Crd[] = [];
  for (const source of Object.values(versions.crds)) {
    const root = await moduleDir(go, source.module, source.version, env);
    const files = [
      ...(source.files ?? []).map((f) => join(root, f)),
      ...(source.dirs ?? []).flatMap((d) => yamlFilesIn(join(root, d))),
    ];
    for (const file of files) {
      for (const obj of parseYamlObjects(readFileSync(file, 'utf8'), file))
        if (isCrd(obj)) out.push(adjustForTestPlane(obj));
    }
  }
  return out;
}

/** Every object in the YAML files of a folder (test/harness/crds/ holds hand-written CRDs). */
export function localObjects(dir: string): KubeObject[] {
  if (!existsSync(dir)) return [];
  return yamlFilesIn(dir).flatMap((file) => parseYamlObjects(readFileSync(file, 'utf8'), file));
}
