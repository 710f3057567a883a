// Pure: can a restored VM start in its target namespace (issue 15.2)? A Velero-restored VM is
// deployed anew from what it names, so the target must offer each of those; this says which is
// missing and the command that fixes it. What VM Operator v1.10.0 requires, by kind:
// - image: spec.image {kind, name} names a namespaced VirtualMachineImage or a
//   ClusterVirtualMachineImage by object name (a hash of the content-library item, so it differs
//   between Supervisors); the VM waits with VirtualMachineImageReady false when it is absent or
//   not Ready. spec.imageName (a display name, status.name of an image) is resolved on create by
//   the mutating webhook (ResolveImageNameOnCreate) and must name the same image as spec.image.
// - class: VirtualMachineClass is namespaced since v1alpha2 (VirtualMachineClassBinding is
//   v1alpha1 only); "bound to the namespace" means the class object exists in the namespace.
// - storage class: it must exist and be assigned to the namespace, which the validating webhook
//   checks as a ResourceQuota hard key `<class>.storageclass.storage.k8s.io/...`
//   (pkg/util/kube/spq IsStorageClassInNamespace; Supervisors with PodVMOnStretchedSupervisor use
//   StoragePolicyQuota instead, which this check does not read).
// - encryption class: spec.crypto.encryptionClassName names an EncryptionClass
//   (encryption.vmware.com) in the namespace.

export interface RestoredVmSpec {
  name: string;
  spec?: {
    image?: { kind?: string; name?: string };
    imageName?: string;
    className?: string;
    storageClass?: string;
    crypto?: { encryptionClassName?: string };
  };
}

export interface TargetImage {
  name: string;
  /** status.name: the display name. */
  displayName?: string;
  ready?: boolean;
}

/** What the target namespace offers, as read by the handler (get/list only). */
export interface Target {
  namespace: string;
  images: TargetImage[];
  clusterImages: TargetImage[];
  classes: string[];
  storageClasses: string[];
  /** Every ResourceQuota hard key in the namespace. */
  quotaKeys: string[];
  encryptionClasses: string[];
}

export interface Lack {
  what: 'image' | 'class' | 'storage class' | 'encryption class';
  name: string;
  problem: string;
  /** What to do, with the command where there is one. */
  fix: string;
}

const STORAGE_QUOTA_INFIX = '.storageclass.storage.k8s.io/';

