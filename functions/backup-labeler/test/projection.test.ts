// What the labeler keeps of a listed object (projection.ts) must answer every reader exactly as the
// whole object does. Objects are generated from the pinned VM Operator CRDs' own schemas (every
// served version), so a field the projection forgot, or one a reader starts to read, fails here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { KubeObject } from '../../runtime/kube/kube-api.ts';
import type { VirtualMachine } from '../../../schemas/generated/objects/virtualmachine.ts';
import type { VirtualMachineGroup } from '../../../schemas/generated/objects/virtualmachinegroup.ts';
import { appRefsOf, imageOf, restoreFidelity } from '../../vmgroup/app-objects.ts';
import { bootstrapRefs, volumeClaims } from '../../vmgroup/bootstrap-refs.ts';
import {
  capturedNetwork,
  capturedPowerState,
  capturesFrozen,
} from '../../vmgroup/captured-state.ts';
import {
  ANNOTATION_CAPTURED_NETWORK,
  ANNOTATION_LABELLED_INPUTS,
  ANNOTATION_RESTORE_RELEASED,
  VELERO_RESTORE_NAME_LABEL,
  memberLabelKey,
} from '../../vmgroup/names.ts';
import { findGo } from '../../../scripts/binaries/go-toolchain.ts';
import { loadVersions } from '../../../scripts/binaries/versions.ts';
import { upstreamCrds } from '../../../test/harness/crd-sources.ts';
import { arbitraryOf } from '../../../test/contract/openapi-arbitrary.ts';
import type { OpenApi } from '../../../test/contract/openapi-arbitrary.ts';
import { fingerprint, updateNeedsReconcile } from '../fingerprint.ts';
import { planNamespace } from '../plan.ts';
import type { LiveNamespace } from '../plan.ts';
import { keptGroup, keptMeta, keptPvc, keptService, keptVersion, keptVm } from '../projection.ts';

interface Served {
  apiVersion: string;
  vm: OpenApi;
  vmg: OpenApi;
}

const GROUPS = ['g0', 'g1'];
const VMS = ['vm-0', 'vm-1', 'vm-2'];
const NAME = fc.constantFrom('boot', 'vm-0', 'disk-0', 'disk-1', 'svc', 'pol');

/** Labels and annotations a labelled, possibly restored, object may carry: ours and others'. */
const metadataArb = (name: string) =>
  fc
    .record({
      labels: fc.dictionary(
        fc.constantFrom('app', 'tier', memberLabelKey('g0'), VELERO_RESTORE_NAME_LABEL),
        fc.constantFrom('web', 'db', 'VirtualMachine', 'r1'),
        { maxKeys: 3 },
      ),
      annotations: fc.dictionary(
        fc.constantFrom(
          ANNOTATION_LABELLED_INPUTS,
          ANNOTATION_CAPTURED_NETWORK,
          ANNOTATION_RESTORE_RELEASED,
          'kubectl.kubernetes.io/last-applied-configuration',
          'example.com/note',
        ),
        fc.constantFrom('r1', '{"version":1,"interfaces":[]}', 'x'),
        { maxKeys: 3 },
      ),
      resourceVersion: fc.constant('7'),
      managedFields: fc.constant([{ manager: 'kubectl', operation: 'Update', fieldsV1: {} }]),
      uid: fc.constant('u-1'),
    })
    .map((m) => ({ ...m, name, namespace: 'apps' }));

/** A stored object of the CRD schema: its own spec/status, our metadata, a few names to link. */
function objectArb(
  schema: OpenApi,
  apiVersion: string,
  kind: string,
  name: string,
): fc.Arbitrary<KubeObject> {
  // Names that link the generated objects to each other, so closures are not all empty.
  const names: Record<string, fc.Arbitrary<unknown>> = {
    'spec.groupName': fc.constantFrom(...GROUPS, ''),
    'spec.bootOrder[].members[].name': fc.constantFrom(...VMS, ...GROUPS),
    'spec.volumes[].persistentVolumeClaim.claimName': NAME,
    'spec.bootstrap.cloudInit.rawCloudConfig.name': NAME,
  };
  return fc
    .tuple(arbitraryOf(schema, { maxDepth: 10, maxItems: 2, overrides: names }), metadataArb(name))
    .map(([body, metadata]) => ({
      ...(body as Record<string, unknown>),
      apiVersion,
      kind,
      metadata,
    }));
}

