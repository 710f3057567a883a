// Where the `closure` command gets a namespace's objects from: manifests (a file, a folder such as
// a GitOps repo, or stdin; multi-document YAML or JSON; `List` kinds flattened) or the live
// cluster. Secrets are never read live (the product's rule); from manifests their presence is
// known, so a missing Secret can be reported.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Kube, KubeObject } from '../runtime/kube/kube-api.ts';
import type { ValidatorSet } from '../runtime/schema/validation.ts';
import { violation } from '../runtime/schema/validation.ts';
import { schemaId } from '../runtime/schema/schema-files.ts';
import type { NamespaceState } from '../vmgroup/closure.ts';
import type { VirtualMachine } from '../../schemas/generated/objects/virtualmachine.ts';
import type { VirtualMachineGroup } from '../../schemas/generated/objects/virtualmachinegroup.ts';
import { KIND_VM, KIND_VMG, VMOP_API_VERSION } from '../vmgroup/names.ts';

/** Input the user must fix; the message names the file and document. */
export class InputError extends Error {
  override name = 'InputError';
}

export interface SourceDoc {
  /** `path#3` (1-based document number) for messages. */
  where: string;
  object: KubeObject;
}

const MANIFEST = /\.(ya?ml|json)$/i;
const SKIP_DIRS = new Set(['.git', 'node_modules', '.github']);

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name) && !entry.name.startsWith('.'))
        out.push(...listFiles(join(dir, entry.name)));
    } else if (entry.isFile() && MANIFEST.test(entry.name)) {
      out.push(join(dir, entry.name));
    }
  }
  return out;
}

function isKubeObject(v: unknown): v is KubeObject {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return typeof o.apiVersion === 'string' && typeof o.kind === 'string';
}

/**
 * Parses one file's text. In a folder, documents that are not Kubernetes objects (no apiVersion
 * and kind: Helm values, CI files) are skipped; a named file or stdin must hold only objects.
 */
