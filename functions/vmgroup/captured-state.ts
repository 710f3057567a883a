// State a restore needs but cannot read later: Velero strips `status` before anything at restore
// time sees an object (DESIGN.md §2), so the backup labeler copies it into annotations on the live
// objects, and the annotations travel in the backup. Format: names.ts next to the constants and
// schemas/objects/captured-network.schema.json. The restore sequencer parses with the same module.

import type { VirtualMachine } from '../../schemas/generated/objects/virtualmachine.ts';
import type { CapturedNetwork } from '../../schemas/generated/objects/captured-network.ts';

export type { CapturedNetwork } from '../../schemas/generated/objects/captured-network.ts';
import { ANNOTATION_RESTORE_RELEASED, VELERO_RESTORE_NAME_LABEL } from './names.ts';

type CapturedInterface = CapturedNetwork['interfaces'][number];

/** `spec.powerState` (the state the user asked for), or undefined when unset. */
export function capturedPowerState(obj: { spec?: { powerState?: unknown } }): string | undefined {
  const p = obj.spec?.powerState;
  return typeof p === 'string' && p !== '' ? p : undefined;
}

const nonEmpty = <T>(xs: T[] | undefined): T[] | undefined =>
  xs && xs.length > 0 ? xs : undefined;

/**
 * The network identity per spec interface, or undefined when the VM reports no network status
 * yet (nothing observed is better than an empty capture that would overwrite a good one).
 * Static spec addresses win (they are what the user set); otherwise status.network.config (what
 * VM Operator applied) and then status.network.interfaces[].ip (what the guest reports).
 */
export function capturedNetwork(
  vm: Pick<VirtualMachine, 'spec' | 'status'>,
): CapturedNetwork | undefined {
  const status = vm.status?.network;
  if (!status) return undefined;
  const specIfaces = vm.spec?.network?.interfaces ?? [];
  const configIfaces = status.config?.interfaces ?? [];
  const observed = status.interfaces ?? [];
  // Status interfaces carry the spec interface's name; fall back to position when a name is absent.
  const names =
    specIfaces.length > 0
      ? specIfaces.map((i) => i.name)
      : observed.map((i, n) => i.name ?? `eth${n}`);
  const interfaces: CapturedInterface[] = names.map((name, n) => {
    const spec = specIfaces.find((i) => i.name === name);
    const config =
      configIfaces.find((i) => i.name === name) ??
      (configIfaces.length === names.length ? configIfaces[n] : undefined);
    const seen =
      observed.find((i) => i.name === name) ??
      (observed.length === names.length ? observed[n] : undefined);
    const seenAddresses = (seen?.ip?.addresses ?? [])
      .map((a) => a.address)
      .filter((a): a is string => typeof a === 'string' && a !== '');
    const addresses = nonEmpty(spec?.addresses) ?? nonEmpty(config?.ip?.addresses) ?? seenAddresses;
    const out: CapturedInterface = { name, addresses: [...addresses] };
    const mac = spec?.macAddr || seen?.ip?.macAddr;
    if (mac) out.macAddr = mac;
    const gw4 = spec?.gateway4 || config?.ip?.gateway4;
    if (gw4) out.gateway4 = gw4;
    const gw6 = spec?.gateway6 || config?.ip?.gateway6;
    if (gw6) out.gateway6 = gw6;
    const dhcp4 = spec?.dhcp4 ?? config?.ip?.dhcp?.ip4?.enabled;
    if (typeof dhcp4 === 'boolean') out.dhcp4 = dhcp4;
    const dhcp6 = spec?.dhcp6 ?? config?.ip?.dhcp?.ip6?.enabled;
    if (typeof dhcp6 === 'boolean') out.dhcp6 = dhcp6;
    const ns = nonEmpty(spec?.nameservers) ?? nonEmpty(config?.dns?.nameservers);
    if (ns) out.nameservers = [...ns];
    const sd = nonEmpty(spec?.searchDomains) ?? nonEmpty(config?.dns?.searchDomains);
    if (sd) out.searchDomains = [...sd];
    return out;
  });
  if (interfaces.length === 0 && !status.primaryIP4 && !status.primaryIP6) return undefined;
  const captured: CapturedNetwork = { version: 1, interfaces };
  const hostName = vm.spec?.network?.hostName || status.hostName;
  if (hostName) captured.hostName = hostName;
  if (status.primaryIP4) captured.primaryIP4 = status.primaryIP4;
  if (status.primaryIP6) captured.primaryIP6 = status.primaryIP6;
  return captured;
}

/** The annotation value: compact JSON with a fixed key order, so equal captures compare equal. */
export function serializeCapturedNetwork(c: CapturedNetwork): string {
  return JSON.stringify(c);
}

/** Parses an annotation value; undefined when absent or not a version-1 capture. */
export function parseCapturedNetwork(text: string | undefined): CapturedNetwork | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as CapturedNetwork;
    return v && v.version === 1 && Array.isArray(v.interfaces) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * While a restore holds an object (created by a restore, `velero.io/restore-name`, and not yet
 * marked released by the restore sequencer with that restore's name) its spec is the restore's
 * hold state, not the user's: the captures it came with from the backup must not be overwritten.
 */
export function capturesFrozen(meta: {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}): boolean {
  const restore = meta.labels?.[VELERO_RESTORE_NAME_LABEL];
  return restore !== undefined && meta.annotations?.[ANNOTATION_RESTORE_RELEASED] !== restore;
}
