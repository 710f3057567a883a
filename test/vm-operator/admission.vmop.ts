// Admission, rule by rule, by the real VM Operator v1.10.0 webhooks: every key the restore
// modifier strips from a VirtualMachine or VirtualMachineGroup is refused when a backed-up
// object carrying it is created as Velero's (non-privileged) identity, if strip-rules.ts says
// VM Operator refuses it, and admitted once the modifier in config/ has applied. What no modifier
// can strip (functions/restore-fixer/test/webhook-refusals.ts) is refused with exactly the
// message recorded there, and the restore fixer's finding from that message names the VM, the
// field, the rule and what to do.
import assert from 'node:assert/strict';
import { rulesFor } from '../../functions/restore-fixer/strip-rules.ts';
import { setPath } from '../../functions/restore-fixer/test/dirty-objects.ts';
import type { StripRule } from '../../functions/restore-fixer/strip-rules.ts';
import { kubeAs } from '../harness/identity.ts';
import { asRestored } from '../../functions/velero/test/velero-create.ts';
import type { Kube, KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import { KubeApiError } from '../../functions/runtime/kube/kube.ts';
import { asKube, vm, vmg, vmMember } from '../../functions/vmgroup/test/builders.ts';
import { IMAGE_NAME, STORAGE_CLASS, VM_CLASS } from '../harness/vm-operator.ts';
import { VARIANT_PATHS } from '../../functions/restore-fixer/test/variant-paths.ts';
import type { VmOperatorPlane } from '../harness/vm-operator.ts';
import { vmOperatorPlane } from './plane.ts';
import { UNSTRIPPABLE_CASES } from '../../functions/restore-fixer/test/webhook-refusals.ts';
import { veleroErrorLine } from '../../functions/restore-fixer/test/webhook-refusals.ts';
import {
  refusalsOf,
  refusedEvent,
  refusedObjects,
} from '../../functions/restore-fixer/refusals.ts';
import { failedItems } from '../../functions/velero/restore-results.ts';
import { REASON_RESTORE_REFUSED } from '../../functions/vmgroup/names.ts';

/** What Velero needs to create what a group restore brings back, and no more. */
const VELERO_RULES = [
  {
    apiGroups: ['vmoperator.vmware.com'],
    resources: ['virtualmachines', 'virtualmachinegroups'],
    verbs: ['get', 'list', 'create', 'delete'],
  },
];

const SPEC_VALUES: Record<string, unknown> = {
  instanceUUID: '2f6b1f0e-6f0a-4c8e-9a57-3d2a1b8c9e01',
  biosUUID: '4210a9b1-07cc-1d5e-2f3a-9c8b7a6d5e4f',
  class: {
    apiVersion: 'vmoperator.vmware.com/v1alpha5',
    kind: 'VirtualMachineClassInstance',
    name: `${VM_CLASS}-8f3k2`,
  },
  currentSnapshotName: 'before-upgrade',
  nextRestartTime: '2026-08-01T10:00:00Z',
  nextForcePowerStateSyncTime: '2026-08-01T10:00:00.123456789Z',
  'bootOptions.bootOrder': [{ type: 'Disk', name: 'vm-disk' }],
};

/** Values as a running Supervisor leaves them (VM Operator validates their format). */
const ANNOTATION_VALUES: Record<string, string> = {
  'vmoperator.vmware.com.protected/apply-power-state-time': '2026-08-01T10:00:00.123456789Z',
  'vmoperator.vmware.com.protected/last-updated-power-state-time': '2026-08-01T10:00:00.123456789Z',
};
/** An administrator pauses a VM with a value (the webhook compares values; "" reads as unset). */
const LABEL_VALUES: Record<string, string> = {
  'vmoperator.vmware.com/paused': 'true',
  // A zone of the backed-up Supervisor that the target has not got.
  'topology.kubernetes.io/zone': 'zone-of-the-backup-site',
};

/** A backed-up object carrying exactly one stripped key (nothing else VM Operator refuses). */
function carrying(rule: StripRule, name: string, namespace: string): KubeObject {
  const base =
    rule.kind === 'VirtualMachine'
      ? asKube(
          vm(name, {
            namespace,
            powerState: 'PoweredOff',
            spec: { className: VM_CLASS, storageClass: STORAGE_CLASS },
          }),
        )
      : asKube(vmg(name, { namespace, bootOrder: [[vmMember(`${name}-member`)]] }));
  const o = structuredClone(base);
  const meta = o.metadata;
  if (rule.where === 'annotation')
    meta.annotations = { ...meta.annotations, [rule.key]: ANNOTATION_VALUES[rule.key] ?? 'old' };
  if (rule.where === 'annotationPrefix')
    meta.annotations = { ...meta.annotations, [`${rule.key}4210a9b1-07cc-1d5e`]: 'old' };
  if (rule.where === 'label')
    meta.labels = { ...meta.labels, [rule.key]: LABEL_VALUES[rule.key] ?? '' };
  if (rule.where === 'spec')
    setPath(
      (o as unknown as { spec: Record<string, unknown> }).spec,
      rule.key,
      SPEC_VALUES[rule.key] ?? 'old',
    );
  return o;
}

type Outcome = { admitted: true } | { admitted: false; status: number; message: string };

async function tryCreate(kube: Kube, obj: KubeObject): Promise<Outcome> {
  try {
    await kube.create(obj);
    return { admitted: true };
  } catch (err) {
    if (!(err instanceof KubeApiError)) throw err;
    return { admitted: false, status: err.status, message: err.message };
  }
}

/** The API server's Status message (what client-go's error says, and Velero records). */
const statusMessage = (kubeError: string) =>
  kubeError.slice(Math.max(kubeError.indexOf('admission webhook '), 0));

const RESTORE = {
  apiVersion: 'velero.io/v1',
  kind: 'Restore',
  metadata: { name: 'r1', namespace: 'velero' },
};

/** A clean backed-up VM as the admission baseline admits it. */
const cleanVm = (name: string, namespace: string) =>
  asKube(
    vm(name, {
      namespace,
      powerState: 'PoweredOff',
      spec: { className: VM_CLASS, storageClass: STORAGE_CLASS },
    }),
  ) as KubeObject & { spec: Record<string, unknown> };

/** strip-rules.ts's reason for keys only privileged users may set. */
const PRIVILEGED_ONLY = 'only privileged users may set it';
const item = (namespace: string) => ({ restore: 'r1', backup: 'b1', namespace });
const testable = (r: StripRule) =>
  r.by === 'modifier' && ['annotation', 'label', 'spec'].includes(r.where);

describe('VM Operator v1.10.0 admission of restored objects (real webhooks)', function () {
  let plane: VmOperatorPlane;
  let velero: Kube;
  let admin: Kube;
  let ns: string;
  let n = 0;
  const fresh = () => `obj-${++n}`;

  before(async function () {
    plane = await vmOperatorPlane();
    velero = await kubeAs(plane, 'velero', VELERO_RULES);
    const { createKube } = await import('../../functions/runtime/kube/kube.ts');
    admin = createKube(plane.kubeconfigPath);
    ns = await plane.newNamespace('admission');
    await plane.prepareNamespace(ns);
  });

  it('admits a clean backed-up VM and group from Velero (the baseline)', async function () {
    for (const kind of ['VirtualMachine', 'VirtualMachineGroup'] as const) {
      const clean = carrying(
        { kind, where: 'annotation', key: 'example.com/unrelated' } as StripRule,
        fresh(),
        ns,
      );
      assert.deepEqual(
        await tryCreate(velero, asRestored(clean, { ...item(ns), modifier: false })),
        {
          admitted: true,
        },
      );
    }
  });

  for (const kind of ['VirtualMachine', 'VirtualMachineGroup'] as const)
    for (const rule of rulesFor(kind).filter(testable))
      it(`${kind} ${rule.where} ${rule.key}: ${rule.effect === 'rejected' ? 'refused' : 'admitted'} as backed up, admitted after the modifier`, async function () {
        const backedUp = carrying(rule, fresh(), ns);
        const raw = await tryCreate(velero, asRestored(backedUp, { ...item(ns), modifier: false }));
        if (rule.effect === 'rejected') {
          assert.equal(raw.admitted, false, `VM Operator admitted ${rule.key} from Velero`);
          if (!raw.admitted) {
            assert.ok(raw.status >= 400 && raw.status < 500, `status ${raw.status}`);
            assert.match(
              raw.message,
              /admission webhook "default\.(validating|mutating)\.virtualmachine(group)?\.v1alpha5\.vmoperator\.vmware\.com" denied/,
            );
            // Velero records this; the fixer tells the user the modifier strips it.
            const found = refusalsOf(
              {
                resource: `${kind.toLowerCase()}s.vmoperator.vmware.com`,
                namespace: ns,
                name: backedUp.metadata.name,
                error: statusMessage(raw.message),
              },
              { ...RESTORE, spec: { backupName: 'b1' } },
            );
            assert.ok(found.length > 0, `no finding in ${raw.message}`);
            for (const f of found)
              assert.match(f.remedy, /--resource-modifier-configmap /, `${f.field}: ${f.remedy}`);
          }
        } else {
          assert.deepEqual(raw, { admitted: true });
        }
        const stripped = { ...backedUp, metadata: { ...backedUp.metadata, name: fresh() } };
        assert.deepEqual(await tryCreate(velero, asRestored(stripped, item(ns))), {
          admitted: true,
        });
      });

  for (const c of UNSTRIPPABLE_CASES)
    it(`VirtualMachine with ${c.title}: refused by ${c.rule} after the modifier, and the fixer's finding names VM, field and remedy`, async function () {
      const name = fresh();
      const backedUp = cleanVm(name, ns);
      c.apply(backedUp);
      // The modifier applied (as a correct restore does): what is left is not strippable.
      const outcome = await tryCreate(velero, asRestored(backedUp, item(ns)));
      assert.equal(outcome.admitted, false, `VM Operator admitted the ${c.title} from Velero`);
      if (outcome.admitted) return;
      assert.equal(outcome.status, 422);
      const message = statusMessage(outcome.message);
      assert.equal(message, c.message, 'the message recorded in webhook-refusals.ts');
      // What the fixer makes of it, read from Velero's results line for that create.
      const restore = { ...RESTORE, spec: { backupName: 'b1' } };
      const results = {
        warnings: {},
        errors: { namespaces: { [ns]: [veleroErrorLine(ns, name, message)] } },
      };
      const objects = refusedObjects(failedItems(results), restore);
      assert.equal(objects.length, 1);
      assert.deepEqual(
        objects[0]!.map((r) => [r.kind, r.namespace, r.name, r.field, r.rule]),
        [['VirtualMachine', ns, name, c.field, c.rule]],
      );
      const event = refusedEvent(restore, objects[0]!);
      assert.equal(event.reason, REASON_RESTORE_REFUSED);
      assert.ok(event.message.includes(`VirtualMachine ${ns}/${name}`), event.message);
      assert.ok(event.message.includes(c.field), event.message);
      assert.match(event.message, /To do: [^.]*(create the VM|privileged user)/);
      // Privileged-only or refused for everyone, as the remedy says.
      const privileged = await tryCreate(
        admin,
        asRestored({ ...backedUp, metadata: { ...backedUp.metadata, name: fresh() } }, item(ns)),
      );
      assert.equal(privileged.admitted, c.privilegedMayCreate, JSON.stringify(privileged));
    });

  it("image-by-name variant: a VM naming another Supervisor's image is admitted by its display name, resolved to the target's image", async function () {
    // As backed up elsewhere: spec.image names that Supervisor's hashed image object, spec.imageName
    // the display name the target's image has too (the plane's image is `vmop-image`).
    const backedUp = cleanVm(fresh(), ns);
    backedUp.spec['image'] = { kind: 'VirtualMachineImage', name: 'vmi-fedcba9876543210f' };
    backedUp.spec['imageName'] = 'vmop-image';
    const byDefault = await tryCreate(velero, asRestored(backedUp, item(ns)));
    assert.equal(byDefault.admitted, false, 'the default modifier keeps the foreign spec.image');
    const variant = { ...item(ns), modifierConfigMap: VARIANT_PATHS['image-by-name'] };
    const restored = asRestored(
      { ...backedUp, metadata: { ...backedUp.metadata, name: fresh() } },
      variant,
    );
    assert.deepEqual(await tryCreate(velero, restored), { admitted: true });
    const stored = await admin.get<KubeObject & { spec: { image?: { name?: string } } }>({
      apiVersion: restored.apiVersion,
      kind: 'VirtualMachine',
      namespace: ns,
      name: restored.metadata.name,
    });
    assert.equal(stored?.spec.image?.name, IMAGE_NAME, "VM Operator resolved the target's image");
    // Without a display name the variant leaves an image-less VM, which VM Operator refuses.
    const nameless = cleanVm(fresh(), ns);
    nameless.spec['image'] = { kind: 'VirtualMachineImage', name: 'vmi-fedcba9876543210f' };
    delete nameless.spec['imageName'];
    const refused = await tryCreate(velero, asRestored(nameless, variant));
    assert.equal(refused.admitted, false);
    if (!refused.admitted) assert.match(refused.message, /spec\.image/);
  });

  it('admits every key refused as privileged-only from a privileged identity', async function () {
    for (const kind of ['VirtualMachine', 'VirtualMachineGroup'] as const)
      for (const rule of rulesFor(kind).filter((r) => testable(r) && r.why === PRIVILEGED_ONLY)) {
        const obj = asRestored(carrying(rule, fresh(), ns), { ...item(ns), modifier: false });
        const outcome = await tryCreate(admin, obj);
        assert.deepEqual(outcome, { admitted: true }, `${kind} ${rule.key}`);
      }
  });
});
