// The closure of a VirtualMachineGroup: every object in its namespace a backup of the group must
// hold, computed from plain objects (no I/O). Used by the backup labeler (live state), the
// `closure` CLI (manifests or live) and the restore side (what a group needs).
//
// Membership (VM Operator api/v1alpha5/virtualmachinegroup_types.go, controllers/
// virtualmachinegroup/): a member links when the group lists it in bootOrder[].members[] AND the
// member's spec.groupName names the group. Our rule for a listed member:
//  - spec.groupName == group       → in the closure;
//  - spec.groupName empty          → in the closure (the group needs it and VM Operator links it
//                                     as soon as groupName is set), reported `unlinked`;
//  - spec.groupName names another  → NOT in the closure: the member has moved to that group (its
//                                     labels move with it), reported `groupMismatch` on this group.
// A VM/group whose spec.groupName names this group but that the group does not list is reported
// `notListed` and left out (VM Operator never links it).
// Nested groups are walked depth-first; a group met again on the current path is a cycle:
// reported once, never walked twice. Everything in a nested group's closure is in the parent's.
// Each member VM also brings the application objects it links (app-objects.ts: the
// VirtualMachineServices selecting it, its VirtualMachineSetResourcePolicy and EncryptionClass)
// and gets a restore-fidelity summary (what a Velero restore brings back of it).

import type { VirtualMachine } from '../../schemas/generated/objects/virtualmachine.ts';
import type { VirtualMachineGroup } from '../../schemas/generated/objects/virtualmachinegroup.ts';
import type { AppKind, Fidelity, VmServiceLike } from './app-objects.ts';
import { appRefsOf, restoreFidelity } from './app-objects.ts';
import { bootstrapRefs, volumeClaims } from './bootstrap-refs.ts';
import { KIND_VM, KIND_VMG, VMOP_API_VERSION, memberLabelKey } from './names.ts';

export type ClosureKind =
  | 'VirtualMachineGroup'
  | 'VirtualMachine'
  | 'Secret'
  | 'ConfigMap'
  | 'PersistentVolumeClaim'
  | AppKind;

/** What every consumer needs to know of a closure kind (labeler, guard, verifier, CLI). */
export interface ClosureKindInfo {
  kind: ClosureKind;
  /** API group ('' for core): item lists and RBAC rules match on it. */
  apiGroup: string;
  /** The version the labeler lists and patches it in (core kinds: v1). */
  apiVersion: string;
  /** Plural resource name, as RBAC rules spell it. */
  plural: string;
}

/**
 * Every kind a group's closure can hold, in the sort order of every output (groups first, as a
 * restore needs them; the application objects after the kinds of issue 1, so old outputs keep
 * their order). The backup guard allows exactly these when their group comes along.
 */
export const CLOSURE_KINDS: readonly ClosureKindInfo[] = [
  {
    kind: 'VirtualMachineGroup',
    apiGroup: 'vmoperator.vmware.com',
    apiVersion: VMOP_API_VERSION,
    plural: 'virtualmachinegroups',
  },
  {
    kind: 'VirtualMachine',
    apiGroup: 'vmoperator.vmware.com',
    apiVersion: VMOP_API_VERSION,
    plural: 'virtualmachines',
  },
  { kind: 'Secret', apiGroup: '', apiVersion: 'v1', plural: 'secrets' },
  { kind: 'ConfigMap', apiGroup: '', apiVersion: 'v1', plural: 'configmaps' },
  {
    kind: 'PersistentVolumeClaim',
    apiGroup: '',
    apiVersion: 'v1',
    plural: 'persistentvolumeclaims',
  },
  // VM Operator v1.10.0 serves these up to v1alpha5 (its storage version; no v1alpha6 there).
  {
    kind: 'VirtualMachineService',
    apiGroup: 'vmoperator.vmware.com',
    apiVersion: VMOP_API_VERSION,
    plural: 'virtualmachineservices',
  },
  {
    kind: 'VirtualMachineSetResourcePolicy',
    apiGroup: 'vmoperator.vmware.com',
    apiVersion: VMOP_API_VERSION,
    plural: 'virtualmachinesetresourcepolicies',
  },
  // config/crd/external-crds/encryption.vmware.com_encryptionclasses.yaml: v1alpha1 only.
  {
    kind: 'EncryptionClass',
    apiGroup: 'encryption.vmware.com',
    apiVersion: 'encryption.vmware.com/v1alpha1',
    plural: 'encryptionclasses',
  },
];

/** The version the product lists and patches `kind` in. */
export function apiVersionOfKind(kind: ClosureKind): string {
  const info = CLOSURE_KINDS.find((k) => k.kind === kind);
  if (!info) throw new Error(`${kind} is not a closure kind`);
  return info.apiVersion;
}

