// Thin doing part of the restore fixer: for objects a Velero restore created, remove what the
// modifier cannot name (per-VM PVC keys, the old CNS finalizer) and, when the modifier did not
// run, say so on the Restore. A correctly stripped VM or group costs no API call at all.

import type { InboundEvent, Logger } from '../runtime/function.ts';
import type { PersistentVolumeClaim } from '../../schemas/generated/objects/persistentvolumeclaim.ts';
import type { VeleroRestore } from '../../schemas/generated/objects/restore.ts';
import type { VirtualMachine } from '../../schemas/generated/objects/virtualmachine.ts';
import type { VirtualMachineGroup } from '../../schemas/generated/objects/virtualmachinegroup.ts';
import type { Kube, KubeObject, ObjectRef } from '../runtime/kube/kube-api.ts';
import { replanOnConflict } from '../runtime/apply/conflict-policy.ts';
import { members } from '../vmgroup/boot-order.ts';
import { VELERO_RESTORE_NAME_LABEL, VMOP_API_VERSION } from '../vmgroup/names.ts';
import {
  membersMissingEvent,
  modifierMissingEvent,
  needsReport,
  stripIncompleteEvent,
  targetsGroups,
  TERMINAL_PHASES,
  usesOurModifier,
  type RestoreLike,
} from './report.ts';
import { findRestore, veleroLabelValue } from '../velero/restore-lookup.ts';
import { pvcFixPatch, verify } from './verify.ts';
import { refusedEvent, refusedObjects } from './refusals.ts';
import type { DownloadRequestDeps } from '../velero/download-request.ts';
import { DownloadMissing, downloadRequestName } from '../velero/download-request.ts';
import { failedItems, readRestoreResults } from '../velero/restore-results.ts';
import { TransientError } from '../runtime/errors.ts';

export interface FixerDeps extends DownloadRequestDeps {
  kube: Pick<Kube, 'get' | 'list' | 'patch' | 'create' | 'delete' | 'recordEvent'>;
  logger: Logger;
  /** Where Velero's Restores live (Velero's install namespace). */
  veleroNamespace: string;
  /** Suffix of a DownloadRequest's name (random, as Velero's CLI makes it). */
  randomSuffix(): string;
}

const VMOP = VMOP_API_VERSION;

function restoreNameOf(obj: KubeObject): string | undefined {
  return obj.metadata.labels?.[VELERO_RESTORE_NAME_LABEL];
}

/** A restored VM or group: verify the declarative strip happened, say so on the Restore if not. */
export async function onRestoredVmOrGroup(
  event: InboundEvent<VirtualMachine | VirtualMachineGroup>,
  deps: FixerDeps,
): Promise<void> {
  await verifyRestored(event.data, deps);
}

/** A restored PVC: remove what the modifier cannot name, then verify like any restored object. */
export async function onRestoredPvc(
  event: InboundEvent<PersistentVolumeClaim>,
  deps: FixerDeps,
): Promise<void> {
  const pvc = event.data;
  if (!restoreNameOf(pvc) || pvc.metadata.deletionTimestamp) return;
  await fixPvc(pvc, deps);
  await verifyRestored(pvc, deps);
}

export async function onRestoreChange(
  event: InboundEvent<VeleroRestore>,
  deps: FixerDeps,
): Promise<void> {
  await onRestore(event.data, deps);
}

/** ApiServerSource drops events and sends nothing for objects that existed when it started. */
export async function onTick(_event: InboundEvent, deps: FixerDeps): Promise<void> {
  await resync(deps);
}

async function verifyRestored(obj: KubeObject, deps: FixerDeps): Promise<void> {
  const restore = restoreNameOf(obj);
  if (!restore || obj.metadata.deletionTimestamp) return;
  if (!needsReport(verify(obj))) return;
  await reportStrip(obj.metadata.namespace ?? '', restore, deps);
}

async function fixPvc(pvc: KubeObject, deps: FixerDeps): Promise<void> {
  const ref: ObjectRef = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    namespace: pvc.metadata.namespace,
    name: pvc.metadata.name,
  };
  // The event's copy is usually current; on a conflict re-read once, then let the runtime retry.
  await replanOnConflict(2, async (attempt) => {
    const current = attempt === 1 ? pvc : await deps.kube.get(ref);
    const patch = current && pvcFixPatch(current);
    if (!patch) return;
    await deps.kube.patch(ref, patch);
    deps.logger.info(
      { pvc: `${ref.namespace}/${ref.name}` },
      'removed per-VM CNS keys from restored PVC',
    );
  });
}

async function getRestore(name: string, deps: FixerDeps): Promise<RestoreLike | undefined> {
  const r = await findRestore<RestoreLike>(deps.kube, deps.veleroNamespace, name);
  if (!r)
    deps.logger.warn(
      { restore: name, namespace: deps.veleroNamespace },
      'restored object names a Restore that is not there; nothing to report on',
    );
  return r;
}

