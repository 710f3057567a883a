// The labeler's decisions for one namespace, as data: from the live objects (and the Secret
// records on the groups) to the exact label/annotation changes. Pure; reconcile.ts applies them.
//
// What is written, and only when it differs from what is there:
//  - `member.vmgroup-backup.dev/<group>: <Kind>` on every object of each group's closure (groups,
//    VMs, ConfigMaps, PVCs, Secrets, and the application objects: VirtualMachineServices,
//    VirtualMachineSetResourcePolicies, EncryptionClasses); membership keys no closure wants are
//    removed (a service whose selector no longer matches, a policy no member names).
//  - `vmgroup.vmoperator.vmware.com/name: <direct group>` on member VMs (removed from VMs in no group).
//  - On groups: the Secret record (ANNOTATION_LABELLED_SECRETS), the label key when the name was
//    truncated (ANNOTATION_MEMBER_LABEL_KEY), the captured power state.
//  - On member VMs: captured power state and network. Objects a restore created keep the captures
//    they came with until the restore sequencer marks them released (capturesFrozen): until then
//    their spec is the restore's hold state, not the user's.
// Secrets are never read: what carries a label is what the group's record says. A Secret patch
// that answers 404 tells the Secret is absent; reconcile.ts drops it from the record (see
// recordValue) so it is probed again next time and reported missing meanwhile.

import type { ObjectRef } from '../runtime/kube/kube-api.ts';
import type { VirtualMachine } from '../../schemas/generated/objects/virtualmachine.ts';
import type { VirtualMachineGroup } from '../../schemas/generated/objects/virtualmachinegroup.ts';
import { bootstrapRefs } from '../vmgroup/bootstrap-refs.ts';
import {
  capturedNetwork,
  capturedPowerState,
  capturesFrozen,
  serializeCapturedNetwork,
} from '../vmgroup/captured-state.ts';
import type { Closure, NamespaceState } from '../vmgroup/closure.ts';
import { computeClosures } from '../vmgroup/closure.ts';
import { fingerprint } from './fingerprint.ts';
import {
  ANNOTATION_CAPTURED_NETWORK,
  ANNOTATION_CAPTURED_POWER_STATE,
  ANNOTATION_LABELLED_INPUTS,
  ANNOTATION_LABELLED_SECRETS,
  ANNOTATION_MEMBER_LABEL_KEY,
  MEMBER_LABEL_PREFIX,
  SEED_GROUP_LABEL,
  isMemberLabelKey,
  memberLabelKey,
  seedGroupLabelValue,
} from '../vmgroup/names.ts';

/** An object as listed: what the plan looks at. */
export interface LiveObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
}

/** A PVC as listed whole (its storage class goes into the restore-fidelity summary). */
export interface LivePvc extends LiveObject {
  spec?: { storageClassName?: string | null };
}

/** A VirtualMachineService as listed whole (its selector picks members). */
export interface LiveService extends LiveObject {
  spec?: { selector?: Record<string, string> | null } | null;
}

export interface LiveNamespace {
  namespace: string;
  groups: VirtualMachineGroup[];
  vms: VirtualMachine[];
  configMaps: LiveObject[];
  pvcs: LivePvc[];
  /** Application objects (issue 16); absent = not listed (kind not served there). */
  services?: LiveService[];
  resourcePolicies?: LiveObject[];
  encryptionClasses?: LiveObject[];
}

/** Every listable object of the namespace that can carry a membership label, groups and VMs last. */
function labelledKinds(live: LiveNamespace): LiveObject[] {
  return [
    ...live.configMaps,
    ...live.pvcs,
    ...(live.services ?? []),
    ...(live.resourcePolicies ?? []),
    ...(live.encryptionClasses ?? []),
  ];
}

/** `null` deletes the key (merge patch). */
export type MapChange = Record<string, string | null>;

export interface ObjectWrite {
  ref: ObjectRef;
  /** Precondition: the write fails with 409 if the object changed since it was listed. */
  resourceVersion: string;
  labels: MapChange;
  annotations: MapChange;
}

export interface SecretWrite {
  name: string;
  labels: MapChange;
}

/** A group's own patch, applied last; its record depends on which Secret patches found the Secret. */
export interface GroupCommit {
  group: string;
  ref: ObjectRef;
  resourceVersion: string;
  labels: MapChange;
  annotations: MapChange;
  /** Record to write if every Secret patch succeeds; absent ones are removed by recordValue(). */
  secrets: string[];
  /** The record currently on the group. */
  currentSecrets: string[];
}

export interface PlanOptions {
  /** Secret names from the records of groups deleted since (delete events carry the last object). */
  deletedRecords?: ReadonlyMap<string, readonly string[]>;
  /** Secrets to patch whatever the records say, with the label keys last touched on each. */
  force?: ReadonlyMap<string, ReadonlySet<string>>;
}

