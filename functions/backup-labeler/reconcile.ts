// Applying the plan for one namespace: list (one call per kind), plan, write, and repeat until a
// pass finds nothing to change.
//
// Why this cannot lose an update when replicas race (say one acts on a stale view in which a VM
// is still in group A while another has moved it to B):
//  1. Every write that encodes a decision carries the resourceVersion the decision was made from
//     (labels on VMs, ConfigMaps, PVCs, and the group's commit with its Secret record); if the
//     object changed meanwhile the write fails with 409 and the pass starts over from fresh lists.
//  2. A pass that wrote anything is followed by another pass whose lists are taken after those
//     writes; a replica stops only after a pass that changes nothing. So the last replica to stop
//     has read a state that includes every replica's writes and found it consistent.
//  3. Secrets cannot be read, so (2) sees their labels only through the groups' records. A stale
//     Secret patch can land after another replica's correct one; the stale replica then sees, in
//     its next pass, that some group it based its decision on has a resourceVersion other than the
//     one it read or committed (someone else decided meanwhile), and re-asserts the current
//     decision on every Secret it touched (PlanOptions.force). Its re-assertion is a write, so (2)
//     applies again.
// The loop is bounded (maxPasses); past it the handler fails with a ConflictError and the Broker
// redelivers.

import type { Kube, KubeObject } from '../runtime/kube-api.ts';
import type { Logger } from '../runtime/function.ts';
import { ConflictError } from '../runtime/errors.ts';
import type { VirtualMachine } from '../../schemas/generated/objects/virtualmachine.ts';
import type { VirtualMachineGroup } from '../../schemas/generated/objects/virtualmachinegroup.ts';
import type { Closure } from '../vmgroup/closure.ts';
import { KIND_VM, KIND_VMG } from '../vmgroup/names.ts';
import type { LiveNamespace, LiveObject, ObjectWrite, Plan, SecretWrite } from './plan.ts';
import { commitWrite, countLabelChanges, mergePatchBody, planNamespace } from './plan.ts';

export interface ReconcileDeps {
  kube: Kube;
  logger: Logger;
  /** API version used to list and patch VM Operator objects. */
  vmopApiVersion: string;
  /** Passes before giving up with a ConflictError. */
  maxPasses: number;
  /** Parallel writes per phase. */
  concurrency: number;
}

export interface ReconcileOptions {
  deletedRecords?: ReadonlyMap<string, readonly string[]>;
  /** Groups and VMs already listed (cluster-wide by the tick) for the first pass. */
  prefetched?: { groups: VirtualMachineGroup[]; vms: VirtualMachine[] };
}

export interface ReconcileResult {
  namespace: string;
  passes: number;
  reads: number;
  /** Successful patches (objects and Secrets). */
  writes: number;
  /** Secret patches that found no Secret. */
  probes: number;
  labelsChanged: number;
  closures: Map<string, Closure>;
  /** Secrets the closures name that do not exist. */
  absentSecrets: Set<string>;
  /** Labels of listable objects as they now are, by `Kind/name`. */
  labels: Map<string, Record<string, string>>;
}

function isStatus(err: unknown, status: number): boolean {
  return typeof err === 'object' && err !== null && (err as { status?: unknown }).status === status;
}

/** Runs `fn` over `items` with at most `limit` in flight; rejects with the first error after all settle. */
async function pool<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure;
}

async function listNamespace(
  deps: ReconcileDeps,
  namespace: string,
  prefetched: ReconcileOptions['prefetched'],
): Promise<{ live: LiveNamespace; reads: number }> {
  const { kube, vmopApiVersion } = deps;
  const lists = await Promise.all([
    prefetched ? undefined : kube.list(vmopApiVersion, KIND_VMG, namespace),
    prefetched ? undefined : kube.list(vmopApiVersion, KIND_VM, namespace),
    kube.list('v1', 'ConfigMap', namespace),
    kube.list('v1', 'PersistentVolumeClaim', namespace),
  ]);
  const [groups, vms, cms, pvcs] = lists;
  return {
    reads: lists.filter((l) => l !== undefined).length,
    live: {
      namespace,
      groups: prefetched?.groups ?? (groups!.items as unknown as VirtualMachineGroup[]),
      vms: prefetched?.vms ?? (vms!.items as unknown as VirtualMachine[]),
      configMaps: cms!.items as LiveObject[],
      pvcs: pvcs!.items as LiveObject[],
    },
  };
}

interface PassOutcome {
  writes: number;
  probes: number;
  labelsChanged: number;
  conflict: boolean;
  absent: Set<string>;
  /** Secret → label keys this pass patched on it. */
  touched: Map<string, Set<string>>;
  /** Group → resourceVersion after this pass (committed, or as read). */
  basis: Map<string, string>;
}

async function applySecrets(
  deps: ReconcileDeps,
  namespace: string,
  writes: SecretWrite[],
  out: PassOutcome,
): Promise<void> {
  await pool(writes, deps.concurrency, async (w) => {
    const ref = { apiVersion: 'v1', kind: 'Secret', namespace, name: w.name };
    try {
      // metadataOnly: the answer is PartialObjectMetadata, so Secret data never enters the process.
      await deps.kube.patch(
        ref,
        { type: 'merge', body: mergePatchBody({ labels: w.labels }) },
        { metadataOnly: true },
      );
      out.writes++;
      out.labelsChanged += Object.keys(w.labels).length;
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
      out.probes++;
      out.absent.add(w.name);
    }
    out.touched.set(w.name, new Set(Object.keys(w.labels)));
  });
}

