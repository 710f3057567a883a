// What the labeler keeps of each listed object (issue 18): exactly the fields its decisions read,
// applied per page by the Kube adapter (ListOptions.project), so a resync over 10,000 VMs of
// ~17 KiB (managedFields ~6.6 KiB, status ~6 KiB) holds one page whole at a time and a few KiB of
// each other VM. The readers, and what of an object each one looks at:
//  - plan.ts, fingerprint.ts: name, namespace, resourceVersion, every label (services select on
//    them, the fingerprint hashes them), and our own annotations (`vmgroup-backup.dev/...`: the
//    captures, the labelled inputs, the Secret record, the restore-released mark);
//  - closure.ts: spec.groupName, a group's spec.bootOrder[].members[].{kind,name};
//  - bootstrap-refs.ts: the Secret/ConfigMap references under spec.bootstrap (not inline content);
//    volumeClaims / restoreFidelity (app-objects.ts): spec.volumes[].{name,
//    persistentVolumeClaim.claimName}, spec.{image.{kind,name}, imageName, className,
//    storageClass, crypto.encryptionClassName, reserved.resourcePolicyName};
//  - captured-state.ts: spec.powerState, spec.network.{hostName, interfaces[]}, status.network.
// A field not named here is never read by the labeler (test/projection.test.ts proves it on
// objects generated from the pinned CRDs' schemas): adding a reader means adding its field.
// Values are kept as they are (null, wrong types) wherever a reader could tell them apart.

import type { KubeObject } from '../runtime/kube/kube-api.ts';
import { PREFIX } from '../vmgroup/names.ts';

/**
 * A `{name, key}` Secret selector where a string may stand instead (cloud-init write_files content,
 * inline or by reference): only an object's name is ever read, so inline text is not kept.
 */
const SELECTOR_OR_TEXT = Symbol('selector-or-text');

/**
 * `true` keeps the value whole; an object keeps those keys; `[shape]` maps an array's items;
 * SELECTOR_OR_TEXT as above.
 */
type Shape = true | typeof SELECTOR_OR_TEXT | { readonly [key: string]: Shape } | readonly [Shape];

const SELECTOR = { name: true } as const;

const BOOTSTRAP = {
  cloudInit: {
    cloudConfig: {
      users: [{ hashed_passwd: SELECTOR, passwd: SELECTOR }],
      write_files: [{ content: SELECTOR_OR_TEXT }],
    },
    rawCloudConfig: SELECTOR,
  },
  sysprep: {
    sysprep: {
      userData: { productID: SELECTOR },
      guiUnattended: { password: SELECTOR },
      identification: { domainAdminPassword: SELECTOR },
      scriptText: { from: SELECTOR },
    },
    rawSysprep: SELECTOR,
  },
  linuxPrep: { password: SELECTOR, scriptText: { from: SELECTOR } },
  vAppConfig: { properties: [{ value: { from: SELECTOR } }], rawProperties: true },
} as const;

const VM_SPEC = {
  groupName: true,
  powerState: true,
  bootstrap: BOOTSTRAP,
  volumes: [{ name: true, persistentVolumeClaim: { claimName: true } }],
  network: {
    hostName: true,
    interfaces: [
      {
        name: true,
        addresses: true,
        macAddr: true,
        gateway4: true,
        gateway6: true,
        dhcp4: true,
        dhcp6: true,
        nameservers: true,
        searchDomains: true,
      },
    ],
  },
  image: { kind: true, name: true },
  imageName: true,
  className: true,
  storageClass: true,
  crypto: { encryptionClassName: true },
  reserved: { resourcePolicyName: true },
} as const;

const VM_STATUS = {
  network: {
    primaryIP4: true,
    primaryIP6: true,
    hostName: true,
    config: {
      interfaces: [
        {
          name: true,
          ip: {
            addresses: true,
            gateway4: true,
            gateway6: true,
            dhcp: { ip4: { enabled: true }, ip6: { enabled: true } },
          },
          dns: { nameservers: true, searchDomains: true },
        },
      ],
    },
    interfaces: [{ name: true, ip: { addresses: [{ address: true }], macAddr: true } }],
  },
} as const;

const GROUP_SPEC = {
  groupName: true,
  powerState: true,
  bootOrder: [{ members: [{ kind: true, name: true }] }],
} as const;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

function keep(value: unknown, shape: Shape): unknown {
  if (shape === true) return value;
  if (shape === SELECTOR_OR_TEXT) return isPlainObject(value) ? keep(value, SELECTOR) : undefined;
  if (Array.isArray(shape)) {
    return Array.isArray(value) ? value.map((v: unknown) => keep(v, shape[0])) : value;
  }
  // A value of another type than the schema's is kept whole: readers tell it apart as it is.
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, sub] of Object.entries(shape as Record<string, Shape>)) {
    if (!Object.hasOwn(value, k)) continue;
    const kept = keep(value[k], sub);
    if (kept !== undefined) out[k] = kept;
  }
  return out;
}

function keptMetadata(meta: KubeObject['metadata']): KubeObject['metadata'] {
  const out: KubeObject['metadata'] = { name: meta.name };
  if (meta.namespace !== undefined) out.namespace = meta.namespace;
  if (meta.resourceVersion !== undefined) out.resourceVersion = meta.resourceVersion;
  if (meta.labels !== undefined) out.labels = meta.labels;
  if (meta.annotations !== undefined) {
    const ours = Object.entries(meta.annotations).filter(([k]) => k.startsWith(PREFIX));
    if (ours.length > 0) out.annotations = Object.fromEntries(ours);
  }
  return out;
}

function project(o: KubeObject, fields: Record<string, Shape>): KubeObject {
  const out: KubeObject = {
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: keptMetadata(o.metadata),
  };
  for (const [k, shape] of Object.entries(fields))
    if (Object.hasOwn(o, k)) out[k] = keep(o[k], shape);
  return out;
}

/** A VirtualMachine as the labeler decides from it. */
export const keptVm = (o: KubeObject): KubeObject =>
  project(o, { spec: VM_SPEC, status: VM_STATUS });

/** A VirtualMachineGroup as the labeler decides from it. */
export const keptGroup = (o: KubeObject): KubeObject => project(o, { spec: GROUP_SPEC });

/** A PVC: names and labels, and its storage class for the restore-fidelity summary. */
export const keptPvc = (o: KubeObject): KubeObject =>
  project(o, { spec: { storageClassName: true } });

/** A VirtualMachineService: its selector picks members. */
export const keptService = (o: KubeObject): KubeObject => project(o, { spec: { selector: true } });

/** Anything else the labeler lists (ConfigMaps, policies, encryption classes): metadata only. */
export const keptMeta = (o: KubeObject): KubeObject => project(o, {});

/** Names and resourceVersions only: the after-write check compares nothing else. */
export const keptVersion = (o: KubeObject): KubeObject => ({
  apiVersion: o.apiVersion,
  kind: o.kind,
  metadata: {
    name: o.metadata.name,
    ...(o.metadata.namespace !== undefined ? { namespace: o.metadata.namespace } : {}),
    ...(o.metadata.resourceVersion !== undefined
      ? { resourceVersion: o.metadata.resourceVersion }
      : {}),
  },
});
