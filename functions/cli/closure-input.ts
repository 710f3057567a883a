// Where the `closure` command gets a namespace's objects from: manifests (a file, a folder such as
// a GitOps repo, or stdin; multi-document YAML or JSON; `List` kinds flattened) or the live
// cluster. Secrets are never read live (the product's rule); from manifests their presence is
// known, so a missing Secret can be reported.
//
// API versions (issue 13 item 6). VM Operator serves VirtualMachine v1alpha1–v1alpha5 (v1alpha6
// at main) and VirtualMachineGroup from v1alpha2. From v1alpha2 on, every field the product reads
// (spec.groupName, spec.bootstrap, spec.volumes[].persistentVolumeClaim, spec.imageName/image,
// className, storageClass, crypto, reserved, bootOrder) has one shape; later versions only add
// fields (api/v1alpha2..v1alpha5/*_types.go at v1.10.0), so those objects are read as v1alpha5.
// v1alpha1 VirtualMachines have another shape (spec.vmMetadata, spec.networkInterfaces, no
// spec.groupName) and are refused. A refusal is per object: the rest of the run goes on and the
// refusal is reported with the object, its file and why.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Kube, KubeObject } from '../runtime/kube/kube-api.ts';
import type { ValidatorSet } from '../runtime/schema/validation.ts';
import { validated } from '../runtime/schema/validation.ts';
import type { ClosureKind, NamespaceState } from '../vmgroup/closure.ts';
import { CLOSURE_KINDS, apiVersionOfKind } from '../vmgroup/closure.ts';
import type { VmServiceLike } from '../vmgroup/app-objects.ts';
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

/** An object the command could not read, and why; it is left out, the run goes on. */
export interface Refusal {
  where: string;
  apiVersion: string;
  kind: string;
  name: string;
  reason: string;
}

export interface ManifestState {
  state: NamespaceState;
  refused: Refusal[];
}

const VMOP_GROUP = 'vmoperator.vmware.com';
/** Versions whose fields the product reads have v1alpha5's shape (see the header). */
const READABLE_VERSIONS = new Set(['v1alpha2', 'v1alpha3', 'v1alpha4', 'v1alpha5', 'v1alpha6']);
/** Every VM Operator version up to v1alpha5 at v1.10.0, plus v1alpha6 at main. */
const SERVICE_VERSIONS = new Set(['v1alpha1', ...READABLE_VERSIONS]);