/** Sort order of kinds in every output. */
export const KIND_ORDER: readonly ClosureKind[] = CLOSURE_KINDS.map((k) => k.kind);

const resourceName = (k: ClosureKindInfo): string =>
  k.apiGroup ? `${k.plural}.${k.apiGroup}` : k.plural;

/** Each kind's resource name as Velero's filters and a plugin's blocked list spell it. */
export const CLOSURE_RESOURCE = Object.fromEntries(
  CLOSURE_KINDS.map((k) => [k.kind, resourceName(k)]),
) as Record<ClosureKind, string>;

/** Every closure kind's resource name (`secrets`, `virtualmachineservices.vmoperator.vmware.com`, ...). */
export const CLOSURE_RESOURCES: readonly string[] = CLOSURE_KINDS.map(resourceName);

/** Each kind's API group ('' for core). */
export const CLOSURE_API_GROUP = Object.fromEntries(
  CLOSURE_KINDS.map((k) => [k.kind, k.apiGroup]),
) as Record<ClosureKind, string>;

/** The application kinds (issue 16), in output order. */
export const APP_KINDS: readonly AppKind[] = [
  'VirtualMachineService',
  'VirtualMachineSetResourcePolicy',
  'EncryptionClass',
];

export interface ObjectKey {
  kind: ClosureKind;
  name: string;
}

export interface ClosureObject extends ObjectKey {
  /** How it got in: `group` for the root, else the roles of the edges that reach it. */
  roles: string[];
  /** A Secret whose existence could not be checked (the product never reads Secrets). */
  unverified?: boolean;
}

export interface ClosureEdge {
  from: ObjectKey;
  to: ObjectKey;
  /** `bootOrder[0].members`, `bootstrap.cloudInit.rawCloudConfig`, `volumes[data]`. */
  role: string;
}

export interface MissingRef extends ObjectKey {
  role: string;
  referencedBy: ObjectKey;
}

export type ProblemType = 'groupMismatch' | 'unlinked' | 'notListed';

export interface ClosureProblem {
  type: ProblemType;
  kind: 'VirtualMachine' | 'VirtualMachineGroup';
  name: string;
  /** The group the problem was found in. */
  group: string;
  message: string;
}

export interface Closure {
  namespace: string;
  group: string;
  labelKey: string;
  objects: ClosureObject[];
  edges: ClosureEdge[];
  missing: MissingRef[];
  /** Each cycle as group names, first name repeated at the end: [a, b, a]. */
  cycles: string[][];
  problems: ClosureProblem[];
  /** Per member VM (sorted by name): what a Velero restore brings back of it. */
  fidelity: Fidelity[];
}

/** What the closure is computed from: one namespace's objects. */
export interface NamespaceState {
  namespace: string;
  groups: readonly VirtualMachineGroup[];
  vms: readonly VirtualMachine[];
  configMaps: ReadonlySet<string>;
  pvcs: ReadonlySet<string>;
  /** Secret names when known (manifests); undefined live, where Secrets are never read. */
  secrets?: ReadonlySet<string>;
  /** VirtualMachineServices of the namespace (their selectors pick members). */
  services?: readonly VmServiceLike[];
  resourcePolicies?: ReadonlySet<string>;
  encryptionClasses?: ReadonlySet<string>;
  /** storageClassName per PVC, when the PVCs were read whole (for the fidelity summary). */
  pvcStorageClasses?: ReadonlyMap<string, string>;
}

interface Index {
  state: NamespaceState;
  groups: Map<string, VirtualMachineGroup>;
  vms: Map<string, VirtualMachine>;
}

export function indexState(state: NamespaceState): Index {
  return {
    state,
    groups: new Map(state.groups.map((g) => [g.metadata.name, g])),
    vms: new Map(state.vms.map((v) => [v.metadata.name, v])),
  };
}

export function keyString(k: ObjectKey): string {
  return `${k.kind}/${k.name}`;
}

class Builder {
  readonly objects = new Map<string, ClosureObject>();
  readonly edges: ClosureEdge[] = [];
  readonly missing: MissingRef[] = [];
  readonly cycles: string[][] = [];
  readonly problems: ClosureProblem[] = [];
  readonly fidelity: Fidelity[] = [];
  private readonly cycleKeys = new Set<string>();

  add(key: ObjectKey, role: string, extra?: { unverified?: boolean }): void {
    const id = keyString(key);
    const existing = this.objects.get(id);
    if (existing) {
      if (!existing.roles.includes(role)) existing.roles.push(role);
      return;
    }
    this.objects.set(id, {
      kind: key.kind,
      name: key.name,
      roles: [role],
      ...(extra?.unverified ? { unverified: true } : {}),
    });
  }