describe('what the labeler keeps of a listed object', function () {
  this.timeout(300_000);
  const served: Served[] = [];
  before(async function () {
    const go = findGo(process.env);
    if (!go) throw new Error('the pinned CRDs come from the Go module cache: install Go >= 1.26');
    const crds = await upstreamCrds(loadVersions(), go, process.env);
    const crd = (name: string) => crds.find((c) => c.metadata.name === name)!;
    const vms = crd('virtualmachines.vmoperator.vmware.com');
    const vmgs = crd('virtualmachinegroups.vmoperator.vmware.com');
    const schemaOf = (c: typeof vms, version: string): OpenApi | undefined =>
      (
        c.spec.versions.find((v) => v.name === version)?.['schema'] as
          { openAPIV3Schema: OpenApi } | undefined
      )?.openAPIV3Schema;
    for (const version of ['v1alpha5', 'v1alpha6']) {
      const vm = schemaOf(vms, version);
      const vmg = schemaOf(vmgs, version);
      if (vm && vmg) served.push({ apiVersion: `vmoperator.vmware.com/${version}`, vm, vmg });
    }
    assert.ok(served.length >= 1, 'no v1alpha5/v1alpha6 schemas in the pinned CRDs');
  });

  it('every reader answers the same for the kept VM as for the whole one', () => {
    const seen = { refs: 0, claims: 0, network: 0, image: 0 };
    for (const s of served) {
      const vm = objectArb(s.vm, s.apiVersion, 'VirtualMachine', 'vm-0');
      const services = fc.array(
        fc.record({
          metadata: fc.record({ name: NAME }),
          spec: fc.record({ selector: fc.dictionary(fc.constantFrom('app', 'tier'), NAME) }),
        }),
        { maxLength: 2 },
      );
      fc.assert(
        fc.property(vm, services, (whole, svcs) => {
          const kept = keptVm(whole) as unknown as VirtualMachine;
          const w = whole as unknown as VirtualMachine;
          const claims = volumeClaims(w).map((c) => c.claimName);
          const inputs = { bootstrap: [], pvcs: claims.slice(1), pvcStorageClasses: new Map() };
          const readers = (v: VirtualMachine) => ({
            refs: bootstrapRefs(v),
            claims: volumeClaims(v),
            network: capturedNetwork(v),
            power: capturedPowerState(v),
            frozen: capturesFrozen(v.metadata),
            apps: appRefsOf(v, svcs),
            image: imageOf(v),
            fidelity: restoreFidelity(v, inputs),
            fingerprint: fingerprint(v, v.metadata.labels),
            update: updateNeedsReconcile(v),
          });
          assert.deepEqual(readers(kept), readers(w));
          seen.refs += bootstrapRefs(w).length > 0 ? 1 : 0;
          seen.claims += claims.length > 0 ? 1 : 0;
          seen.network += capturedNetwork(w) ? 1 : 0;
          seen.image += imageOf(w) ? 1 : 0;
        }),
        { numRuns: 300 },
      );
    }
    // Not vacuous: the generated VMs exercised each reader with something to find.
    for (const [what, n] of Object.entries(seen)) assert.ok(n > 10, `only ${n} VMs with ${what}`);
  });

  it('plans a namespace exactly as from the whole objects', () => {
    for (const s of served) {
      const vms = fc.tuple(...VMS.map((n) => objectArb(s.vm, s.apiVersion, 'VirtualMachine', n)));
      const groups = fc.tuple(
        ...GROUPS.map((n) => objectArb(s.vmg, s.apiVersion, 'VirtualMachineGroup', n)),
      );
      const plain = (kind: string) =>
        fc.array(
          NAME.chain((n) =>
            metadataArb(n).map((metadata) => ({
              apiVersion: 'v1',
              kind,
              metadata,
              spec: { storageClassName: 'gold', accessModes: ['ReadWriteOnce'] },
              data: { big: 'x'.repeat(100) },
            })),
          ),
          { maxLength: 3 },
        );
      fc.assert(
        fc.property(
          vms,
          groups,
          plain('ConfigMap'),
          plain('PersistentVolumeClaim'),
          (v, g, c, p) => {
            const whole: LiveNamespace = {
              namespace: 'apps',
              groups: g as unknown as VirtualMachineGroup[],
              vms: v as unknown as VirtualMachine[],
              configMaps: c,
              pvcs: p,
            };
            const kept: LiveNamespace = {
              namespace: 'apps',
              groups: g.map(keptGroup) as unknown as VirtualMachineGroup[],
              vms: v.map(keptVm) as unknown as VirtualMachine[],
              configMaps: c.map(keptMeta),
              pvcs: p.map(keptPvc),
            };
            assert.deepEqual(planNamespace(kept), planNamespace(whole));
          },
        ),
        { numRuns: 150 },
      );
    }
  });

  it('keeps of the 17 KiB fixture VM only what is read, and of others their metadata', () => {
    const fixture = JSON.parse(
      readFileSync(new URL('../../../bench/fixtures/virtualmachine.json', import.meta.url), 'utf8'),
    ) as KubeObject & { spec: Record<string, unknown>; status: Record<string, unknown> };
    const kept = keptVm(fixture) as KubeObject & {
      spec: Record<string, unknown>;
      status: Record<string, unknown>;
    };
    assert.equal(kept.metadata.managedFields, undefined);
    assert.deepEqual(Object.keys(kept.status), ['network']);
    assert.equal(kept.spec.instanceUUID, undefined);
    assert.deepEqual(
      kept.spec.volumes,
      (fixture.spec.volumes as unknown[]).map((v) => {
        const { name, persistentVolumeClaim } = v as {
          name: string;
          persistentVolumeClaim?: { claimName?: string };
        };
        return persistentVolumeClaim
          ? { name, persistentVolumeClaim: { claimName: persistentVolumeClaim.claimName } }
          : { name };
      }),
    );
    assert.ok(JSON.stringify(kept).length < JSON.stringify(fixture).length / 2);
    const svc = keptService({
      apiVersion: 'vmoperator.vmware.com/v1alpha5',
      kind: 'VirtualMachineService',
      metadata: { name: 's', namespace: 'apps', managedFields: [] },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    });
    assert.deepEqual(svc.spec, { selector: { app: 'web' } });
    assert.deepEqual(keptVersion(fixture).metadata, {
      name: fixture.metadata.name,
      namespace: fixture.metadata.namespace,
      resourceVersion: fixture.metadata.resourceVersion,
    });
  });
});
