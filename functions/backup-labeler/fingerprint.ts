// Whether an update event can change anything, decided from the object alone (pure). The labeler
// records on each VM and group it labels a hash of the inputs of its decision and of the labels it
// left (ANNOTATION_LABELLED_INPUTS). Update events carry only the new object; if it hashes the same
// and its captured state is current, the update was something else (status churn, a user label)
// and the namespace need not be listed. Anything else — adds, deletes, a different hash, a missing
// hash on an object that names a group or carries our labels — reconciles as usual, and the
// periodic tick reconciles everything regardless.

import { createHash } from 'node:crypto';
import type { VirtualMachine } from '../../schemas/generated/objects/virtualmachine.ts';
import type { VirtualMachineGroup } from '../../schemas/generated/objects/virtualmachinegroup.ts';
import { appRefsOf } from '../vmgroup/app-objects.ts';
import { bootstrapRefs, volumeClaims } from '../vmgroup/bootstrap-refs.ts';
import {
  capturedNetwork,
  capturedPowerState,
  capturesFrozen,
  serializeCapturedNetwork,
} from '../vmgroup/captured-state.ts';
import {
  ANNOTATION_CAPTURED_NETWORK,
  ANNOTATION_CAPTURED_POWER_STATE,
  ANNOTATION_LABELLED_INPUTS,
  KIND_VMG,
  SEED_GROUP_LABEL,
  isMemberLabelKey,
} from '../vmgroup/names.ts';

type Labelled = VirtualMachine | VirtualMachineGroup;

/** Our labels (membership keys and the seed label), sorted. */
export function ourLabels(labels: Record<string, string> | undefined): Array<[string, string]> {
  return Object.entries(labels ?? {})
    .filter(([k]) => isMemberLabelKey(k) || k === SEED_GROUP_LABEL)
    .sort(([a], [b]) => (a < b ? -1 : 1));
}

function inputs(obj: Labelled, labels: Record<string, string> | undefined): unknown {
  const groupName = obj.spec?.groupName ?? '';
  if (obj.kind === KIND_VMG) {
    const members = ((obj as VirtualMachineGroup).spec?.bootOrder ?? []).map((b) =>
      (b.members ?? []).map((m) => `${m.kind ?? 'VirtualMachine'}/${m.name}`),
    );
    return { groupName, members };
  }
  const vm = obj as VirtualMachine;
  return {
    groupName,
    refs: bootstrapRefs(vm).map((r) => `${r.name}${r.configMapFallback ? '?' : ''}`),
    claims: volumeClaims(vm).map((c) => c.claimName),
    // Application objects (issue 16): services select by the VM's own labels; the named ones.
    selectable: Object.entries(labels ?? {})
      .filter(([k]) => !isMemberLabelKey(k) && k !== SEED_GROUP_LABEL)
      .sort(([a], [b]) => (a < b ? -1 : 1)),
    named: appRefsOf(vm, []).map((r) => `${r.kind}/${r.name}`),
  };
}

/** The hash of the decision inputs and the labels `labels` (what the object carries or will carry). */
export function fingerprint(obj: Labelled, labels: Record<string, string> | undefined): string {
  return createHash('sha256')
    .update(JSON.stringify([inputs(obj, labels), ourLabels(labels)]))
    .digest('hex')
    .slice(0, 16);
}

function capturesCurrent(obj: Labelled): boolean {
  const current = obj.metadata.annotations ?? {};
  const frozen = capturesFrozen(obj.metadata);
  const power = capturedPowerState(obj);
  if (
    power !== undefined &&
    current[ANNOTATION_CAPTURED_POWER_STATE] !== power &&
    !(frozen && current[ANNOTATION_CAPTURED_POWER_STATE])
  )
    return false;
  if (obj.kind === KIND_VMG) return true;
  const net = capturedNetwork(obj as VirtualMachine);
  if (
    net !== undefined &&
    current[ANNOTATION_CAPTURED_NETWORK] !== serializeCapturedNetwork(net) &&
    !(frozen && current[ANNOTATION_CAPTURED_NETWORK])
  )
    return false;
  return true;
}

/** True when an update event for this object may change labels or captures. */
export function updateNeedsReconcile(obj: Labelled): boolean {
  const recorded = obj.metadata.annotations?.[ANNOTATION_LABELLED_INPUTS];
  if (recorded === undefined) {
    // Never labelled: only an object that names a group, or carries labels we must remove, matters.
    // (A group is always labelled once seen, so an unlabelled group is new to us.)
    return (
      obj.kind === KIND_VMG ||
      (obj.spec?.groupName ?? '') !== '' ||
      ourLabels(obj.metadata.labels).length > 0
    );
  }
  return recorded !== fingerprint(obj, obj.metadata.labels) || !capturesCurrent(obj);
}
