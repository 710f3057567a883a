// Reading a namespace back as the admin, and comparing it with what the labeler must have written.
import assert from 'node:assert/strict';
import type { VirtualMachine } from '../../../schemas/generated/objects/virtualmachine.ts';
import type { VirtualMachineGroup } from '../../../schemas/generated/objects/virtualmachinegroup.ts';
import { VMOP_API_VERSION } from '../../../functions/vmgroup/names.ts';
import type { Rest } from './rest.ts';
import { collectionPath, ok } from './rest.ts';
import type { Metadata, NamespaceModel, NamespaceState } from './world.ts';
import { USER_LABEL, expectedMetadata, ownedMetadata } from './world.ts';

interface Listed {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
}

export interface LiveNamespace {
  state: NamespaceState;
  /** Owned labels/annotations by `Kind/name`. */
  owned: Map<string, Metadata>;
  /** Every object by `Kind/name`. */
  objects: Map<string, Listed>;
}

const METADATA_ONLY = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';

async function list<T extends Listed>(
  rest: Rest,
  apiVersion: string,
  kind: string,
  ns: string,
  metadataOnly = false,
): Promise<T[]> {
  const path = collectionPath(apiVersion, kind, ns);
  // Secrets as metadata only: the test never needs their data either.
  const answer = await ok<{ items: T[] }>(
    rest.request(
      'GET',
      path,
      undefined,
      undefined,
      metadataOnly ? METADATA_ONLY : 'application/json',
    ),
    `list ${kind}`,
  );
  return answer.items;
}

export async function readNamespace(rest: Rest, ns: string): Promise<LiveNamespace> {
  const [groups, vms, secrets, cms, pvcs] = await Promise.all([
    list<VirtualMachineGroup & Listed>(rest, VMOP_API_VERSION, 'VirtualMachineGroup', ns),
    list<VirtualMachine & Listed>(rest, VMOP_API_VERSION, 'VirtualMachine', ns),
    list<Listed>(rest, 'v1', 'Secret', ns, true),
    list<Listed>(rest, 'v1', 'ConfigMap', ns),
    list<Listed>(rest, 'v1', 'PersistentVolumeClaim', ns),
  ]);
  const objects = new Map<string, Listed>();
  for (const [kind, items] of [
    ['VirtualMachineGroup', groups],
    ['VirtualMachine', vms],
    ['Secret', secrets],
    ['ConfigMap', cms],
    ['PersistentVolumeClaim', pvcs],
  ] as const)
    for (const o of items as Listed[]) objects.set(`${kind}/${o.metadata.name}`, o);
  const owned = new Map([...objects].map(([id, o]) => [id, ownedMetadata(o.metadata)]));
  const names = (xs: Listed[]) =>
    xs.map((x) => x.metadata.name).filter((n) => n !== 'kube-root-ca.crt');
  return {
    state: {
      namespace: ns,
      groups,
      vms,
      secrets: names(secrets),
      configMaps: names(cms),
      pvcs: names(pvcs),
    },
    owned,
    objects,
  };
}

/** Differences between what is on the objects and what the closures of the live state call for. */
export function metadataMismatches(live: LiveNamespace): string[] {
  const want = expectedMetadata(live.state);
  const out: string[] = [];
  for (const [id, md] of want) {
    const have = live.owned.get(id) ?? { labels: {}, annotations: {} };
    const a = JSON.stringify(sortKeys(have));
    const b = JSON.stringify(sortKeys(md));
    if (a !== b) out.push(`${live.state.namespace} ${id}: have ${a}, want ${b}`);
  }
  return out;
}

function sortKeys(md: Metadata): Metadata {
  const s = (r: Record<string, string>) =>
    Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : 1)));
  return { labels: s(md.labels), annotations: s(md.annotations) };
}

/** Lost updates: any user write (spec, user label, existence) the API server no longer shows. */
export function lostUpdates(live: LiveNamespace, model: NamespaceModel): string[] {
  const out: string[] = [];
  const check = (
    kind: string,
    mine: Map<
      string,
      { metadata: { name: string; labels?: Record<string, string> }; spec?: unknown }
    >,
  ) => {
    const theirs = [...live.objects].filter(([id]) => id.startsWith(`${kind}/`));
    if (theirs.length !== mine.size)
      out.push(`${model.namespace} ${kind}: ${theirs.length} on the server, ${mine.size} written`);
    for (const [name, o] of mine) {
      const l = live.objects.get(`${kind}/${name}`) as (Listed & { spec?: unknown }) | undefined;
      if (!l) {
        out.push(`${model.namespace} ${kind}/${name} missing`);
        continue;
      }
      assert.ok(l);
      if (JSON.stringify(l.spec) !== JSON.stringify(o.spec))
        out.push(`${model.namespace} ${kind}/${name}: spec differs from the user's last write`);
      if (l.metadata.labels?.[USER_LABEL] !== o.metadata.labels?.[USER_LABEL])
        out.push(`${model.namespace} ${kind}/${name}: user label lost`);
    }
  };
  check('VirtualMachineGroup', model.groups as never);
  check('VirtualMachine', model.vms as never);
  return out;
}

/** Every namespace of the world read back as the admin: objects off their closures, lost user writes. */
export async function finalState(
  admin: Rest,
  models: NamespaceModel[],
): Promise<{ mismatches: string[]; lost: string[] }> {
  const mismatches: string[] = [];
  const lost: string[] = [];
  for (const m of models) {
    const live = await readNamespace(admin, m.namespace);
    mismatches.push(...metadataMismatches(live));
    lost.push(...lostUpdates(live, m));
  }
  return { mismatches, lost };
}