async function applyObjects(
  deps: ReconcileDeps,
  writes: ObjectWrite[],
  out: PassOutcome,
  onWritten?: (w: ObjectWrite, result: KubeObject) => void,
): Promise<void> {
  await pool(writes, deps.concurrency, async (w) => {
    if (out.conflict) return;
    try {
      const result = await deps.kube.patch(w.ref, { type: 'merge', body: mergePatchBody(w) });
      out.writes++;
      out.labelsChanged += Object.keys(w.labels).length;
      onWritten?.(w, result);
    } catch (err) {
      // Changed or deleted since listed: decide again from fresh lists.
      if (err instanceof ConflictError || isStatus(err, 404)) out.conflict = true;
      else throw err;
    }
  });
}

async function applyPass(
  deps: ReconcileDeps,
  namespace: string,
  plan: Plan,
  live: LiveNamespace,
): Promise<PassOutcome> {
  const out: PassOutcome = {
    writes: 0,
    probes: 0,
    labelsChanged: 0,
    conflict: false,
    absent: new Set(),
    touched: new Map(),
    basis: new Map(),
  };
  for (const g of live.groups) out.basis.set(g.metadata.name, g.metadata.resourceVersion ?? '');
  // Secrets first: a group's record must never claim a label that is not there yet, and a
  // deleted group's Secrets are cleaned while its key is still visible on listable objects.
  await applySecrets(deps, namespace, plan.secretWrites, out);
  await applyObjects(deps, plan.objectWrites, out);
  if (out.conflict) return out;
  const commits = plan.groupCommits
    .map((c) => commitWrite(c, out.absent))
    .filter((w): w is ObjectWrite => w !== undefined);
  await applyObjects(deps, commits, out, (w, result) =>
    out.basis.set(w.ref.name, result.metadata.resourceVersion ?? ''),
  );
  return out;
}

function currentLabels(live: LiveNamespace, plan: Plan): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  const all: LiveObject[] = [
    ...(live.groups as LiveObject[]),
    ...(live.vms as LiveObject[]),
    ...live.configMaps,
    ...live.pvcs,
  ];
  for (const o of all) out.set(`${o.kind}/${o.metadata.name}`, { ...o.metadata.labels });
  // Secrets are never listed: their membership labels are the closures' (what was just applied).
  for (const c of plan.closures.values()) {
    for (const o of c.objects) {
      if (o.kind !== 'Secret') continue;
      const id = `Secret/${o.name}`;
      out.set(id, { ...out.get(id), [c.labelKey]: 'Secret' });
    }
  }
  return out;
}

export async function reconcileNamespace(
  deps: ReconcileDeps,
  namespace: string,
  o: ReconcileOptions = {},
): Promise<ReconcileResult> {
  const total = { reads: 0, writes: 0, probes: 0, labelsChanged: 0 };
  let previous: PassOutcome | undefined;
  for (let pass = 1; pass <= deps.maxPasses; pass++) {
    const { live, reads } = await listNamespace(
      deps,
      namespace,
      pass === 1 ? o.prefetched : undefined,
    );
    total.reads += reads;
    const force = previous ? forcedSecrets(previous, live) : undefined;
    const plan = planNamespace(live, {
      ...(o.deletedRecords ? { deletedRecords: o.deletedRecords } : {}),
      ...(force ? { force } : {}),
    });
    const out = await applyPass(deps, namespace, plan, live);
    total.writes += out.writes;
    total.probes += out.probes;
    total.labelsChanged += out.labelsChanged;
    if (out.writes === 0 && !out.conflict) {
      deps.logger.debug({ namespace, pass, ...total }, 'namespace labels consistent');
      return {
        namespace,
        passes: pass,
        ...total,
        closures: plan.closures,
        absentSecrets: out.absent,
        labels: currentLabels(live, plan),
      };
    }
    previous = out;
  }
  throw new ConflictError(
    `labels in namespace ${namespace} still changing after ${deps.maxPasses} passes`,
  );
}

/**
 * Secrets to re-assert: those the previous pass patched, when that pass hit a conflict or some
 * group now has a resourceVersion other than the one this replica based its decision on.
 */
function forcedSecrets(
  previous: PassOutcome,
  live: LiveNamespace,
): Map<string, Set<string>> | undefined {
  if (previous.touched.size === 0) return undefined;
  const now = new Map(live.groups.map((g) => [g.metadata.name, g.metadata.resourceVersion ?? '']));
  const moved =
    previous.conflict ||
    [...previous.basis].some(([g, rv]) => now.get(g) !== rv) ||
    [...now.keys()].some((g) => !previous.basis.has(g));
  if (!moved) return undefined;
  // 404s were probes, not labels placed; nothing to re-assert on a Secret that does not exist.
  const force = new Map([...previous.touched].filter(([s]) => !previous.absent.has(s)));
  return force.size > 0 ? force : undefined;
}

export { countLabelChanges };
