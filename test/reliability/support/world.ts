// A seeded world of VirtualMachineGroups that a user keeps changing on the real API server:
// groups added, updated, deleted and re-created (some with long dotted names), VMs added, updated,
// deleted and moved between groups, Secrets/ConfigMaps/PVCs referenced and dropped. Every change is
// a real write; the world keeps, per change, the CloudEvent ApiServerSource would emit for it
// (Resource mode; the object as the API server answered; a delete carries the object as deleted).
//
// `expectedMetadata` says what the labeler must have written, from a namespace's state alone:
// membership labels from the closures (functions/vmgroup/closure.ts, with Secrets known, as an
// admin sees them), the seed label, and the captured annotations. It deliberately does not use
// the labeler's planner.
import type { InboundEvent } from '../../../functions/runtime/function.ts';
import type { VirtualMachine } from '../../../schemas/generated/objects/virtualmachine.ts';
import type { VirtualMachineGroup } from '../../../schemas/generated/objects/virtualmachinegroup.ts';
import { computeClosures } from '../../../functions/vmgroup/closure.ts';
import {
  ANNOTATION_CAPTURED_NETWORK,
  ANNOTATION_CAPTURED_POWER_STATE,
  ANNOTATION_LABELLED_SECRETS,
  ANNOTATION_MEMBER_LABEL_KEY,
  MEMBER_LABEL_PREFIX,
  SEED_GROUP_LABEL,
  VMOP_API_VERSION,
  memberLabelKey,
  seedGroupLabelValue,
} from '../../../functions/vmgroup/names.ts';
import { apiServerEvent } from '../../support/cloudevents.ts';
import type { Rest } from './rest.ts';
import { collectionPath, objectPath, ok } from './rest.ts';

export const OUR_ANNOTATIONS = [
  ANNOTATION_CAPTURED_NETWORK,
  ANNOTATION_CAPTURED_POWER_STATE,
  ANNOTATION_LABELLED_SECRETS,
  ANNOTATION_MEMBER_LABEL_KEY,
];
export const USER_LABEL = 'team.example.com/owner';

/** mulberry32: small, seedable, good enough to shuffle and choose. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Member = { name: string; kind?: 'VirtualMachine' | 'VirtualMachineGroup' };
type Stage = { members: Member[]; powerOnDelay?: string };

export interface WorldOptions {
  namespaces: string[];
  groupsPerNamespace: number;
  vmsPerNamespace: number;
  secretsPerNamespace: number;
  configMapsPerNamespace: number;
  pvcsPerNamespace: number;
  seed: number;
}

/** One namespace as the user last wrote it (the model the API server must agree with at the end). */
export interface NamespaceModel {
  namespace: string;
  groupNames: string[];
  groups: Map<string, VirtualMachineGroup>;
  vms: Map<string, VirtualMachine>;
  secrets: string[];
  configMaps: string[];
  pvcs: string[];
  nextVm: number;
}

export function longGroupName(i: number): string {
  // 96 characters with dots: the membership label key must truncate it and add a hash.
  const base = `payments.tier-${i}.eu-west.production.example.com.application-group.`;
  return (base + 'x'.repeat(96)).slice(0, 95) + 'z';
}

function vmObject(
  ns: string,
  name: string,
  spec: Record<string, unknown>,
  labels?: Record<string, string>,
): VirtualMachine {
  return {
    apiVersion: VMOP_API_VERSION,
    kind: 'VirtualMachine',
    metadata: { name, namespace: ns, ...(labels ? { labels } : {}) },
    spec: {
      className: 'best-effort-small',
      imageName: 'vmi-0123456789abcdef0',
      storageClass: 'wcp-storage',
      ...spec,
    },
  } as VirtualMachine;
}

function groupObject(ns: string, name: string, spec: Record<string, unknown>): VirtualMachineGroup {
  return {
    apiVersion: VMOP_API_VERSION,
    kind: 'VirtualMachineGroup',
    metadata: { name, namespace: ns },
    spec,
  } as VirtualMachineGroup;
}

export class World {
  readonly models: NamespaceModel[] = [];
  readonly events: InboundEvent[] = [];
  /** Mutations made after setUp(); each produced one event. */
  mutations = 0;
  /**
   * Writes a single in-order labeler would make to follow every state: after each mutation, the
   * number of objects whose owned labels/annotations (expectedMetadata) differ from what they
   * were expected to be just before; the initial state counts from unlabelled objects.
   */
  sequentialWrites = 0;
  /** sequentialWrites by kind, to compare with the labeler's writes by resource. */
  readonly sequentialByKind: Record<string, number> = {};
  private readonly expected = new Map<string, Map<string, Metadata>>();
  private readonly random: () => number;
  private readonly rest: Rest;
  private readonly o: WorldOptions;