function versionOf(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** Why a VirtualMachine or VirtualMachineGroup of this version cannot be read; undefined if it can. */
export function unreadableVersion(kind: string, apiVersion: string): string | undefined {
  const { version } = versionOf(apiVersion);
  if (READABLE_VERSIONS.has(version)) return undefined;
  if (version === 'v1alpha1' && kind === KIND_VM)
    return 'v1alpha1 VirtualMachines have another shape (spec.vmMetadata instead of spec.bootstrap, spec.networkInterfaces, no spec.groupName), so it cannot be a group member; write it as v1alpha2 or later (VM Operator converts it: kubectl get virtualmachines.v1alpha5.vmoperator.vmware.com NAME -o yaml)';
  if (version === 'v1alpha1' && kind === KIND_VMG)
    return 'VM Operator serves VirtualMachineGroup from v1alpha2 on; there is no v1alpha1 VirtualMachineGroup';
  return `${apiVersion} is not a version this command reads (v1alpha2 to v1alpha6)`;
}

function isStringMap(v: unknown): v is Record<string, string> {
  return (
    v !== null &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    Object.values(v).every((x) => typeof x === 'string')
  );
}

const APP_API_GROUP = new Map(CLOSURE_KINDS.map((k) => [k.kind as string, k.apiGroup]));

/** The application kind of a manifest object (by Kind and API group), if it is one. */
function appKindOf(object: KubeObject): ClosureKind | undefined {
  const kind = object.kind;
  if (
    kind !== 'VirtualMachineService' &&
    kind !== 'VirtualMachineSetResourcePolicy' &&
    kind !== 'EncryptionClass'
  )
    return undefined;
  return versionOf(object.apiVersion).group === APP_API_GROUP.get(kind) ? kind : undefined;
}

/** What stateFromDocs gathers, kind by kind, before it becomes a NamespaceState. */
interface Gathered {
  groups: VirtualMachineGroup[];
  vms: VirtualMachine[];
  configMaps: Set<string>;
  pvcs: Set<string>;
  secrets: Set<string>;
  services: VmServiceLike[];
  resourcePolicies: Set<string>;
  encryptionClasses: Set<string>;
  pvcStorageClasses: Map<string, string>;
}

/** A VirtualMachine or VirtualMachineGroup, read as v1alpha5; why not, when it cannot be read. */
function gatherVmop(g: Gathered, object: KubeObject, validators: ValidatorSet): string | undefined {
  const why = unreadableVersion(object.kind, object.apiVersion);
  if (why) return why;
  // Read as v1alpha5: the fields the schema types have that shape in every readable version.
  const read = { ...object, apiVersion: VMOP_API_VERSION };
  if (object.kind === KIND_VM) {
    const vm = validated(validators, 'objects/virtualmachine', read);
    if ('violation' in vm) return `invalid: ${vm.violation.message}`;
    g.vms.push(vm.value);
  } else {
    const group = validated(validators, 'objects/virtualmachinegroup', read);
    if ('violation' in group) return `invalid: ${group.violation.message}`;
    g.groups.push(group.value);
  }
  return undefined;
}

/** A VirtualMachineService as the closure reads it; why not, when its selector is not a map. */
function gatherService(g: Gathered, object: KubeObject, version: string): string | undefined {
  if (!SERVICE_VERSIONS.has(version))
    return `${object.apiVersion} is not a VirtualMachineService version VM Operator serves`;
  const spec = object.spec as { selector?: unknown } | null | undefined;
  const selector = spec?.selector;
  if (selector !== undefined && selector !== null && !isStringMap(selector))
    return 'invalid: spec.selector must be a map of label keys to string values';
  g.services.push(serviceLike(object));
  return undefined;
}

/** What the closure reads of a VirtualMachineService (the API server has checked the live ones). */
function serviceLike(object: KubeObject): VmServiceLike {
  const selector = (object.spec as { selector?: unknown } | null | undefined)?.selector;
  return { metadata: object.metadata, spec: { selector: isStringMap(selector) ? selector : null } };
}

/** One manifest object into what it tells about the namespace; a reason when it is refused. */
function gather(g: Gathered, object: KubeObject, validators: ValidatorSet): string | undefined {
  const { group, version } = versionOf(object.apiVersion);
  const app = appKindOf(object);
  const name = object.metadata.name;
  if (group === VMOP_GROUP && (object.kind === KIND_VM || object.kind === KIND_VMG))
    return gatherVmop(g, object, validators);
  if (app === 'VirtualMachineService') return gatherService(g, object, version);
  if (app === 'VirtualMachineSetResourcePolicy') g.resourcePolicies.add(name);
  else if (app === 'EncryptionClass') g.encryptionClasses.add(name);
  else if (object.apiVersion === 'v1') {
    if (object.kind === 'ConfigMap') g.configMaps.add(name);
    else if (object.kind === 'PersistentVolumeClaim') {
      g.pvcs.add(name);
      const sc = (object.spec as { storageClassName?: unknown } | undefined)?.storageClassName;
      if (typeof sc === 'string' && sc !== '') g.pvcStorageClasses.set(name, sc);
    } else if (object.kind === 'Secret') g.secrets.add(name);
  } else {
    const made = secretMadeBy(object);
    if (made) g.secrets.add(made);
  }
  return undefined;
}

/**
 * The objects of `namespace`. Manifests without metadata.namespace count as in it (kustomize and
 * `kubectl apply -n` put them there). VM Operator objects are checked against their schemas so a
 * typo is reported with its file and document rather than silently dropping a member; an object
 * that cannot be read is refused alone (see Refusal).
 */
export function stateFromDocs(
  docs: readonly SourceDoc[],
  namespace: string,
  validators: ValidatorSet,
): ManifestState {
  const g: Gathered = {
    groups: [],
    vms: [],
    configMaps: new Set(),
    pvcs: new Set(),
    secrets: new Set(),
    services: [],
    resourcePolicies: new Set(),
    encryptionClasses: new Set(),
    pvcStorageClasses: new Map(),
  };
  const refused: Refusal[] = [];
  for (const { where, object } of docs) {
    const ns = object.metadata.namespace;
    if (ns !== undefined && ns !== namespace) continue;
    const reason = gather(g, object, validators);
    if (reason === undefined) continue;
    const { apiVersion, kind } = object;
    refused.push({ where, apiVersion, kind, name: object.metadata.name, reason });
  }
  // Manifests with no Secret at all (kept out of Git, or `kubectl get` without secrets): their
  // presence is unknown, as live; they are listed as not checked instead of all missing.
  const { secrets, ...rest } = g;
  return {
    state: { namespace, ...rest, ...(secrets.size > 0 ? { secrets } : {}) },
    refused,
  };
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

function isStatus(err: unknown, status: number): boolean {
  return typeof err === 'object' && err !== null && (err as { status?: unknown }).status === status;
}

/** A list of a kind whose CRD may not be installed (encryption.vmware.com on a plain cluster). */
async function listIfServed(
  kube: Kube,
  apiVersion: string,
  kind: string,
  namespace: string,
): Promise<KubeObject[]> {
  try {
    return (await kube.list(apiVersion, kind, namespace)).items;
  } catch (err) {
    if (isStatus(err, 404)) return [];
    throw err;
  }
}

/** One list per kind in the namespace; Secrets are never listed (their presence stays unknown). */
export async function stateFromCluster(
  kube: Kube,
  namespace: string,
  vmopApiVersion = VMOP_API_VERSION,
): Promise<NamespaceState> {
  const [groups, vms, cms, pvcs, services, policies, encryption] = await Promise.all([
    kube.list<VirtualMachineGroup & KubeObject>(vmopApiVersion, KIND_VMG, namespace),
    kube.list<VirtualMachine & KubeObject>(vmopApiVersion, KIND_VM, namespace),
    kube.list('v1', 'ConfigMap', namespace, { metadataOnly: true }),
    kube.list('v1', 'PersistentVolumeClaim', namespace),
    listIfServed(
      kube,
      apiVersionOfKind('VirtualMachineService'),
      'VirtualMachineService',
      namespace,
    ),
    listIfServed(
      kube,
      apiVersionOfKind('VirtualMachineSetResourcePolicy'),
      'VirtualMachineSetResourcePolicy',
      namespace,
    ),
    listIfServed(kube, apiVersionOfKind('EncryptionClass'), 'EncryptionClass', namespace),
  ]);
  const classes = new Map<string, string>();
  for (const p of pvcs.items) {
    const sc = (p.spec as { storageClassName?: unknown } | undefined)?.storageClassName;
    if (typeof sc === 'string' && sc !== '') classes.set(p.metadata.name, sc);
  }
  return {
    namespace,
    groups: groups.items,
    vms: vms.items,
    configMaps: new Set(cms.items.map((o) => o.metadata.name)),
    pvcs: new Set(pvcs.items.map((o) => o.metadata.name)),
    services: services.map(serviceLike),
    resourcePolicies: new Set(policies.map((o) => o.metadata.name)),
    encryptionClasses: new Set(encryption.map((o) => o.metadata.name)),
    pvcStorageClasses: classes,
  };
}
