// Pure: what VM Operator's admission webhook refused when Velero created a restored VM or group,
// read from the Restore's results (functions/velero/restore-results.ts), one finding per refused
// field: the VM, the field, the upstream rule and what the user can do. Known refusals that no
// resource modifier can strip come first in the table (VM Operator v1.10.0,
// webhooks/virtualmachine/validation/virtualmachine_validator.go); keys the modifier strips say
// to re-run with it; anything else is passed on verbatim with its field.

import type { EventRecord } from '../runtime/kube/kube-api.ts';
import type { FailedItem } from '../velero/restore-results.ts';
import { REASON_RESTORE_REFUSED } from '../vmgroup/names.ts';
import { MAX_MESSAGE, rerunCommand, type RestoreLike } from './report.ts';
import { STRIP_RULES } from './strip-rules.ts';

const VMOP_GROUP = 'vmoperator.vmware.com';
const KINDS: Readonly<Record<string, string>> = {
  [`virtualmachines.${VMOP_GROUP}`]: 'VirtualMachine',
  [`virtualmachinegroups.${VMOP_GROUP}`]: 'VirtualMachineGroup',
};

export interface Refusal {
  kind: string;
  namespace: string;
  name: string;
  /** The webhook's field path, e.g. `spec.volumes`. */
  field: string;
  /** The webhook's words after the path (`Forbidden: …`, `Required value`, …). */
  detail: string;
  /** The upstream rule (validator function) that refused it; empty when not known here. */
  rule: string;
  /** Why, in the product's words. */
  why: string;
  /** What the user can do. */
  remedy: string;
}

interface KnownRefusal {
  field: RegExp;
  detail: RegExp;
  rule: string;
  why: string;
  remedy: string;
}

const PRIVILEGED =
  'or have a VM Operator privileged user (a Supervisor administrator) restore it as is';

/**
 * Refusals of VM Operator v1.10.0 at create that no resource modifier can fix: the field carries
 * what the VM is (its placement, its origin, its disks, another component's hold), so removing it
 * changes the VM, and only the user can decide to.
 */
export const UNSTRIPPABLE: readonly KnownRefusal[] = [
  {
    // validateVMAffinity: a non-privileged creator may only use the zone key in required terms.
    field:
      /^spec\.affinity\.vmAntiAffinity\.requiredDuringSchedulingPreferredDuringExecution\[\d+\]\.topologyKey$/,
    detail: /^Unsupported value: "kubernetes\.io\/hostname"/,
    rule: 'validateVMAffinity',
    why: 'required VM anti-affinity per host (topologyKey kubernetes.io/hostname) is for privileged users only',
    remedy: `create the VM with that term's topologyKey set to topology.kubernetes.io/zone, or the term moved to preferredDuringSchedulingPreferredDuringExecution (which allows the host key), ${PRIVILEGED}`,
  },
  {
    // validateImageOnCreate: image-less VMs only under the import/incremental-restore features.
    field: /^spec\.image$/,
    detail: /^(Forbidden: restricted to privileged users|Required value)/,
    rule: 'validateImageOnCreate',
    why: "the VM has no image (spec.image and spec.imageName are empty: it was imported, registered or restored into vSphere); only privileged users may create image-less VMs, and only with VM Operator's import or incremental-restore feature on",
    remedy: `create the VM with spec.imageName naming a VirtualMachineImage of the namespace, ${PRIVILEGED}`,
  },
  {
    // validateClassOnCreate: class-less VMs only under the import feature.
    field: /^spec\.className$/,
    detail: /^(Forbidden: restricted to privileged users|Required value)/,
    rule: 'validateClassOnCreate',
    why: "the VM has no class (spec.className is empty); only privileged users may create class-less VMs, and only with VM Operator's import feature on",
    remedy: `create the VM with spec.className naming a VirtualMachineClass bound to the namespace, ${PRIVILEGED}`,
  },
  {
    // validateInstanceStorageVolumes: instance storage comes from the class, never from the user.
    field: /^spec\.volumes$/,
    detail: /^Forbidden: adding or modifying instance storage volume claim\(s\) is not allowed/,
    rule: 'validateInstanceStorageVolumes',
    why: 'it carries instance storage volumes (spec.volumes[].persistentVolumeClaim.instanceVolumeClaim), which only VM Operator itself adds, from the VM class',
    remedy: `create the VM without those volumes (VM Operator adds the class's instance storage again; its data is not restored), ${PRIVILEGED}`,
  },
  {
    // validateChecksAnnotation: delete checks may be added by privileged users only.
    field: /^metadata\.annotations\.delete\.check\.vmoperator\.vmware\.com\/.+$/,
    detail: /^Forbidden: adding this annotation is restricted to privileged users/,
    rule: 'validateChecksAnnotation',
    why: 'it carries a delete check, which another component put on the old VM to hold its deletion; only privileged users may add one',
    remedy: `create the VM without the annotation (the component that owns the check adds it again if it still needs to), ${PRIVILEGED}`,
  },
];

