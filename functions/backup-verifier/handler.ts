// The verifier's doing part: read the live Backup, let plan.ts decide, claim it (guarded by its
// resourceVersion), read the item list through a DownloadRequest of its own, then report (Events
// first, deduplicated) and record the result in place of the claim (a JSON patch that tests the
// claim is still ours). Any failure after claiming releases the claim the same way, so the
// Broker's retry starts clean; the DownloadRequest is deleted in every case.

import type { Clock, InboundEvent, Logger, OutboundEvent } from '../runtime/function.ts';
import type { Kube, KubeObject } from '../runtime/kube/kube-api.ts';
import { DEFAULT_CONFLICT_ATTEMPTS, replanOnConflict } from '../runtime/apply/conflict-policy.ts';
import { ANNOTATION_BACKUP_VERIFICATION, EVENT_TYPE_BACKUP_VERIFIED } from '../vmgroup/names.ts';
import { schemaId } from '../runtime/schema/schema-files.ts';
import type { VeleroBackup } from '../../schemas/generated/objects/backup.ts';

export const VERIFIED_SCHEMA = schemaId('events/backup-verified');
import type { ItemListDeps } from './item-list.ts';
import { API, ItemListUnavailable, readItemList } from './item-list.ts';
import type { BackupView, Recorded } from './plan.ts';
import { claimFor, compare, decide, downloadRequestName, outcome, refusal } from './plan.ts';

export interface VerifierDeps extends ItemListDeps {
  kube: Pick<Kube, 'get' | 'list' | 'patch' | 'create' | 'delete' | 'recordEvent'>;
  logger: Logger;
  clock: Clock;
  /** Where Backups and DownloadRequests live. */
  veleroNamespace: string;
  /** Suffix of a DownloadRequest's name (random, as Velero's CLI makes it). */
  randomSuffix(): string;
}

type Backup = BackupView & KubeObject;

const ANNOTATION_PATH = `/metadata/annotations/${ANNOTATION_BACKUP_VERIFICATION.replace('/', '~1')}`;

function backupRef(b: Backup) {
  return { ...API.backup, namespace: b.metadata.namespace ?? '', name: b.metadata.name };
}

/** Replace our claim with `next` (or remove it) only while it is still our claim. */
async function swapClaim(deps: VerifierDeps, b: Backup, claim: string, next: Recorded | undefined) {
  const ops = [
    { op: 'test', path: ANNOTATION_PATH, value: claim },
    next
      ? { op: 'replace', path: ANNOTATION_PATH, value: JSON.stringify(next) }
      : { op: 'remove', path: ANNOTATION_PATH },
  ];
  await deps.kube.patch(backupRef(b), { type: 'json', body: ops });
}

async function writeRecorded(deps: VerifierDeps, b: Backup, value: Recorded): Promise<Backup> {
  return deps.kube.patch<Backup>(backupRef(b), {
    type: 'merge',
    body: {
      metadata: {
        resourceVersion: b.metadata.resourceVersion,
        annotations: { [ANNOTATION_BACKUP_VERIFICATION]: JSON.stringify(value) },
      },
    },
  });
}

/** One Backup, level-triggered: at most one verification ever, whatever the deliveries. */
export async function reconcile(
  deps: VerifierDeps,
  name: string,
): Promise<OutboundEvent | undefined> {
  // Another delivery changing the Backup between our read and our claim is a conflict: decide again.
  return replanOnConflict(DEFAULT_CONFLICT_ATTEMPTS, async () => {
    const backup = await deps.kube.get<Backup>({
      ...API.backup,
      namespace: deps.veleroNamespace,
      name,
    });
    if (!backup) return undefined;
    const now = deps.clock.now();
    const d = decide(backup, now);
    const log = { backup: name, phase: backup.status?.phase };
    if (d.action === 'skip' || d.action === 'wait') {
      deps.logger.debug({ ...log, reason: d.reason }, `not verifying: ${d.reason}`);
      return undefined;
    }
    if (d.action === 'refuse') {
      const r = refusal(backup, d.reason, now);
      await deps.kube.recordEvent(backup, r.event);
      await writeRecorded(deps, backup, r.result);
      deps.logger.warn({ ...log, reason: d.reason }, 'backup cannot be verified');
      return undefined;
    }
    if (d.staleDownloadRequest) {
      // A delivery that died left it; it was created by this function (the claim names it).
      await deps.kube.delete({
        ...API.downloadRequest,
        namespace: deps.veleroNamespace,
        name: d.staleDownloadRequest,
      });
    }
    const dr = downloadRequestName(name, deps.randomSuffix());
    const claim = JSON.stringify(claimFor(dr, now));
    const claimed = await writeRecorded(deps, backup, claimFor(dr, now));
    return await verifyClaimed(deps, claimed, claim, dr, d.record);
  });
}

