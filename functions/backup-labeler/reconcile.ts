// Applying the plan for one namespace: list (one call per kind), plan, write, and repeat until a
// pass finds nothing to change.
//
// Why this cannot lose an update when replicas race (say one acts on a stale view in which a VM
// is still in group A while another has moved it to B):
//  1. Every write that encodes a decision carries the resourceVersion the decision was made from
//     (labels on VMs, ConfigMaps, PVCs, and the group's commit with its Secret record); if the
//     object changed meanwhile the write fails with 409 and the pass starts over from fresh lists.
//  2. A pass that wrote anything is followed by a check whose lists are taken after those
//     writes: the groups and VMs (the only inputs of the decisions) must still be exactly as
//     listed, or as this replica's own patches left them (same resourceVersions). If not, a full
//     pass follows. A replica stops only after a check or pass that finds nothing changed, so
//     the last replica to stop has seen every replica's writes and found its decisions current.
//  3. Secrets cannot be read, so (2) sees their labels only through the groups' records. A stale
//     Secret patch can land after another replica's correct one; the stale replica then sees, in
//     its next pass, that some group it based its decision on has a resourceVersion other than the
//     one it read or committed (someone else decided meanwhile), and re-asserts the current
//     decision on every Secret it wrote a value the fresh state disagrees with (PlanOptions.force;
//     a value that agrees is right whatever order the writes landed in). Its re-assertion is a
//     write, so (2) applies again.
//  4. Writes to ConfigMaps/PVCs/VMs and to group records are independent: a group's commit goes
//     ahead even when a member write hit 409 (the pass is repeated anyway), guarded by the group's
//     own resourceVersion, so the record keeps stating what this pass did to Secrets.
// The loop is bounded (maxPasses); past it the handler fails with a ConflictError and the Broker
// redelivers.

import type { Kube, KubeObject } from '../runtime/kube/kube-api.ts';
import type { Logger } from '../runtime/function.ts';
import { ConflictError } from '../runtime/errors.ts';
import { forEachBounded } from '../runtime/apply/worker-pool.ts';
import type { VirtualMachine } from '../../schemas/generated/objects/virtualmachine.ts';
import type { VirtualMachineGroup } from '../../schemas/generated/objects/virtualmachinegroup.ts';
import type { Closure } from '../vmgroup/closure.ts';
import { KIND_VM, KIND_VMG } from '../vmgroup/names.ts';
import { listAppObjects } from './app-lists.ts';
import { keptGroup, keptMeta, keptPvc, keptVersion, keptVm } from './projection.ts';
import type {
  LiveNamespace,
  LiveObject,
  LivePvc,
  MapChange,
  ObjectWrite,
  Plan,
  SecretWrite,
} from './plan.ts';
import { commitWrite, labelsAfter, mergePatchBody, planNamespace } from './plan.ts';
import type { AbsentSecrets } from './absent-secrets.ts';
import type { WriteSlots } from './write-slots.ts';

export interface ReconcileDeps {
  kube: Kube;
  logger: Logger;
  /** API version used to list and patch VM Operator objects. */
  vmopApiVersion: string;
  /** Passes before giving up with a ConflictError. */
  maxPasses: number;
  /** Parallel writes per phase. */
  concurrency: number;
  /** Secrets recently found absent by this replica; not probed again until forgotten. */
  absentSecrets?: AbsentSecrets;
  /** The write budget shared with namespaces reconciled at the same time (write-slots.ts). */
  writeSlots?: WriteSlots;
  /** VMs per list page (LABELER_VM_PAGE_SIZE); VM_PAGE_SIZE unless set. */
  vmPageSize?: number;
}

/**
 * VMs per list page. A page is held whole while it is read and parsed (its text, the Buffers it
 * came in, the parsed objects), and a stored VM is ~17 KiB: 500 made an 8.8 MB page and ~36 MB
 * held at once per page, most of it promoted to the old generation before it could be collected
 * (docs/performance.md "Labeler at scale"). 100 keeps a page under 2 MB.
 */
