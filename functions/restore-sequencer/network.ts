// Pure: the captured network identity put back on a held VM. After create VM Operator lets an
// interface's addresses, gateways and DNS change but not its count, name, network or MAC
// (webhooks/virtualmachine/validation `validateImmutableNetwork`), so only those fields are
// filled in, only where the restored spec leaves them empty, and never for DHCP interfaces
// (static addresses and DHCP are mutually exclusive in `validateNetworkInterfaceSpec`).

import type { Patch } from '../runtime/kube/kube-api.ts';
import { parseCapturedNetwork } from '../vmgroup/captured-state.ts';
import { ANNOTATION_CAPTURED_NETWORK } from '../vmgroup/names.ts';
import type { Vm } from './tree.ts';

type Iface = NonNullable<NonNullable<NonNullable<Vm['spec']>['network']>['interfaces']>[number];

export interface NetworkResult {
  patch?: Patch;
  applied: string[];
  /** Captured interfaces that could not be applied, with why. */
  skipped: string[];
}

const empty = (xs: unknown[] | undefined): boolean => !xs || xs.length === 0;

export function networkPatch(vm: Vm): NetworkResult {
  const captured = parseCapturedNetwork(vm.metadata.annotations?.[ANNOTATION_CAPTURED_NETWORK]);
  const result: NetworkResult = { applied: [], skipped: [] };
  if (!captured) return result;
  const live = vm.spec?.network?.interfaces ?? [];
  const next: Iface[] = live.map((i) => ({ ...i }));
  for (const c of captured.interfaces) {
    const i = next.find((x) => x.name === c.name);
    if (!i) {
      result.skipped.push(
        `${c.name}: not in spec.network.interfaces (interfaces cannot be added after create)`,
      );
      continue;
    }
    if (c.dhcp4 || c.dhcp6 || i.dhcp4 || i.dhcp6) continue;
    if (c.addresses.length === 0 || !empty(i.addresses)) continue;
    i.addresses = [...c.addresses];
    if (c.gateway4 && !i.gateway4) i.gateway4 = c.gateway4;
    if (c.gateway6 && !i.gateway6) i.gateway6 = c.gateway6;
    if (c.nameservers && empty(i.nameservers)) i.nameservers = [...c.nameservers];
    if (c.searchDomains && empty(i.searchDomains)) i.searchDomains = [...c.searchDomains];
    result.applied.push(c.name);
  }
  if (result.applied.length > 0) {
    // A merge patch replaces the whole list; resourceVersion makes sure it replaces what was read.
    result.patch = {
      type: 'merge',
      body: {
        metadata: { resourceVersion: vm.metadata.resourceVersion },
        spec: { network: { interfaces: next } },
      },
    };
  }
  return result;
}