export function parseManifests(text: string, name: string, strict: boolean): SourceDoc[] {
  const out: SourceDoc[] = [];
  const docs = parseAllDocuments(text, { prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, i) => {
    const where = `${name}#${i + 1}`;
    if (doc.errors.length > 0)
      throw new InputError(`${where}: invalid YAML/JSON: ${doc.errors[0]!.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    const items =
      isKubeObject(value) && value.kind.endsWith('List') && Array.isArray(value.items)
        ? (value.items as unknown[])
        : [value];
    items.forEach((item, j) => {
      const at = items.length > 1 || item !== value ? `${where} items[${j}]` : where;
      if (!isKubeObject(item)) {
        if (strict)
          throw new InputError(`${at}: not a Kubernetes object (apiVersion and kind required)`);
        return;
      }
      const meta = item.metadata as unknown;
      if (
        meta === null ||
        typeof meta !== 'object' ||
        typeof (meta as { name?: unknown }).name !== 'string'
      ) {
        if (strict) throw new InputError(`${at}: ${item.kind} has no metadata.name`);
        return;
      }
      out.push({ where: at, object: item });
    });
  });
  return out;
}

/** Reads `--file` targets: files, folders (recursive) or `-` for stdin (text passed in). */
export function readManifestSources(paths: readonly string[], stdin: () => string): SourceDoc[] {
  const out: SourceDoc[] = [];
  for (const p of paths) {
    if (p === '-') {
      out.push(...parseManifests(stdin(), '<stdin>', true));
      continue;
    }
    let stat;
    try {
      stat = statSync(p);
    } catch {
      throw new InputError(`${p}: no such file or folder`);
    }
    if (stat.isDirectory()) {
      for (const f of listFiles(p))
        out.push(...parseManifests(readFileSync(f, 'utf8'), join(p, relative(p, f)), false));
    } else {
      out.push(...parseManifests(readFileSync(p, 'utf8'), p, true));
    }
  }
  return out;
}

/**
 * The objects of `namespace`. Manifests without metadata.namespace count as in it (kustomize and
 * `kubectl apply -n` put them there). VM Operator objects are checked against their schemas so a
 * typo is reported with its file and document rather than silently dropping a member.
 */
export function stateFromDocs(
  docs: readonly SourceDoc[],
  namespace: string,
  validators: ValidatorSet,
): NamespaceState {
  const groups: VirtualMachineGroup[] = [];
  const vms: VirtualMachine[] = [];
  const configMaps = new Set<string>();
  const pvcs = new Set<string>();
  const secrets = new Set<string>();
  for (const { where, object } of docs) {
    const ns = object.metadata.namespace;
    if (ns !== undefined && ns !== namespace) continue;
    const vmop = object.apiVersion.startsWith('vmoperator.vmware.com/');
    if (vmop && (object.kind === KIND_VM || object.kind === KIND_VMG)) {
      const id = schemaId(
        object.kind === KIND_VM ? 'objects/virtualmachine' : 'objects/virtualmachinegroup',
      );
      const v = violation(validators, id, object);
      if (v)
        throw new InputError(
          `${where}: ${object.kind} ${object.metadata.name} is invalid: ${v.message}`,
        );
      if (object.kind === KIND_VM) vms.push(object as unknown as VirtualMachine);
      else groups.push(object as unknown as VirtualMachineGroup);
    } else if (object.apiVersion === 'v1') {
      if (object.kind === 'ConfigMap') configMaps.add(object.metadata.name);
      else if (object.kind === 'PersistentVolumeClaim') pvcs.add(object.metadata.name);
      else if (object.kind === 'Secret') secrets.add(object.metadata.name);
    } else {
      const made = secretMadeBy(object);
      if (made) secrets.add(made);
    }
  }
  // Manifests with no Secret at all (kept out of Git, or `kubectl get` without secrets): their
  // presence is unknown, as live; they are listed as not checked instead of all missing.
  return { namespace, groups, vms, configMaps, pvcs, ...(secrets.size > 0 ? { secrets } : {}) };
}

/**
 * The Secret a GitOps object produces in the cluster: a Bitnami SealedSecret
 * (spec.template.metadata.name, else its own name) or an External Secrets ExternalSecret
 * (spec.target.name, else its own name).
 */
function secretMadeBy(object: KubeObject): string | undefined {
  const spec = (object.spec ?? {}) as {
    template?: { metadata?: { name?: unknown } };
    target?: { name?: unknown };
  };
  const pick = (v: unknown): string =>
    typeof v === 'string' && v !== '' ? v : object.metadata.name;
  if (object.kind === 'SealedSecret' && object.apiVersion.startsWith('bitnami.com/'))
    return pick(spec.template?.metadata?.name);
  if (object.kind === 'ExternalSecret' && object.apiVersion.startsWith('external-secrets.io/'))
    return pick(spec.target?.name);
  return undefined;
}

/** One list per kind in the namespace; Secrets are never listed (their presence stays unknown). */
export async function stateFromCluster(
  kube: Kube,
  namespace: string,
  vmopApiVersion = VMOP_API_VERSION,
): Promise<NamespaceState> {
  const [groups, vms, cms, pvcs] = await Promise.all([
    kube.list(vmopApiVersion, KIND_VMG, namespace),
    kube.list(vmopApiVersion, KIND_VM, namespace),
    kube.list('v1', 'ConfigMap', namespace),
    kube.list('v1', 'PersistentVolumeClaim', namespace),
  ]);
  return {
    namespace,
    groups: groups.items as unknown as VirtualMachineGroup[],
    vms: vms.items as unknown as VirtualMachine[],
    configMaps: new Set(cms.items.map((o) => o.metadata.name)),
    pvcs: new Set(pvcs.items.map((o) => o.metadata.name)),
  };
}