  edge(from: ObjectKey, to: ObjectKey, role: string): void {
    this.edges.push({ from, to, role });
  }

  cycle(path: readonly string[], again: string): void {
    const start = path.indexOf(again);
    const loop = path.slice(start);
    // Canonical rotation so the same cycle reached from different roots reads the same.
    const min = loop.reduce((m, n, i) => (n < loop[m]! ? i : m), 0);
    const rotated = [...loop.slice(min), ...loop.slice(0, min)];
    const id = rotated.join('\u0000');
    if (this.cycleKeys.has(id)) return;
    this.cycleKeys.add(id);
    this.cycles.push([...rotated, rotated[0]!]);
  }
}

const GROUP: ObjectKey['kind'] = 'VirtualMachineGroup';

function memberGroupName(obj: VirtualMachine | VirtualMachineGroup): string {
  return typeof obj.spec?.groupName === 'string' ? obj.spec.groupName : '';
}

/** Decides whether a listed, existing member belongs to `group`; records the problem if not clean. */
function linkDecision(
  b: Builder,
  group: string,
  kind: 'VirtualMachine' | 'VirtualMachineGroup',
  obj: VirtualMachine | VirtualMachineGroup,
): boolean {
  const claimed = memberGroupName(obj);
  const name = obj.metadata.name;
  if (claimed === group) return true;
  if (claimed === '') {
    b.problems.push({
      type: 'unlinked',
      kind,
      name,
      group,
      message: `${kind} ${name} is listed by group ${group} but its spec.groupName is empty; it is backed up with the group, and VM Operator links it once spec.groupName is set`,
    });
    return true;
  }
  b.problems.push({
    type: 'groupMismatch',
    kind,
    name,
    group,
    message: `${kind} ${name} is listed by group ${group} but its spec.groupName is ${claimed}; it is backed up with ${claimed}, not ${group}`,
  });
  return false;
}

function addVm(b: Builder, ix: Index, vm: VirtualMachine): void {
  const from: ObjectKey = { kind: 'VirtualMachine', name: vm.metadata.name };
  const { configMaps, pvcs, secrets } = ix.state;
  for (const ref of bootstrapRefs(vm)) {
    const role = `bootstrap.${ref.path}`;
    const secret: ObjectKey = { kind: 'Secret', name: ref.name };
    const cm: ObjectKey = { kind: 'ConfigMap', name: ref.name };
    const cmExists = ref.configMapFallback && configMaps.has(ref.name);
    if (secrets === undefined) {
      // Live: the Secret cannot be checked; label it (the patch answers 404 if it is absent) and
      // also the fallback ConfigMap when one exists, so the backup holds whichever VM Operator uses.
      b.add(secret, role, { unverified: true });
      b.edge(from, secret, role);
      if (cmExists) {
        b.add(cm, role);
        b.edge(from, cm, role);
      }
    } else if (secrets.has(ref.name)) {
      b.add(secret, role);
      b.edge(from, secret, role);
    } else if (cmExists) {
      b.add(cm, role);
      b.edge(from, cm, role);
    } else {
      b.missing.push({ ...secret, role, referencedBy: from });
    }
  }
  const claims: string[] = [];
  for (const { claimName, volume } of volumeClaims(vm)) {
    const pvc: ObjectKey = { kind: 'PersistentVolumeClaim', name: claimName };
    const role = `volumes[${volume}]`;
    if (pvcs.has(claimName)) {
      b.add(pvc, role);
      b.edge(from, pvc, role);
      if (!claims.includes(claimName)) claims.push(claimName);
    } else {
      b.missing.push({ ...pvc, role, referencedBy: from });
    }
  }
  addAppObjects(b, ix, vm, from);
  const bootstrap = [
    ...new Set(
      b.edges
        .filter((e) => e.from.name === from.name && e.from.kind === from.kind)
        .filter((e) => e.to.kind === 'Secret' || e.to.kind === 'ConfigMap')
        .map((e) => keyString(e.to)),
    ),
  ];
  b.fidelity.push(
    restoreFidelity(vm, {
      bootstrap,
      pvcs: claims,
      ...(ix.state.pvcStorageClasses ? { pvcStorageClasses: ix.state.pvcStorageClasses } : {}),
    }),
  );
}

/** Services selecting the VM are found, not named: they cannot be missing. The named ones can. */
function addAppObjects(b: Builder, ix: Index, vm: VirtualMachine, from: ObjectKey): void {
  const { resourcePolicies, encryptionClasses, services } = ix.state;
  for (const ref of appRefsOf(vm, services ?? [])) {
    const to: ObjectKey = { kind: ref.kind, name: ref.name };
    const known =
      ref.kind === 'VirtualMachineService'
        ? true
        : ref.kind === 'VirtualMachineSetResourcePolicy'
          ? (resourcePolicies?.has(ref.name) ?? false)
          : (encryptionClasses?.has(ref.name) ?? false);
    if (known) {
      b.add(to, ref.role);
      b.edge(from, to, ref.role);
    } else {
      b.missing.push({ ...to, role: ref.role, referencedBy: from });
    }
  }
}