  constructor(rest: Rest, o: WorldOptions) {
    this.rest = rest;
    this.o = o;
    this.random = rng(o.seed);
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.random() * xs.length)]!;
  }

  private chance(p: number): boolean {
    return this.random() < p;
  }

  private bootstrapFor(m: NamespaceModel): Record<string, unknown> {
    // Mostly a Secret; sometimes a same-named ConfigMap (VM Operator's rawCloudConfig fallback);
    // sometimes two Secrets; sometimes nothing.
    const r = this.random();
    if (r < 0.6)
      return {
        bootstrap: {
          cloudInit: { rawCloudConfig: { name: this.pick(m.secrets), key: 'user-data' } },
        },
      };
    if (r < 0.75)
      return {
        bootstrap: {
          cloudInit: { rawCloudConfig: { name: this.pick(m.configMaps), key: 'user-data' } },
        },
      };
    if (r < 0.9)
      return {
        bootstrap: {
          linuxPrep: {
            password: { name: this.pick(m.secrets), key: 'password' },
            scriptText: { from: { name: this.pick(m.secrets), key: 'script' } },
          },
        },
      };
    return {};
  }

  private volumesFor(m: NamespaceModel): Record<string, unknown> {
    const n = Math.floor(this.random() * 3);
    const claims = [...new Set(Array.from({ length: n }, () => this.pick(m.pvcs)))];
    return claims.length
      ? { volumes: claims.map((c) => ({ name: c, persistentVolumeClaim: { claimName: c } })) }
      : {};
  }

  /** Creates the initial world. No events: ApiServerSource forgets what existed before it started. */
  async setUp(): Promise<void> {
    const o = this.o;
    for (const [i, ns] of o.namespaces.entries()) {
      const groupNames = Array.from({ length: o.groupsPerNamespace }, (_, g) =>
        g === o.groupsPerNamespace - 1 ? longGroupName(i) : `group-${g}`,
      );
      const m: NamespaceModel = {
        namespace: ns,
        groupNames,
        groups: new Map(),
        vms: new Map(),
        secrets: Array.from({ length: o.secretsPerNamespace }, (_, k) => `boot-${k}`),
        configMaps: Array.from({ length: o.configMapsPerNamespace }, (_, k) => `cloud-${k}`),
        pvcs: Array.from({ length: o.pvcsPerNamespace }, (_, k) => `disk-${k}`),
        nextVm: o.vmsPerNamespace,
      };
      this.models.push(m);
      this.expected.set(ns, new Map());
      for (const s of m.secrets)
        await ok(
          this.rest.request('POST', collectionPath('v1', 'Secret', ns), {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name: s },
            stringData: { 'user-data': `SECRET-${s}-must-never-be-logged` },
          }),
          'create secret',
        );
      for (const c of m.configMaps)
        await ok(
          this.rest.request('POST', collectionPath('v1', 'ConfigMap', ns), {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: c },
            data: { 'user-data': '#cloud-config\n' },
          }),
          'create configmap',
        );
      for (const p of m.pvcs)
        await ok(
          this.rest.request('POST', collectionPath('v1', 'PersistentVolumeClaim', ns), {
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            metadata: { name: p },
            spec: {
              accessModes: ['ReadWriteOnce'],
              resources: { requests: { storage: '1Gi' } },
              storageClassName: 'wcp-storage',
            },
          }),
          'create pvc',
        );
      const members = new Map<string, Member[]>(groupNames.map((g) => [g, []]));
      for (let v = 0; v < o.vmsPerNamespace; v++) {
        const name = `vm-${v}`;
        const group = this.chance(0.85) ? this.pick(groupNames) : undefined;
        if (group) members.get(group)!.push({ name });
        const vm = vmObject(ns, name, {
          powerState: this.chance(0.8) ? 'PoweredOn' : 'PoweredOff',
          ...(group ? { groupName: group } : {}),
          ...this.bootstrapFor(m),
          ...this.volumesFor(m),
        });
        m.vms.set(name, await this.createObject<VirtualMachine>(ns, 'VirtualMachine', vm));
      }
      for (const g of groupNames) {
        const list = members.get(g)!;
        const half = Math.ceil(list.length / 2);
        const stages: Stage[] = [
          { members: list.slice(0, half) },
          { members: list.slice(half), powerOnDelay: '10s' },
        ];
        const obj = groupObject(ns, g, {
          powerState: 'PoweredOn',
          bootOrder: stages.filter((s) => s.members.length),
        });
        m.groups.set(
          g,
          await this.createObject<VirtualMachineGroup>(ns, 'VirtualMachineGroup', obj),
        );
      }
      this.track(m);
    }
  }

  private track(m: NamespaceModel): void {
    const before = this.expected.get(m.namespace)!;
    const after = expectedMetadata(modelState(m));
    for (const [id, md] of after) {
      if (sameMetadata(before.get(id), md)) continue;
      this.sequentialWrites++;
      const kind = id.slice(0, id.indexOf('/'));
      this.sequentialByKind[kind] = (this.sequentialByKind[kind] ?? 0) + 1;
    }
    this.expected.set(m.namespace, after);
  }

  /** Objects that must carry some owned label/annotation at the end: each needs at least one write. */
  finalLowerBound(): number {
    let n = 0;
    for (const m of this.models)
      for (const md of expectedMetadata(modelState(m)).values())
        if (Object.keys(md.labels).length || Object.keys(md.annotations).length) n++;
    return n;
  }

  private emit(
    m: NamespaceModel,
    verb: 'add' | 'update' | 'delete',
    obj: VirtualMachine | VirtualMachineGroup,
  ): void {
    this.events.push(apiServerEvent(verb, obj as never));
    this.mutations++;
    this.track(m);
  }

  private async patchGroup(
    m: NamespaceModel,
    name: string,
    spec: Record<string, unknown>,
  ): Promise<void> {
    const path = objectPath(VMOP_API_VERSION, 'VirtualMachineGroup', m.namespace, name);
    const obj = await ok<VirtualMachineGroup>(
      this.rest.request('PATCH', path, { spec }, 'application/merge-patch+json'),
      'patch group',
    );
    m.groups.set(name, obj);
    this.emit(m, 'update', obj);
  }

  private async patchVm(
    m: NamespaceModel,
    name: string,
    patch: Record<string, unknown>,
  ): Promise<void> {
    const path = objectPath(VMOP_API_VERSION, 'VirtualMachine', m.namespace, name);
    const obj = await ok<VirtualMachine>(
      this.rest.request('PATCH', path, patch, 'application/merge-patch+json'),
      'patch vm',
    );
    m.vms.set(name, obj);
    this.emit(m, 'update', obj);
  }

  private createObject<T>(
    ns: string,
    kind: 'VirtualMachine' | 'VirtualMachineGroup',
    obj: VirtualMachine | VirtualMachineGroup,
  ): Promise<T> {
    return ok<T>(
      this.rest.request('POST', collectionPath(VMOP_API_VERSION, kind, ns), obj),
      `create ${kind}`,
    );
  }

  /**
   * Deletes and returns the object exactly as it was when deleted (what the informer's delete
   * event carries; the API server's DELETE answers only a Status for custom resources): read it,
   * delete with that resourceVersion as precondition, read again if the labeler wrote meanwhile.
   */
  private async deleteObject<T>(
    m: NamespaceModel,
    kind: 'VirtualMachine' | 'VirtualMachineGroup',
    name: string,
  ): Promise<T> {
    const path = objectPath(VMOP_API_VERSION, kind, m.namespace, name);
    for (;;) {
      const last = await ok<T & { metadata: { resourceVersion: string } }>(
        this.rest.request('GET', path),
        `get ${kind}`,
      );
      const answer = await this.rest.request('DELETE', path, {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        preconditions: { resourceVersion: last.metadata.resourceVersion },
      });
      if (answer.status === 409) continue;
      if (answer.status !== 200 && answer.status !== 202)
        throw new Error(`delete ${kind}: ${answer.status} ${answer.text}`);
      return last;
    }
  }

  private stages(g: VirtualMachineGroup): Stage[] {
    return structuredClone((g.spec?.bootOrder ?? []) as Stage[]);
  }

  private async unlist(
    m: NamespaceModel,
    group: string | undefined,
    member: string,
    kind: string,
  ): Promise<void> {
    const g = group ? m.groups.get(group) : undefined;
    if (!g) return;
    const stages = this.stages(g)
      .map((s) => ({
        ...s,
        members: s.members.filter(
          (x) => !(x.name === member && (x.kind ?? 'VirtualMachine') === kind),
        ),
      }))
      .filter((s) => s.members.length > 0);
    await this.patchGroup(m, g.metadata.name, { bootOrder: stages });
  }

  private async list(m: NamespaceModel, group: string, member: Member): Promise<void> {
    const g = m.groups.get(group);
    if (!g) return;
    const stages = this.stages(g);
    // The CRD keeps members unique (a duplicate is refused with 422): already listed, nothing to do.
    const kind = member.kind ?? 'VirtualMachine';
    if (
      stages.some((s) =>
        s.members.some((x) => x.name === member.name && (x.kind ?? 'VirtualMachine') === kind),
      )
    )
      return;
    if (stages.length === 0 || this.chance(0.3))
      stages.push({ members: [member], ...(this.chance(0.5) ? { powerOnDelay: '5s' } : {}) });
    else this.pick(stages).members.push(member);
    await this.patchGroup(m, group, { bootOrder: stages });
  }

  /** One user action (1-3 writes, one event each). */
  async step(): Promise<void> {
    const m = this.pick(this.models);
    const vms = [...m.vms.keys()];
    const groups = [...m.groups.keys()];
    const r = this.random();
    if (r < 0.33 && vms.length) {
      // Move a VM to another group (or out of any): the VM, then both groups, as a user would.
      const name = this.pick(vms);
      const from = m.vms.get(name)!.spec?.groupName;
      const to = groups.length && this.chance(0.9) ? this.pick(groups) : undefined;
      if (to === from) return this.step();
      await this.patchVm(m, name, { spec: { groupName: to ?? null } });
      await this.unlist(m, from, name, 'VirtualMachine');
      if (to) await this.list(m, to, { name });
    } else if (r < 0.55 && vms.length) {
      const name = this.pick(vms);
      const what = this.random();
      const cur = m.vms.get(name)!;
      if (what < 0.35)
        await this.patchVm(m, name, { spec: { bootstrap: null } }).then(() =>
          this.patchVm(m, name, { spec: this.bootstrapFor(m) }),
        );
      else if (what < 0.7)
        await this.patchVm(m, name, { spec: { volumes: null, ...this.volumesFor(m) } });
      else if (what < 0.85)
        await this.patchVm(m, name, {
          spec: { powerState: cur.spec?.powerState === 'PoweredOn' ? 'PoweredOff' : 'PoweredOn' },
        });
      else
        await this.patchVm(m, name, {
          metadata: { labels: { [USER_LABEL]: `owner-${Math.floor(this.random() * 100)}` } },
        });
    } else if (r < 0.66) {
      // A new VM, usually into a group.
      const name = `vm-${m.nextVm++}`;
      const group = groups.length && this.chance(0.8) ? this.pick(groups) : undefined;
      const vm = vmObject(m.namespace, name, {
        powerState: 'PoweredOn',
        ...(group ? { groupName: group } : {}),
        ...this.bootstrapFor(m),
        ...this.volumesFor(m),
      });
      const created = await this.createObject<VirtualMachine>(m.namespace, 'VirtualMachine', vm);
      m.vms.set(name, created);
      this.emit(m, 'add', created);
      if (group) await this.list(m, group, { name });
    } else if (r < 0.75 && vms.length > 5) {
      // Delete a VM; half the time the group keeps listing it (a missing member).
      const name = this.pick(vms);
      const group = m.vms.get(name)!.spec?.groupName;
      const deleted = await this.deleteObject<VirtualMachine>(m, 'VirtualMachine', name);
      m.vms.delete(name);
      this.emit(m, 'delete', deleted);
      if (this.chance(0.5)) await this.unlist(m, group, name, 'VirtualMachine');
    } else if (r < 0.88 && groups.length) {
      const name = this.pick(groups);
      const g = m.groups.get(name)!;
      const what = this.random();
      if (what < 0.4)
        await this.patchGroup(m, name, {
          powerState: g.spec?.powerState === 'PoweredOn' ? 'PoweredOff' : 'PoweredOn',
        });
      else if (what < 0.7) await this.patchGroup(m, name, { bootOrder: this.stages(g).reverse() });
      else {
        // Nest under another group, or un-nest.
        const parent = g.spec?.groupName;
        if (parent) {
          await this.patchGroup(m, name, { groupName: null });
          await this.unlist(m, parent, name, 'VirtualMachineGroup');
        } else {
          const others = groups.filter((x) => x !== name);
          if (!others.length) return;
          const to = this.pick(others);
          await this.patchGroup(m, name, { groupName: to });
          await this.list(m, to, { name, kind: 'VirtualMachineGroup' });
        }
      }
    } else if (r < 0.94 && groups.length > 2) {
      // Delete a group; its members keep naming it.
      const name = this.pick(groups);
      const deleted = await this.deleteObject<VirtualMachineGroup>(m, 'VirtualMachineGroup', name);
      m.groups.delete(name);
      this.emit(m, 'delete', deleted);
    } else {
      // Re-create a deleted group listing the VMs that still name it.
      const missing = m.groupNames.filter((g) => !m.groups.has(g));
      if (!missing.length) return this.step();
      const name = this.pick(missing);
      const members = [...m.vms.values()]
        .filter((v) => v.spec?.groupName === name)
        .map((v) => ({ name: v.metadata.name }));
      const obj = groupObject(m.namespace, name, {
        powerState: 'PoweredOn',
        bootOrder: members.length ? [{ members }] : [],
      });
      const created = await this.createObject<VirtualMachineGroup>(
        m.namespace,
        'VirtualMachineGroup',
        obj,
      );
      m.groups.set(name, created);
      this.emit(m, 'add', created);
    }
  }
}