export interface Plan {
  closures: Map<string, Closure>;
  secretWrites: SecretWrite[];
  objectWrites: ObjectWrite[];
  groupCommits: GroupCommit[];
  /** label key → group name, for the groups of this namespace. */
  keys: Map<string, string>;
  /** Keys of deleted groups still on listable objects (their Secrets must be cleaned first). */
  orphans: Set<string>;
}

/** The record on a group; a value that is not a JSON string array counts as empty (logged by the caller). */
export function parseSecretRecord(value: string | undefined): string[] {
  if (!value) return [];
  try {
    const v: unknown = JSON.parse(value);
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : [];
  } catch {
    return [];
  }
}

export function recordValue(names: Iterable<string>): string {
  return JSON.stringify([...new Set(names)].sort());
}

function liveState(live: LiveNamespace): NamespaceState {
  const names = (objects: readonly LiveObject[] | undefined): Set<string> =>
    new Set((objects ?? []).map((o) => o.metadata.name));
  const classes = new Map<string, string>();
  for (const p of live.pvcs) {
    const sc = p.spec?.storageClassName;
    if (typeof sc === 'string' && sc !== '') classes.set(p.metadata.name, sc);
  }
  return {
    namespace: live.namespace,
    groups: live.groups,
    vms: live.vms,
    configMaps: names(live.configMaps),
    pvcs: names(live.pvcs),
    services: live.services ?? [],
    resourcePolicies: names(live.resourcePolicies),
    encryptionClasses: names(live.encryptionClasses),
    pvcStorageClasses: classes,
  };
}

/** Difference between the membership labels an object has and those it should have. */
function memberLabelChange(
  current: Record<string, string> | undefined,
  desired: ReadonlyMap<string, string>,
): MapChange {
  const change: MapChange = {};
  for (const [k, v] of desired) if (current?.[k] !== v) change[k] = v;
  for (const k of Object.keys(current ?? {}))
    if (isMemberLabelKey(k) && !desired.has(k)) change[k] = null;
  return change;
}

function setIfDifferent(
  change: MapChange,
  current: Record<string, string> | undefined,
  key: string,
  value: string | undefined,
): void {
  if (value === undefined) {
    if (current && Object.hasOwn(current, key)) change[key] = null;
  } else if (current?.[key] !== value) {
    change[key] = value;
  }
}

const isEmptyChange = (c: MapChange): boolean => Object.keys(c).length === 0;

/** Desired membership labels per `Kind/name`, and each VM's direct group. */
function desiredLabels(closures: Map<string, Closure>): {
  labels: Map<string, Map<string, string>>;
  secrets: Map<string, Set<string>>;
  direct: Map<string, string>;
} {
  const labels = new Map<string, Map<string, string>>();
  const secrets = new Map<string, Set<string>>();
  const direct = new Map<string, string>();
  for (const c of closures.values()) {
    const names = new Set<string>();
    for (const o of c.objects) {
      if (o.kind === 'Secret') {
        names.add(o.name);
        continue;
      }
      const id = `${o.kind}/${o.name}`;
      if (!labels.has(id)) labels.set(id, new Map());
      labels.get(id)!.set(c.labelKey, o.kind);
    }
    secrets.set(c.group, names);
    for (const e of c.edges) {
      if (
        e.from.kind === 'VirtualMachineGroup' &&
        e.to.kind === 'VirtualMachine' &&
        !direct.has(e.to.name)
      )
        direct.set(e.to.name, e.from.name);
    }
  }
  return { labels, secrets, direct };
}

function vmWrite(
  vm: VirtualMachine,
  desired: Map<string, string> | undefined,
  directGroup: string | undefined,
): ObjectWrite | undefined {
  const meta = vm.metadata;
  const labels = memberLabelChange(meta.labels, desired ?? new Map());
  setIfDifferent(
    labels,
    meta.labels,
    SEED_GROUP_LABEL,
    directGroup === undefined ? undefined : seedGroupLabelValue(directGroup),
  );
  const annotations: MapChange = {};
  const current = meta.annotations;
  if (directGroup === undefined) {
    setIfDifferent(annotations, current, ANNOTATION_CAPTURED_POWER_STATE, undefined);
    setIfDifferent(annotations, current, ANNOTATION_CAPTURED_NETWORK, undefined);
    setIfDifferent(annotations, current, ANNOTATION_LABELLED_INPUTS, undefined);
  } else {
    setIfDifferent(
      annotations,
      current,
      ANNOTATION_LABELLED_INPUTS,
      fingerprint(vm, applyChange(meta.labels, labels)),
    );
    const restored = capturesFrozen(meta);
    const power = capturedPowerState(vm);
    const net = capturedNetwork(vm);
    // Keep the last good capture when the value is unknown now (no status yet, powered off).
    if (power !== undefined && !(restored && current?.[ANNOTATION_CAPTURED_POWER_STATE]))
      setIfDifferent(annotations, current, ANNOTATION_CAPTURED_POWER_STATE, power);
    if (net !== undefined && !(restored && current?.[ANNOTATION_CAPTURED_NETWORK]))
      setIfDifferent(
        annotations,
        current,
        ANNOTATION_CAPTURED_NETWORK,
        serializeCapturedNetwork(net),
      );
  }
  if (isEmptyChange(labels) && isEmptyChange(annotations)) return undefined;
  return {
    ref: { apiVersion: vm.apiVersion, kind: vm.kind, namespace: meta.namespace, name: meta.name },
    resourceVersion: meta.resourceVersion ?? '',
    labels,
    annotations,
  };
}

