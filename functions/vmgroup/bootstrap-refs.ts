// Which Secrets/ConfigMaps a VM's bootstrap depends on, with VM Operator's exact precedence
// (pkg/providers/vsphere/vmprovider_utils.go GetAdditionalResourcesForBackup, v1.10.0 and main):
//  - cloudInit wins over sysprep, sysprep over linuxPrep (an else-if chain: only the first
//    present one counts);
//  - inside cloudInit and sysprep the structured form wins over the raw one;
//  - vAppConfig is looked at in addition. Here we hold more than upstream's backup list: it reads
//    `properties` when the slice is non-nil (JSON `[]` decodes to a non-nil slice) and only
//    otherwise `rawProperties`, but the boot path (vmprovider_vm_utils.go
//    GetVirtualMachineBootstrap) reads `rawProperties` whenever it is non-empty, and the webhook
//    lets `properties: []` stand beside it (it refuses only both non-empty). A restored VM needs
//    what its boot path reads, so both are referenced (issue 13 item 4);
//  - raw references (rawCloudConfig, rawSysprep, rawProperties) fall back to a same-named
//    ConfigMap when no Secret exists; structured references name Secrets only;
//  - cloudInit write_files[].content names a Secret only when it decodes as {name, key}.

import type { VirtualMachine } from '../../schemas/generated/objects/virtualmachine.ts';

export interface BootstrapRef {
  /** Secret name (or ConfigMap name for the fallback). */
  name: string;
  /** Field path inside spec.bootstrap, e.g. `cloudInit.cloudConfig.users[0].passwd`. */
  path: string;
  /** VM Operator reads a same-named ConfigMap when the Secret does not exist. */
  configMapFallback: boolean;
}

type Selector = { name?: unknown } | undefined | null;

function nameOf(sel: Selector): string | undefined {
  return sel && typeof sel.name === 'string' && sel.name !== '' ? sel.name : undefined;
}

/** write_files content is a string for inline content or `{name, key}` for a Secret. */
function writeFileSecret(content: unknown): string | undefined {
  if (content === null || typeof content !== 'object' || Array.isArray(content)) return undefined;
  return nameOf(content as Selector);
}

function cloudInitRefs(
  ci: NonNullable<NonNullable<VirtualMachine['spec']>['bootstrap']>['cloudInit'],
): BootstrapRef[] {
  const out: BootstrapRef[] = [];
  if (!ci) return out;
  const push = (sel: Selector, path: string, configMapFallback = false): void => {
    const name = nameOf(sel);
    if (name) out.push({ name, path, configMapFallback });
  };
  if (ci.cloudConfig) {
    (ci.cloudConfig.users ?? []).forEach((u, i) => {
      push(u.hashed_passwd, `cloudInit.cloudConfig.users[${i}].hashed_passwd`);
      push(u.passwd, `cloudInit.cloudConfig.users[${i}].passwd`);
    });
    (ci.cloudConfig.write_files ?? []).forEach((f, i) => {
      const name = writeFileSecret(f.content);
      if (name)
        out.push({
          name,
          path: `cloudInit.cloudConfig.write_files[${i}].content`,
          configMapFallback: false,
        });
    });
  } else {
    push(ci.rawCloudConfig, 'cloudInit.rawCloudConfig', true);
  }
  return out;
}

/** Every bootstrap reference of a VM, in spec order; the same name may appear under several paths. */
export function bootstrapRefs(vm: Pick<VirtualMachine, 'spec'>): BootstrapRef[] {
  const b = vm.spec?.bootstrap;
  if (!b) return [];
  const out: BootstrapRef[] = [];
  const push = (sel: Selector, path: string, configMapFallback = false): void => {
    const name = nameOf(sel);
    if (name) out.push({ name, path, configMapFallback });
  };
  if (b.cloudInit) {
    out.push(...cloudInitRefs(b.cloudInit));
  } else if (b.sysprep) {
    const sp = b.sysprep.sysprep;
    if (sp) {
      push(sp.userData?.productID, 'sysprep.sysprep.userData.productID');
      push(sp.guiUnattended?.password, 'sysprep.sysprep.guiUnattended.password');
      push(
        sp.identification?.domainAdminPassword,
        'sysprep.sysprep.identification.domainAdminPassword',
      );
      push(sp.scriptText?.from, 'sysprep.sysprep.scriptText.from');
    } else {
      push(b.sysprep.rawSysprep, 'sysprep.rawSysprep', true);
    }
  } else if (b.linuxPrep) {
    push(b.linuxPrep.password, 'linuxPrep.password');
    push(b.linuxPrep.scriptText?.from, 'linuxPrep.scriptText.from');
  }
  const vapp = b.vAppConfig;
  if (vapp) {
    (vapp.properties ?? []).forEach((p, i) =>
      push(p.value?.from, `vAppConfig.properties[${i}].value.from`),
    );
    if (vapp.rawProperties) {
      out.push({
        name: vapp.rawProperties,
        path: 'vAppConfig.rawProperties',
        configMapFallback: true,
      });
    }
  }
  return out;
}

/** PVC claim names from spec.volumes[].persistentVolumeClaim.claimName, with the volume name. */
export function volumeClaims(
  vm: Pick<VirtualMachine, 'spec'>,
): Array<{ claimName: string; volume: string }> {
  const out: Array<{ claimName: string; volume: string }> = [];
  for (const v of vm.spec?.volumes ?? []) {
    const claimName = v.persistentVolumeClaim?.claimName;
    if (claimName) out.push({ claimName, volume: v.name });
  }
  return out;
}