export interface Metadata {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface NamespaceState {
  namespace: string;
  groups: VirtualMachineGroup[];
  vms: VirtualMachine[];
  secrets: string[];
  configMaps: string[];
  pvcs: string[];
}

/** Only the keys the product owns (and the user label, which must survive). */
export function ownedMetadata(meta: {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}): Metadata {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta.labels ?? {}))
    if (k.startsWith(MEMBER_LABEL_PREFIX) || k === SEED_GROUP_LABEL) labels[k] = v;
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta.annotations ?? {}))
    if (OUR_ANNOTATIONS.includes(k)) annotations[k] = v;
  return { labels, annotations };
}

/** What the labeler must have written on every object of the namespace, by `Kind/name`. */
export function expectedMetadata(s: NamespaceState): Map<string, Metadata> {
  const closures = computeClosures({
    namespace: s.namespace,
    groups: s.groups,
    vms: s.vms,
    configMaps: new Set(s.configMaps),
    pvcs: new Set(s.pvcs),
    secrets: new Set(s.secrets),
  });
  const out = new Map<string, Metadata>();
  const at = (kind: string, name: string): Metadata => {
    const id = `${kind}/${name}`;
    if (!out.has(id)) out.set(id, { labels: {}, annotations: {} });
    return out.get(id)!;
  };
  for (const g of s.groups) at('VirtualMachineGroup', g.metadata.name);
  for (const v of s.vms) at('VirtualMachine', v.metadata.name);
  for (const n of s.secrets) at('Secret', n);
  for (const n of s.configMaps) at('ConfigMap', n);
  for (const n of s.pvcs) at('PersistentVolumeClaim', n);
  const direct = new Map<string, string>();
  for (const c of closures.values()) {
    const secrets: string[] = [];
    for (const o of c.objects) {
      at(o.kind, o.name).labels[c.labelKey] = o.kind;
      if (o.kind === 'Secret') secrets.push(o.name);
    }
    const g = at('VirtualMachineGroup', c.group);
    if (secrets.length) g.annotations[ANNOTATION_LABELLED_SECRETS] = JSON.stringify(secrets.sort());
    if (memberLabelKey(c.group) !== MEMBER_LABEL_PREFIX + c.group)
      g.annotations[ANNOTATION_MEMBER_LABEL_KEY] = memberLabelKey(c.group);
    for (const e of c.edges)
      if (
        e.from.kind === 'VirtualMachineGroup' &&
        e.to.kind === 'VirtualMachine' &&
        !direct.has(e.to.name)
      )
        direct.set(e.to.name, e.from.name);
  }
  for (const g of s.groups) {
    const p = g.spec?.powerState;
    if (typeof p === 'string' && p)
      at('VirtualMachineGroup', g.metadata.name).annotations[ANNOTATION_CAPTURED_POWER_STATE] = p;
  }
  for (const v of s.vms) {
    const d = direct.get(v.metadata.name);
    const md = at('VirtualMachine', v.metadata.name);
    if (d === undefined) continue;
    md.labels[SEED_GROUP_LABEL] = seedGroupLabelValue(d);
    const p = v.spec?.powerState;
    if (typeof p === 'string' && p) md.annotations[ANNOTATION_CAPTURED_POWER_STATE] = p;
  }
  return out;
}

export function sameMetadata(a: Metadata | undefined, b: Metadata): boolean {
  const eq = (x: Record<string, string>, y: Record<string, string>) =>
    Object.keys(x).length === Object.keys(y).length &&
    Object.entries(x).every(([k, v]) => y[k] === v);
  return eq(a?.labels ?? {}, b.labels) && eq(a?.annotations ?? {}, b.annotations);
}

export function modelState(m: NamespaceModel): NamespaceState {
  return {
    namespace: m.namespace,
    groups: [...m.groups.values()],
    vms: [...m.vms.values()],
    secrets: m.secrets,
    configMaps: m.configMaps,
    pvcs: m.pvcs,
  };
}