function plainWrite(
  o: LiveObject,
  namespace: string,
  desired: Map<string, string> | undefined,
): ObjectWrite | undefined {
  const labels = memberLabelChange(o.metadata.labels, desired ?? new Map());
  if (isEmptyChange(labels)) return undefined;
  return {
    ref: { apiVersion: o.apiVersion, kind: o.kind, namespace, name: o.metadata.name },
    resourceVersion: o.metadata.resourceVersion ?? '',
    labels,
    annotations: {},
  };
}

function groupCommit(
  g: VirtualMachineGroup,
  desired: Map<string, string> | undefined,
  secrets: Set<string>,
): GroupCommit {
  const meta = g.metadata;
  const name = meta.name;
  const labels = memberLabelChange(meta.labels, desired ?? new Map());
  const annotations: MapChange = {};
  const current = meta.annotations;
  const key = memberLabelKey(name);
  setIfDifferent(
    annotations,
    current,
    ANNOTATION_MEMBER_LABEL_KEY,
    key === MEMBER_LABEL_PREFIX + name ? undefined : key,
  );
  setIfDifferent(
    annotations,
    current,
    ANNOTATION_LABELLED_INPUTS,
    fingerprint(g, applyChange(meta.labels, labels)),
  );
  const restored = capturesFrozen(meta);
  const power = capturedPowerState(g);
  if (power !== undefined && !(restored && current?.[ANNOTATION_CAPTURED_POWER_STATE]))
    setIfDifferent(annotations, current, ANNOTATION_CAPTURED_POWER_STATE, power);
  return {
    group: name,
    ref: { apiVersion: g.apiVersion, kind: g.kind, namespace: meta.namespace, name },
    resourceVersion: meta.resourceVersion ?? '',
    labels,
    annotations,
    secrets: [...secrets].sort(),
    currentSecrets: parseSecretRecord(current?.[ANNOTATION_LABELLED_SECRETS]),
  };
}

/** Adds `key: value` (or removal) to the patch of one Secret. */
function touchSecret(
  out: Map<string, MapChange>,
  name: string,
  key: string,
  value: string | null,
): void {
  if (!out.has(name)) out.set(name, {});
  out.get(name)![key] = value;
}

/** Keys on listable objects that belong to no group of the namespace: their group was deleted. */
function orphanKeys(live: LiveNamespace, keys: Map<string, string>): Set<string> {
  const out = new Set<string>();
  for (const o of [...live.groups, ...live.vms, ...labelledKinds(live)]) {
    for (const k of Object.keys(o.metadata.labels ?? {}))
      if (isMemberLabelKey(k) && !keys.has(k)) out.add(k);
  }
  return out;
}