export function preflight(vm: RestoredVmSpec, t: Target): Lack[] {
  const out: Lack[] = [];
  const s = vm.spec ?? {};
  const ns = t.namespace;

  const ref = s.image;
  if (ref?.name) {
    const cluster = ref.kind === 'ClusterVirtualMachineImage';
    const found = (cluster ? t.clusterImages : t.images).find((i) => i.name === ref.name);
    const byDisplay = s.imageName
      ? [...t.images, ...t.clusterImages].filter((i) => i.displayName === s.imageName)
      : [];
    const hint =
      byDisplay.length === 1
        ? `; image "${s.imageName}" here is ${byDisplay[0]!.name}: restore again with spec.image removed and spec.imageName kept (VM Operator's webhook resolves a display name on create), or with spec.image.name ${byDisplay[0]!.name}`
        : `; list what this namespace offers: kubectl get vmi -n ${ns}; kubectl get cvmi`;
    if (!found)
      out.push({
        what: 'image',
        name: `${ref.kind ?? 'VirtualMachineImage'}/${ref.name}`,
        problem: `not found${cluster ? '' : ` in namespace ${ns}`} (image names are hashes of content-library items and differ between Supervisors)`,
        fix: `associate the content library that holds it with namespace ${ns}${hint}`,
      });
    else if (found.ready === false)
      out.push({
        what: 'image',
        name: `${ref.kind ?? 'VirtualMachineImage'}/${ref.name}`,
        problem: 'exists but is not Ready',
        fix: `kubectl describe ${cluster ? 'cvmi' : `vmi -n ${ns}`} ${ref.name}`,
      });
  }

  if (s.className && !t.classes.includes(s.className))
    out.push({
      what: 'class',
      name: s.className,
      problem: `VirtualMachineClass not available in namespace ${ns}`,
      fix: `bind the class to the namespace (vSphere Client: the namespace's VM Service, Manage VM classes), then check: kubectl get vmclass -n ${ns} ${s.className}`,
    });

  if (s.storageClass) {
    if (!t.storageClasses.includes(s.storageClass))
      out.push({
        what: 'storage class',
        name: s.storageClass,
        problem: 'StorageClass does not exist',
        fix: `add the storage policy to namespace ${ns}, or map it on restore (Velero's change-storage-class-config ConfigMap); check: kubectl get storageclass`,
      });
    else if (!t.quotaKeys.some((k) => k.startsWith(s.storageClass + STORAGE_QUOTA_INFIX)))
      out.push({
        what: 'storage class',
        name: s.storageClass,
        problem: `not assigned to namespace ${ns} (no ResourceQuota entry ${s.storageClass}${STORAGE_QUOTA_INFIX}...)`,
        fix: `add the storage policy to namespace ${ns}; check: kubectl get resourcequota -n ${ns} -o yaml`,
      });
  }

  const enc = s.crypto?.encryptionClassName;
  if (enc && !t.encryptionClasses.includes(enc))
    out.push({
      what: 'encryption class',
      name: enc,
      problem: `EncryptionClass not found in namespace ${ns}`,
      fix: `create it (kubectl get encryptionclass -n <source namespace> ${enc} -o yaml, then apply it in ${ns} with the target's key provider)`,
    });
  return out;
}

/** One line for an Event or a `blocked` reason. */
export function describeLack(vm: string, l: Lack): string {
  return `VM ${vm}: ${l.what} ${l.name} ${l.problem}; ${l.fix}`;
}

/** Which of the target's kinds a set of VMs names, so the handler lists only those. */
export interface Lookups {
  images: boolean;
  clusterImages: boolean;
  classes: boolean;
  storage: boolean;
  encryptionClasses: boolean;
}

export function lookupsFor(vms: readonly RestoredVmSpec[]): Lookups {
  const specs = vms.map((v) => v.spec ?? {});
  const imageKinds = specs.filter((s) => s.image?.name).map((s) => s.image?.kind);
  // A display name may be offered by either kind: both are listed for the hint.
  const byDisplay = specs.some((s) => s.image?.name && s.imageName);
  return {
    images: byDisplay || imageKinds.some((k) => k !== 'ClusterVirtualMachineImage'),
    clusterImages: byDisplay || imageKinds.includes('ClusterVirtualMachineImage'),
    classes: specs.some((s) => s.className),
    storage: specs.some((s) => s.storageClass),
    encryptionClasses: specs.some((s) => s.crypto?.encryptionClassName),
  };
}

export function anyLookup(l: Lookups): boolean {
  return Object.values(l).some(Boolean);
}

/** An image object (VirtualMachineImage or ClusterVirtualMachineImage, v1alpha5) as the check reads it. */
export function imageOf(obj: {
  metadata: { name: string };
  status?: { name?: string; conditions?: Array<{ type?: string; status?: string }> };
}): TargetImage {
  const ready = obj.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  return {
    name: obj.metadata.name,
    ...(obj.status?.name ? { displayName: obj.status.name } : {}),
    ...(ready === 'True' ? { ready: true } : ready === 'False' ? { ready: false } : {}),
  };
}

/** The fields the check reads, from a VirtualMachine object (v1alpha5 and v1alpha6 alike). */
export function restoredVmSpec(vm: { metadata: { name: string }; spec?: object }): RestoredVmSpec {
  return {
    name: vm.metadata.name,
    ...(vm.spec ? { spec: vm.spec as RestoredVmSpec['spec'] } : {}),
  };
}