export const VM_PAGE_SIZE = 100;

export interface ReconcileOptions {
  deletedRecords?: ReadonlyMap<string, readonly string[]>;
  /** The first pass's member objects, already listed (by the tick's and Backups' walk). */
  prefetched?: Members;
  /** Probe every Secret, even those remembered absent (Backups and the tick: the moments that count). */
  reprobe?: boolean;
}

export interface ReconcileResult {
  namespace: string;
  passes: number;
  reads: number;
  /** Successful patches (objects and Secrets). */
  writes: number;
  /** Secret patches that found no Secret. */
  probes: number;
  /** Secret patches not sent: the Secret was found absent recently (AbsentSecrets). */
  remembered: number;
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

/** A namespace's objects that can carry a membership label, as the planner reads them. */
export type Members = Pick<LiveNamespace, 'groups' | 'vms' | 'configMaps' | 'pvcs'>;

/**
 * Lists a namespace's groups, VMs, ConfigMaps and PVCs, each list keeping of its items only what
 * the decisions read (projection.ts): ConfigMaps as names, labels and resourceVersions (never
 * their data), PVCs with their storage class (it goes into the restore-fidelity report).
 */
export async function listMembers(
  deps: Pick<ReconcileDeps, 'kube' | 'vmopApiVersion' | 'vmPageSize'>,
  namespace: string,
): Promise<{ members: Members; reads: number }> {
  const { kube, vmopApiVersion } = deps;
  const [groups, vms, cms, pvcs] = await Promise.all([
    kube.list<VirtualMachineGroup & KubeObject>(vmopApiVersion, KIND_VMG, namespace, {
      project: keptGroup,
    }),
    kube.list<VirtualMachine & KubeObject>(vmopApiVersion, KIND_VM, namespace, {
      project: keptVm,
      pageSize: deps.vmPageSize ?? VM_PAGE_SIZE,
    }),
    kube.list('v1', 'ConfigMap', namespace, { metadataOnly: true, project: keptMeta }),
    kube.list('v1', 'PersistentVolumeClaim', namespace, { project: keptPvc }),
  ]);
  return {
    members: {
      groups: groups.items,
      vms: vms.items,
      configMaps: cms.items as LiveObject[],
      pvcs: pvcs.items as LivePvc[],
    },
    reads: 4,
  };
}

async function listNamespace(
  deps: ReconcileDeps,
  namespace: string,
  prefetched: Members | undefined,
): Promise<{ live: LiveNamespace; reads: number }> {
  const [listed, apps] = await Promise.all([
    prefetched ? { members: prefetched, reads: 0 } : listMembers(deps, namespace),
    listAppObjects(deps.kube, namespace),
  ]);
  return {
    reads: listed.reads + apps.reads,
    live: { namespace, ...listed.members, ...apps.live },
  };
}

interface PassOutcome {
  writes: number;
  probes: number;
  remembered: number;
  labelsChanged: number;
  conflict: boolean;
  absent: Set<string>;
  /** Secret → label keys this pass patched on it. */
  touched: Map<string, Set<string>>;
  /** Secret → the label values this pass patched on it. */
  written: Map<string, MapChange>;
  /** Group → resourceVersion after this pass (committed, or as read). */
  basis: Map<string, string>;
  /** `Kind/name` of groups and VMs → the resourceVersion they should have now. */
  expected: Map<string, string>;
}

type Task = () => Promise<void>;

/** The runtime's bounded pool: at most `limit` writes in flight; the first error after all settle. */
const runAll = (tasks: readonly Task[], limit: number, slots?: WriteSlots) =>
  forEachBounded(tasks, limit, (task) => (slots ? slots.run(task) : task()));

function secretTask(
  deps: ReconcileDeps,
  namespace: string,
  w: SecretWrite,
  out: PassOutcome,
  reprobe: boolean,
): Task {
  return async () => {
    const ref = { apiVersion: 'v1', kind: 'Secret', namespace, name: w.name };
    const absent = deps.absentSecrets;
    if (!reprobe && absent?.isKnownAbsent(namespace, w.name)) {
      // As a 404 would: not labelled, left out of the group's record, reported missing.
      out.remembered++;
      out.absent.add(w.name);
      out.touched.set(w.name, new Set(Object.keys(w.labels)));
      out.written.set(w.name, w.labels);
      return;
    }
    try {
      // metadataOnly: the answer is PartialObjectMetadata, so Secret data never enters the process.
      await deps.kube.patch(
        ref,
        { type: 'merge', body: mergePatchBody({ labels: w.labels }) },
        { metadataOnly: true },
      );
      out.writes++;
      out.labelsChanged += Object.keys(w.labels).length;
      absent?.markPresent(namespace, w.name);
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
      out.probes++;
      out.absent.add(w.name);
      absent?.markAbsent(namespace, w.name);
    }
    out.touched.set(w.name, new Set(Object.keys(w.labels)));
    out.written.set(w.name, w.labels);
  };
}

function objectTask(deps: ReconcileDeps, w: ObjectWrite, out: PassOutcome): Task {
  return async () => {
    if (out.conflict) return;
    try {
      // Only the new resourceVersion is read back: a metadata answer, not a 17 KiB VM.
      const result = await deps.kube.patch(
        w.ref,
        { type: 'merge', body: mergePatchBody(w) },
        { metadataOnly: true },
      );
      out.writes++;
      out.labelsChanged += Object.keys(w.labels).length;
      const rv = result.metadata.resourceVersion ?? '';
      if (w.ref.kind === KIND_VM || w.ref.kind === KIND_VMG)
        out.expected.set(`${w.ref.kind}/${w.ref.name}`, rv);
      if (w.ref.kind === KIND_VMG) out.basis.set(w.ref.name, rv);
    } catch (err) {
      // Changed or deleted since listed: decide again from fresh lists.
      if (err instanceof ConflictError || isStatus(err, 404)) out.conflict = true;
      else throw err;
    }
  };
}

async function applyPass(
  deps: ReconcileDeps,
  namespace: string,
  plan: Plan,
  live: LiveNamespace,
  reprobe: boolean,
): Promise<PassOutcome> {
  const out: PassOutcome = {
    writes: 0,
    probes: 0,
    remembered: 0,
    labelsChanged: 0,
    conflict: false,
    absent: new Set(),
    touched: new Map(),
    written: new Map(),
    basis: new Map(),
    expected: new Map(),
  };
  for (const g of live.groups) {
    out.basis.set(g.metadata.name, g.metadata.resourceVersion ?? '');
    out.expected.set(`${KIND_VMG}/${g.metadata.name}`, g.metadata.resourceVersion ?? '');
  }
  for (const v of live.vms)
    out.expected.set(`${KIND_VM}/${v.metadata.name}`, v.metadata.resourceVersion ?? '');
  const secrets = plan.secretWrites.map((w) => secretTask(deps, namespace, w, out, reprobe));
  const objects = plan.objectWrites.map((w) => objectTask(deps, w, out));
  if (plan.orphans.size > 0) {
    // A deleted group's Secrets are cleaned while its key is still visible on listable objects
    // (that is how a later pass finds them again if this one fails half-way).
    await runAll(secrets, deps.concurrency, deps.writeSlots);
    await runAll(objects, deps.concurrency, deps.writeSlots);
  } else {
    await runAll([...secrets, ...objects], deps.concurrency, deps.writeSlots);
  }
  // The group commits last: a record never claims a Secret label before its patch succeeded.
  // They go ahead even when a VM/PVC/ConfigMap changed under this pass (the pass is repeated
  // anyway): the record states what this pass did to Secrets, guarded by the group's own
  // resourceVersion; leaving it stale made every later pass (and replica) patch them again.
  const objectConflict = out.conflict;
  out.conflict = false;
  const commits = plan.groupCommits
    .map((c) => commitWrite(c, out.absent))
    .filter((w): w is ObjectWrite => w !== undefined);
  await runAll(
    commits.map((w) => objectTask(deps, w, out)),
    deps.concurrency,
    deps.writeSlots,
  );
  out.conflict ||= objectConflict;
  return out;
}

/** After writes: are the groups and VMs exactly as listed or as our own patches left them? */
async function unchangedSince(
  deps: ReconcileDeps,
  namespace: string,
  out: PassOutcome,
): Promise<boolean> {
  // Only names and resourceVersions are compared: metadata lists, kept small.
  const versions = { metadataOnly: true, project: keptVersion };
  const [groups, vms] = await Promise.all([
    deps.kube.list(deps.vmopApiVersion, KIND_VMG, namespace, versions),
    deps.kube.list(deps.vmopApiVersion, KIND_VM, namespace, versions),
  ]);
  const now = [
    ...groups.items.map(
      (o) => [`${KIND_VMG}/${o.metadata.name}`, o.metadata.resourceVersion ?? ''] as const,
    ),
    ...vms.items.map(
      (o) => [`${KIND_VM}/${o.metadata.name}`, o.metadata.resourceVersion ?? ''] as const,
    ),
  ];
  return now.length === out.expected.size && now.every(([k, rv]) => out.expected.get(k) === rv);
}

export async function reconcileNamespace(
  deps: ReconcileDeps,
  namespace: string,
  o: ReconcileOptions = {},
): Promise<ReconcileResult> {
  const total = { reads: 0, writes: 0, probes: 0, remembered: 0, labelsChanged: 0 };
  let previous: PassOutcome | undefined;
  for (let pass = 1; pass <= deps.maxPasses; pass++) {
    const { live, reads } = await listNamespace(
      deps,
      namespace,
      pass === 1 ? o.prefetched : undefined,
    );
    total.reads += reads;
    const base = o.deletedRecords ? { deletedRecords: o.deletedRecords } : {};
    let force = previous ? forcedSecrets(previous, live) : undefined;
    if (force && previous) force = disagreeing(force, previous.written, planNamespace(live, base));
    const plan = planNamespace(live, { ...base, ...(force ? { force } : {}) });
    const out = await applyPass(deps, namespace, plan, live, o.reprobe ?? false);
    total.writes += out.writes;
    total.probes += out.probes;
    total.remembered += out.remembered;
    total.labelsChanged += out.labelsChanged;
    let done = out.writes === 0 && !out.conflict;
    if (!done && !out.conflict) {
      total.reads += 2;
      done = await unchangedSince(deps, namespace, out);
    }
    if (done) {
      deps.logger.debug({ namespace, pass, ...total }, 'namespace labels consistent');
      return {
        namespace,
        passes: pass,
        ...total,
        closures: plan.closures,
        absentSecrets: out.absent,
        labels: labelsAfter(live, plan, out.absent),
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

/**
 * Of the Secrets to re-assert, those where a value this replica wrote differs from what the fresh
 * state calls for. A write that agrees with the current decision is right in whatever order it
 * landed; re-asserting it only doubled the Secret writes whenever replicas raced (issue 9).
 */
function disagreeing(
  force: Map<string, Set<string>>,
  written: ReadonlyMap<string, MapChange>,
  fresh: Plan,
): Map<string, Set<string>> | undefined {
  const out = new Map<string, Set<string>>();
  for (const [secret, keys] of force) {
    const wrote = written.get(secret) ?? {};
    const wrong = Object.entries(wrote).some(([key, value]) => {
      const c = fresh.closures.get(fresh.keys.get(key) ?? '');
      const want = c?.objects.some((x) => x.kind === 'Secret' && x.name === secret)
        ? 'Secret'
        : null;
      return value !== want;
    });
    if (wrong) out.set(secret, keys);
  }
  return out.size > 0 ? out : undefined;
}