async function verifyClaimed(
  deps: VerifierDeps,
  backup: Backup,
  claim: string,
  downloadRequest: string,
  record: Parameters<typeof compare>[0],
): Promise<OutboundEvent | undefined> {
  const name = backup.metadata.name;
  try {
    const req = {
      namespace: deps.veleroNamespace,
      backup: name,
      downloadRequest,
      ...(backup.spec?.storageLocation ? { storageLocation: backup.spec.storageLocation } : {}),
    };
    let list;
    try {
      list = await readItemList(deps, req);
    } catch (err) {
      if (!(err instanceof ItemListUnavailable)) throw err;
      const r = refusal(backup, err.message, deps.clock.now());
      await deps.kube.recordEvent(backup, r.event);
      await swapClaim(deps, backup, claim, r.result);
      deps.logger.warn({ backup: name, reason: err.message }, 'backup cannot be verified');
      return undefined;
    }
    const o = outcome(backup, compare(record, list), deps.clock.now());
    for (const e of o.events) await deps.kube.recordEvent(backup, e);
    await swapClaim(deps, backup, claim, o.result);
    deps.logger.info(
      { backup: name, result: o.result.state, groups: o.reply.groups.length },
      `backup ${o.result.state}`,
    );
    return {
      type: EVENT_TYPE_BACKUP_VERIFIED,
      subject: `backups/${backup.metadata.namespace}/${name}`,
      dataschema: VERIFIED_SCHEMA,
      data: o.reply,
    };
  } catch (err) {
    // Leave no claim behind: the retry (the Broker's, or the tick) starts clean.
    await swapClaim(deps, backup, claim, undefined).catch((e: unknown) =>
      deps.logger.warn(
        { backup: name, err: (e as Error).message },
        'could not release the claim; it expires',
      ),
    );
    throw err;
  }
}

/** The tick: every Backup in Velero's namespace that is due (lost events, expired claims). */
async function resync(deps: VerifierDeps): Promise<OutboundEvent[]> {
  const { items } = await deps.kube.list<Backup>(
    API.backup.apiVersion,
    API.backup.kind,
    deps.veleroNamespace,
  );
  const replies: OutboundEvent[] = [];
  let failed: unknown;
  for (const b of items) {
    const d = decide(b, deps.clock.now());
    if (d.action === 'skip' || d.action === 'wait') continue;
    try {
      const out = await reconcile(deps, b.metadata.name);
      if (out) replies.push(out);
    } catch (err) {
      failed ??= err;
      deps.logger.warn(
        { backup: b.metadata.name, err: (err as Error).message },
        'resync: verification failed',
      );
    }
  }
  if (failed) throw failed;
  if (replies.length > 1)
    deps.logger.info({ replies: replies.length }, 'resync: replying for the first Backup only');
  return replies.slice(0, 1);
}

export async function onTick(_event: InboundEvent, deps: VerifierDeps) {
  return resync(deps);
}

/** A Backup added or updated in Velero's namespace: verify it once Velero is done. */
export async function onBackup(
  event: InboundEvent<VeleroBackup>,
  deps: VerifierDeps,
): Promise<OutboundEvent[] | void> {
  const backup: Backup = event.data;
  // Only Velero's namespace: where this function may create DownloadRequests.
  if ((backup.metadata.namespace ?? '') !== deps.veleroNamespace) {
    deps.logger.debug({ backup: backup.metadata.name }, 'Backup outside Velero’s namespace');
    return;
  }
  // The event is only "look here": skip the read when it already says there is nothing to do.
  const d = decide(backup, deps.clock.now());
  if (d.action === 'skip') {
    deps.logger.debug(
      { backup: backup.metadata.name, reason: d.reason },
      `not verifying: ${d.reason}`,
    );
    return;
  }
  const out = await reconcile(deps, backup.metadata.name);
  return out ? [out] : undefined;
}