/** Field paths of what the modifier strips from VMs and groups, as the webhook names them. */
function modifierField(field: string): boolean {
  return STRIP_RULES.some((r) => {
    if (r.by !== 'modifier' || r.kind === 'PersistentVolumeClaim') return false;
    // validateClassInstance names the reference's part (`spec.class.name`).
    if (r.where === 'spec')
      return [``, `.`, `[`].some((end) =>
        end ? field.startsWith(`spec.${r.key}${end}`) : field === `spec.${r.key}`,
      );
    // field.Path prints a map key as `.key` (Child) or `[key]` (Key); the validators use both.
    const keyed = (map: string, key: string, prefix = false) =>
      [`metadata.${map}.${key}`, `metadata.${map}[${key}`].some((p) =>
        prefix ? field.startsWith(p) : field === p || field === `${p}]`,
      );
    if (r.where === 'annotation') return keyed('annotations', r.key);
    if (r.where === 'label') return keyed('labels', r.key);
    return r.where === 'annotationPrefix' && keyed('annotations', r.key, true);
  });
}

const DENIED = /admission webhook "[^"]*vmoperator\.vmware\.com" denied the request: ([\s\S]*)$/;
/** One field.Error per entry, joined by ", " (webhooks/common `BuildValidationResponse`). */
const SPLIT = /, (?=(?:metadata|spec|status)[.[])/;
const FIELD_ERROR = /^((?:metadata|spec|status)(?:\.[^:\s[]+|\[[^\]]*\])*): ([\s\S]*)$/;

/** The field errors in one refused create of a VM Operator object; none for other failures. */
export function refusalsOf(item: FailedItem, restore: RestoreLike): Refusal[] {
  const kind = KINDS[item.resource];
  const denied = kind && DENIED.exec(item.error);
  if (!kind || !denied) return [];
  return denied[1]!.split(SPLIT).flatMap((part): Refusal[] => {
    const m = FIELD_ERROR.exec(part.trim());
    if (!m?.[1] || m[2] === undefined) return [];
    const field = m[1];
    const detail = m[2];
    const base = { kind, namespace: item.namespace, name: item.name, field, detail };
    const known = UNSTRIPPABLE.find((k) => k.field.test(field) && k.detail.test(detail));
    if (known) return [{ ...base, rule: known.rule, why: known.why, remedy: known.remedy }];
    if (modifierField(field))
      return [
        {
          ...base,
          rule: '',
          why: "the product's resource modifier strips it, and this restore did not apply it",
          remedy: `re-run the restore with the modifier: ${rerunCommand(restore)}`,
        },
      ];
    return [
      {
        ...base,
        rule: '',
        why: 'VM Operator refused it at create',
        remedy: `correct the field in the backed-up object and create it, ${PRIVILEGED}`,
      },
    ];
  });
}

/** Per refused object, in the order Velero reported them. */
export function refusedObjects(items: FailedItem[], restore: RestoreLike): Refusal[][] {
  const byObject = new Map<string, Refusal[]>();
  for (const item of items) {
    const found = refusalsOf(item, restore);
    if (!found.length) continue;
    const key = `${found[0]!.kind}/${item.namespace}/${item.name}`;
    byObject.set(key, [...(byObject.get(key) ?? []), ...found]);
  }
  return [...byObject.values()];
}

function clip(text: string): string {
  return text.length <= MAX_MESSAGE ? text : `${text.slice(0, MAX_MESSAGE - 1)}…`;
}

/** One Warning on the Restore per refused object: each field, why, the rule, what to do. */
export function refusedEvent(restore: RestoreLike, refusals: Refusal[]): EventRecord {
  const { kind, namespace, name } = refusals[0]!;
  const fields = refusals
    .map(
      (r) =>
        `${r.field} (${r.detail}): ${r.why}${r.rule ? ` [VM Operator ${r.rule}]` : ''}. To do: ${r.remedy}.`,
    )
    .join(' ');
  return {
    type: 'Warning',
    reason: REASON_RESTORE_REFUSED,
    dedupeKey: `refused/${kind}/${namespace}/${name}`,
    message: clip(
      `Restore ${restore.metadata.name} could not create ${kind} ${namespace}/${name}: VM Operator's webhook refused it as Velero's (non-privileged) identity. ${fields}`,
    ),
  };
}