function secretWrites(
  live: LiveNamespace,
  commits: GroupCommit[],
  keys: Map<string, string>,
  orphans: Set<string>,
  o: PlanOptions,
): SecretWrite[] {
  const out = new Map<string, MapChange>();
  for (const c of commits) {
    const key = memberLabelKey(c.group);
    const want = new Set(c.secrets);
    for (const s of c.secrets)
      if (!c.currentSecrets.includes(s)) touchSecret(out, s, key, 'Secret');
    for (const s of c.currentSecrets) if (!want.has(s)) touchSecret(out, s, key, null);
  }
  // A deleted group's Secrets: from its last record (delete event) and from the bootstrap of VMs
  // still carrying its key. Cleaned while some listable object still has the key, so a repeated
  // delete event finds nothing left to do.
  for (const key of orphans) {
    const names = new Set(o.deletedRecords?.get(key) ?? []);
    for (const vm of live.vms)
      if (vm.metadata.labels?.[key] !== undefined)
        for (const r of bootstrapRefs(vm)) names.add(r.name);
    for (const s of names) touchSecret(out, s, key, null);
  }
  // After a concurrent decision, re-assert what this replica last wrote on these Secrets.
  for (const [s, touched] of o.force ?? []) {
    for (const c of commits) {
      const key = memberLabelKey(c.group);
      if (c.secrets.includes(s)) touchSecret(out, s, key, 'Secret');
      else if (touched.has(key) || c.currentSecrets.includes(s)) touchSecret(out, s, key, null);
    }
    for (const key of touched) if (!keys.has(key)) touchSecret(out, s, key, null);
  }
  return [...out]
    .map(([name, labels]) => ({ name, labels }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

export function planNamespace(live: LiveNamespace, o: PlanOptions = {}): Plan {
  const closures = computeClosures(liveState(live));
  const { labels, secrets, direct } = desiredLabels(closures);
  const keys = new Map([...closures.values()].map((c) => [c.labelKey, c.group]));
  const ns = live.namespace;
  const objectWrites: ObjectWrite[] = [];
  for (const vm of live.vms) {
    const w = vmWrite(
      vm,
      labels.get(`VirtualMachine/${vm.metadata.name}`),
      direct.get(vm.metadata.name),
    );
    if (w) objectWrites.push(w);
  }
  for (const o of labelledKinds(live)) {
    const w = plainWrite(o, ns, labels.get(`${o.kind}/${o.metadata.name}`));
    if (w) objectWrites.push(w);
  }
  const groupCommits = live.groups.map((g) =>
    groupCommit(
      g,
      labels.get(`VirtualMachineGroup/${g.metadata.name}`),
      secrets.get(g.metadata.name) ?? new Set(),
    ),
  );
  const orphans = orphanKeys(live, keys);
  return {
    closures,
    secretWrites: secretWrites(live, groupCommits, keys, orphans, o),
    objectWrites,
    groupCommits,
    keys,
    orphans,
  };
}

/**
 * The group's final patch once the Secret patches are done: `absent` are Secrets whose patch
 * answered 404 (not recorded, so they are probed again). Undefined when nothing changes.
 */
export function commitWrite(c: GroupCommit, absent: ReadonlySet<string>): ObjectWrite | undefined {
  const annotations = { ...c.annotations };
  const record = recordValue(c.secrets.filter((s) => !absent.has(s)));
  const current = recordValue(c.currentSecrets);
  if (record !== current)
    annotations[ANNOTATION_LABELLED_SECRETS] = record === '[]' ? null : record;
  if (isEmptyChange(c.labels) && isEmptyChange(annotations)) return undefined;
  return { ref: c.ref, resourceVersion: c.resourceVersion, labels: c.labels, annotations };
}

/** JSON merge patch for an ObjectWrite, with the resourceVersion precondition. */
export function mergePatchBody(w: {
  resourceVersion?: string;
  labels: MapChange;
  annotations?: MapChange;
}): Record<string, unknown> {
  const metadata: Record<string, unknown> = {};
  if (w.resourceVersion) metadata.resourceVersion = w.resourceVersion;
  if (!isEmptyChange(w.labels)) metadata.labels = w.labels;
  if (w.annotations && !isEmptyChange(w.annotations)) metadata.annotations = w.annotations;
  return { metadata };
}

function applyChange(
  current: Record<string, string> | undefined,
  change: MapChange,
): Record<string, string> {
  const out = { ...current };
  for (const [k, v] of Object.entries(change)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

/**
 * Labels by `Kind/name` once the plan is applied: listable objects from their listed labels plus
 * the writes; Secrets (never read) from the closures, minus those found absent.
 */
export function labelsAfter(
  live: LiveNamespace,
  plan: Plan,
  absent: ReadonlySet<string>,
): Map<string, Record<string, string>> {
  const writes = new Map<string, MapChange>();
  for (const w of plan.objectWrites) writes.set(`${w.ref.kind}/${w.ref.name}`, w.labels);
  for (const c of plan.groupCommits) writes.set(`${c.ref.kind}/${c.ref.name}`, c.labels);
  const out = new Map<string, Record<string, string>>();
  const all: LiveObject[] = [
    ...(live.groups as LiveObject[]),
    ...(live.vms as LiveObject[]),
    ...labelledKinds(live),
  ];
  for (const o of all) {
    const id = `${o.kind}/${o.metadata.name}`;
    out.set(id, applyChange(o.metadata.labels, writes.get(id) ?? {}));
  }
  for (const c of plan.closures.values()) {
    for (const o of c.objects) {
      if (o.kind !== 'Secret' || absent.has(o.name)) continue;
      const id = `Secret/${o.name}`;
      out.set(id, { ...out.get(id), [c.labelKey]: 'Secret' });
    }
  }
  return out;
}