async function reportStrip(namespace: string, restoreName: string, deps: FixerDeps): Promise<void> {
  const restore = await getRestore(restoreName, deps);
  if (!restore) return;
  const options = { labelSelector: `${VELERO_RESTORE_NAME_LABEL}=${restoreName}` }; // the label's value, as found on the object
  const [vms, groups, pvcs] = await Promise.all([
    deps.kube.list(VMOP, 'VirtualMachine', namespace, options),
    deps.kube.list(VMOP, 'VirtualMachineGroup', namespace, options),
    deps.kube.list('v1', 'PersistentVolumeClaim', namespace, options),
  ]);
  const all = [...groups.items, ...vms.items, ...pvcs.items].map(verify);
  const record = stripIncompleteEvent(restore, namespace, all);
  if (record) await deps.kube.recordEvent(restore, record);
}

/**
 * An ended Restore with errors: one Warning per VM Operator object its webhook refused, read from
 * the Restore's results. Returns the refused objects (`Kind/namespace/name`); a results file
 * that cannot be read now is retried later (the error is thrown after the rest of the report).
 */
async function reportRefusals(
  restore: RestoreLike,
  deps: FixerDeps,
): Promise<{ refused: Set<string>; retry?: unknown }> {
  const refused = new Set<string>();
  if (!(restore.status?.errors ?? 0)) return { refused };
  const log = { restore: restore.metadata.name };
  let objects;
  try {
    const dr = downloadRequestName(restore.metadata.name, deps.randomSuffix());
    const results = await readRestoreResults(deps, restore, dr);
    objects = refusedObjects(failedItems(results), restore);
  } catch (err) {
    if (err instanceof TransientError) return { refused, retry: err };
    const why =
      err instanceof DownloadMissing ? err.message : `unreadable: ${(err as Error).message}`;
    deps.logger.warn({ ...log, err: why }, 'restore results not read; refusals not reported');
    return { refused };
  }
  for (const o of objects) {
    await deps.kube.recordEvent(restore, refusedEvent(restore, o));
    refused.add(`${o[0]!.kind}/${o[0]!.namespace}/${o[0]!.name}`);
  }
  if (objects.length)
    deps.logger.info({ ...log, refused: objects.length }, 'refused creates reported');
  return { refused };
}

async function onRestore(restore: RestoreLike, deps: FixerDeps): Promise<void> {
  if (restore.metadata.deletionTimestamp) return;
  const phase = restore.status?.phase ?? '';
  const ended = TERMINAL_PHASES.includes(phase);
  const { refused, retry } = ended
    ? await reportRefusals(restore, deps)
    : { refused: new Set<string>(), retry: undefined };
  if (!usesOurModifier(restore)) await reportWithoutModifier(restore, ended, refused, deps);
  if (retry) throw retry;
}

async function reportWithoutModifier(
  restore: RestoreLike,
  ended: boolean,
  refused: ReadonlySet<string>,
  deps: FixerDeps,
): Promise<void> {
  if (!ended) {
    if (targetsGroups(restore)) await deps.kube.recordEvent(restore, modifierMissingEvent(restore));
    return;
  }
  // Ended: a group member the restore did not create was most likely rejected by the webhook.
  const groups = await deps.kube.list(VMOP, 'VirtualMachineGroup', undefined, {
    labelSelector: `${VELERO_RESTORE_NAME_LABEL}=${veleroLabelValue(restore.metadata.name)}`,
  });
  const byNamespace = new Map<string, KubeObject[]>();
  for (const g of groups.items)
    byNamespace.set(g.metadata.namespace ?? '', [
      ...(byNamespace.get(g.metadata.namespace ?? '') ?? []),
      g,
    ]);
  for (const [namespace, gs] of byNamespace) {
    const [vms, vmgs] = await Promise.all([
      deps.kube.list(VMOP, 'VirtualMachine', namespace),
      deps.kube.list(VMOP, 'VirtualMachineGroup', namespace),
    ]);
    const present = new Set([
      ...vms.items.map((v) => `VirtualMachine/${v.metadata.name}`),
      ...vmgs.items.map((v) => `VirtualMachineGroup/${v.metadata.name}`),
    ]);
    // A member named by a Refused Warning already has its precise report.
    const missing = gs.flatMap((g) =>
      members(g as Parameters<typeof members>[0])
        .filter((m) => !present.has(`${m.kind}/${m.name}`))
        .filter((m) => !refused.has(`${m.kind}/${namespace}/${m.name}`))
        .map((m) => `${m.kind} ${namespace}/${m.name} (group ${g.metadata.name})`),
    );
    const record = membersMissingEvent(restore, namespace, missing);
    if (record) await deps.kube.recordEvent(restore, record);
  }
}

/** ApiServerSource drops events and sends nothing for objects that existed when it started. */
async function resync(deps: FixerDeps): Promise<void> {
  const pvcs = await deps.kube.list('v1', 'PersistentVolumeClaim', undefined, {
    labelSelector: VELERO_RESTORE_NAME_LABEL,
  });
  for (const pvc of pvcs.items) if (pvcFixPatch(pvc)) await fixPvc(pvc, deps);
}