function walkGroup(b: Builder, ix: Index, group: VirtualMachineGroup, path: string[]): void {
  const name = group.metadata.name;
  const from: ObjectKey = { kind: GROUP, name };
  path.push(name);
  (group.spec?.bootOrder ?? []).forEach((bo, i) => {
    const role = `bootOrder[${i}].members`;
    for (const m of bo.members ?? []) {
      const kind = m.kind === KIND_VMG ? KIND_VMG : KIND_VM;
      const to: ObjectKey = { kind, name: m.name };
      if (kind === KIND_VMG) {
        const nested = ix.groups.get(m.name);
        if (!nested) {
          b.missing.push({ ...to, role, referencedBy: from });
          continue;
        }
        if (path.includes(m.name)) {
          b.cycle(path, m.name);
          b.edge(from, to, role);
          continue;
        }
        if (!linkDecision(b, name, kind, nested)) continue;
        b.edge(from, to, role);
        const seen = b.objects.has(keyString(to));
        b.add(to, role);
        if (!seen) walkGroup(b, ix, nested, path);
      } else {
        const vm = ix.vms.get(m.name);
        if (!vm) {
          b.missing.push({ ...to, role, referencedBy: from });
          continue;
        }
        if (!linkDecision(b, name, kind, vm)) continue;
        b.edge(from, to, role);
        const seen = b.objects.has(keyString(to));
        b.add(to, role);
        if (!seen) addVm(b, ix, vm);
      }
    }
  });
  reportNotListed(b, ix, group);
  path.pop();
}

function listedNames(group: VirtualMachineGroup, kind: string): Set<string> {
  const out = new Set<string>();
  for (const bo of group.spec?.bootOrder ?? []) {
    for (const m of bo.members ?? []) if ((m.kind ?? KIND_VM) === kind) out.add(m.name);
  }
  return out;
}

function reportNotListed(b: Builder, ix: Index, group: VirtualMachineGroup): void {
  const name = group.metadata.name;
  const vms = listedNames(group, KIND_VM);
  const groups = listedNames(group, KIND_VMG);
  for (const vm of ix.vms.values()) {
    if (memberGroupName(vm) === name && !vms.has(vm.metadata.name)) {
      b.problems.push({
        type: 'notListed',
        kind: 'VirtualMachine',
        name: vm.metadata.name,
        group: name,
        message: `VirtualMachine ${vm.metadata.name} names group ${name} in spec.groupName but the group does not list it; it is not backed up with the group (VM Operator never links it)`,
      });
    }
  }
  for (const g of ix.groups.values()) {
    if (memberGroupName(g) === name && !groups.has(g.metadata.name)) {
      b.problems.push({
        type: 'notListed',
        kind: 'VirtualMachineGroup',
        name: g.metadata.name,
        group: name,
        message: `VirtualMachineGroup ${g.metadata.name} names group ${name} in spec.groupName but the group does not list it; it is not backed up with the group`,
      });
    }
  }
}

export function compareKeys(a: ObjectKey, b: ObjectKey): number {
  return (
    KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
}

/** The closure of one group; `undefined` when the group is not in the namespace. */
export function computeClosure(
  state: NamespaceState | Index,
  groupName: string,
): Closure | undefined {
  const ix =
    'groups' in state && state.groups instanceof Map
      ? (state as Index)
      : indexState(state as NamespaceState);
  const group = ix.groups.get(groupName);
  if (!group) return undefined;
  const b = new Builder();
  b.add({ kind: GROUP, name: groupName }, 'group');
  walkGroup(b, ix, group, []);
  return {
    namespace: ix.state.namespace,
    group: groupName,
    labelKey: memberLabelKey(groupName),
    objects: [...b.objects.values()].sort(compareKeys),
    edges: b.edges,
    missing: b.missing,
    cycles: b.cycles,
    problems: b.problems,
    fidelity: b.fidelity.sort((x, y) => (x.vm < y.vm ? -1 : x.vm > y.vm ? 1 : 0)),
  };
}

/** Closures of every group in the namespace, by group name, sharing one index. */
export function computeClosures(state: NamespaceState): Map<string, Closure> {
  const ix = indexState(state);
  const out = new Map<string, Closure>();
  for (const name of [...ix.groups.keys()].sort()) out.set(name, computeClosure(ix, name)!);
  return out;
}
