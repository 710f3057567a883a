// One real event per function for the image test: the objects it needs on the control plane, the
// event as ApiServerSource sends it, and the write it must make. Each scenario is the smallest
// case of the function's own integration test (same builders), run here against the function
// inside the image. A function the config deploys without a scenario here fails the image test.
import assert from 'node:assert/strict';
import type { InboundEvent } from '../../functions/runtime/function.ts';
import type { Kube, KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import {
  ANNOTATION_BACKUP_CLOSURE,
  ANNOTATION_BACKUP_VERIFICATION,
  ANNOTATION_DATA_PROGRESS,
  ANNOTATION_GUARD_REPORTED,
  ANNOTATION_RESTORE_RELEASED,
  EVENT_TYPE_BACKUP_VERIFIED,
  EVENT_TYPE_DATA_LANDED,
  EVENT_TYPE_GUARD_RESTRICTED,
  RESOURCE_MODIFIER_CONFIGMAP,
  memberLabelKey,
} from '../../functions/vmgroup/names.ts';
import { asKube, groupFixture, vm } from '../../functions/vmgroup/test/builders.ts';
import { restoreObject, veleroCreate } from '../../functions/velero/test/velero-create.ts';
import { dirtyPvc } from '../../functions/restore-fixer/test/dirty-objects.ts';
import { apiServerEvent } from '../support/cloudevents.ts';
import { formatClosureRecord } from '../../functions/vmgroup/closure-record.ts';
import { veleroStandIn } from './velero-stand-in.ts';
import { dataUploadFor } from '../../functions/velero/test/velero-stand-ins.ts';

export interface ScenarioContext {
  admin: Kube;
  /** The config's namespaces (the test plane is this run's own). */
  veleroNs: string;
  /** A fresh namespace for the application's objects. */
  appNs: string;
}

export interface Prepared {
  event: InboundEvent;
  /** The reply's CloudEvent type, or undefined for a 2xx without one. */
  replyType?: string;
  /** The `resource` label of vmgroup_kube_api_calls_total{verb="patch"} the event must raise. */
  patched: string;
  /** Reads the live object(s) back from the API server and asserts the write landed. */
  verify(): Promise<void>;
  /** Stops what the scenario started besides objects (stand-ins), whatever happened. */
  cleanup?(): Promise<void>;
}

export type Scenario = (ctx: ScenarioContext) => Promise<Prepared>;

const live = async (admin: Kube, ref: Parameters<Kube['get']>[0]): Promise<KubeObject> => {
  const o = await admin.get<KubeObject>(ref);
  assert.ok(o, `${ref.kind} ${ref.namespace}/${ref.name} exists`);
  return o;
};

export const SCENARIOS: Readonly<Record<string, Scenario>> = {
  // A Backup naming a restricted kind: the guard records its report on the Backup.
  'backup-guard': async ({ admin, veleroNs, appNs }) => {
    const b = await admin.create<KubeObject>({
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: { name: `image-guard-${appNs}`, namespace: veleroNs },
      spec: { includedNamespaces: [appNs], includedResources: ['machines.cluster.x-k8s.io'] },
    });
    return {
      event: apiServerEvent('add', b),
      replyType: EVENT_TYPE_GUARD_RESTRICTED,
      patched: 'backups.velero.io',
      async verify() {
        const o = await live(admin, { ...ref(b), namespace: veleroNs });
        assert.ok(o.metadata.annotations?.[ANNOTATION_GUARD_REPORTED], 'guard report annotation');
      },
    };
  },
  // A new group: the labeler puts the membership label on its VM.
  'backup-labeler': async ({ admin, appNs }) => {
    const objects = groupFixture('app', 1, { pvcsPerVm: 1, namespace: appNs });
    let group: KubeObject | undefined;
    for (const o of objects) {
      const created = await admin.create<KubeObject>(o);
      if (o.kind === 'VirtualMachineGroup') group = created;
    }
    return {
      event: apiServerEvent('add', group!),
      patched: 'virtualmachines.vmoperator.vmware.com',
      async verify() {
        const v = await live(admin, {
          apiVersion: 'vmoperator.vmware.com/v1alpha5',
          kind: 'VirtualMachine',
          namespace: appNs,
          name: 'app-vm-0',
        });
        assert.equal(v.metadata.labels?.[memberLabelKey('app')], 'VirtualMachine');
      },
    };
  },
  // A Backup covering one group reached Completed: the verifier reads its item list through a
  // DownloadRequest of its own (answered by the stand-in controller, served by the stand-in store),
  // records "verified" on the Backup and deletes the request.
  'backup-verifier': async ({ admin, veleroNs, appNs }) => {
    const name = `image-verify-${appNs}`;
    const velero = await veleroStandIn(
      admin,
      veleroNs,
      new Map([
        [
          name,
          {
            'vmoperator.vmware.com/v1alpha5/VirtualMachineGroup': [`${appNs}/app`],
            'vmoperator.vmware.com/v1alpha5/VirtualMachine': [`${appNs}/app-vm-0`],
            'v1/Namespace': [appNs],
          },
        ],
      ]),
    );
    try {
      await admin.create({
        apiVersion: 'velero.io/v1',
        kind: 'BackupStorageLocation',
        metadata: { name, namespace: veleroNs },
        spec: { provider: 'aws', objectStorage: { bucket: 'bucket' } },
      });
      const closure = formatClosureRecord([
        {
          namespace: appNs,
          name: 'app',
          objects: [
            { kind: 'VirtualMachineGroup', name: 'app' },
            { kind: 'VirtualMachine', name: 'app-vm-0' },
          ],
          cut: [],
        },
      ]);
      const b = await admin.create<KubeObject>({
        apiVersion: 'velero.io/v1',
        kind: 'Backup',
        metadata: {
          name,
          namespace: veleroNs,
          annotations: { [ANNOTATION_BACKUP_CLOSURE]: closure },
        },
        spec: { includedNamespaces: [appNs], storageLocation: name },
        status: { phase: 'Completed' },
      });
      return {
        event: apiServerEvent('update', b),
        replyType: EVENT_TYPE_BACKUP_VERIFIED,
        patched: 'backups.velero.io',
        async verify() {
          const o = await live(admin, { ...ref(b), namespace: veleroNs });
          const recorded = JSON.parse(
            o.metadata.annotations?.[ANNOTATION_BACKUP_VERIFICATION] ?? '{}',
          ) as { state?: string };
          assert.equal(recorded.state, 'verified', `stand-in: ${velero.error?.message ?? 'ok'}`);
          const drs = [...velero.seen.values()];
          assert.deepEqual(
            drs.map((d) => d.spec?.target),
            [{ kind: 'BackupResourceList', name }],
            "one DownloadRequest, for this Backup's item list",
          );
          assert.equal(velero.served, 1, 'the item list was read once');
          for (const d of drs)
            assert.equal(
              await admin.get({ ...ref(d), namespace: veleroNs }),
              undefined,
              `DownloadRequest ${d.metadata.name} deleted`,
            );
        },
        cleanup: () => velero.close(),
      };
    } catch (err) {
      await velero.close();
      throw err;
    }
  },
  // Velero's last DataUpload of a Backup completed: the data has landed, recorded on the Backup.
  'datamover-progress': async ({ admin, veleroNs, appNs }) => {
    const b = await admin.create<KubeObject>({
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: { name: `image-dm-${appNs}`, namespace: veleroNs },
      spec: { includedNamespaces: [appNs] },
      status: { phase: 'WaitingForPluginOperations' },
    });
    const d = await admin.create<KubeObject>(
      dataUploadFor(b, {
        name: `${b.metadata.name}-a`,
        veleroNamespace: veleroNs,
        appNamespace: appNs,
        status: { phase: 'Completed', progress: { totalBytes: 42, bytesDone: 42 } },
      }),
    );
    return {
      event: apiServerEvent('update', d),
      replyType: EVENT_TYPE_DATA_LANDED,
      patched: 'backups.velero.io',
      async verify() {
        const o = await live(admin, { ...ref(b), namespace: veleroNs });
        assert.ok(o.metadata.annotations?.[ANNOTATION_DATA_PROGRESS], 'data-progress annotation');
      },
    };
  },
  // A PVC a restore created with per-VM CNS keys: the fixer removes them.
  'restore-fixer': async ({ admin, veleroNs, appNs }) => {
    const restore = `image-fix-${appNs}`;
    await admin.create(
      restoreObject(restore, veleroNs, {
        backupName: 'b1',
        resourceModifier: { kind: 'configmap', name: RESOURCE_MODIFIER_CONFIGMAP },
      }),
    );
    const p = await veleroCreate(admin, dirtyPvc('disk-0'), {
      restore,
      backup: 'b1',
      namespace: appNs,
    });
    return {
      event: apiServerEvent('add', p),
      patched: 'persistentvolumeclaims',
      async verify() {
        const o = await live(admin, { ...ref(p), namespace: appNs });
        assert.deepEqual(
          Object.keys(o.metadata.annotations ?? {}).filter((k) => k.startsWith('cns.vmware.com/')),
          [],
        );
      },
    };
  },
  // A restored VM in no group, held off by the modifier: the sequencer gives its power back.
  'restore-sequencer': async ({ admin, veleroNs, appNs }) => {
    const restore = `image-seq-${appNs}`;
    await admin.create(
      restoreObject(restore, veleroNs, {
        backupName: 'nightly',
        includedNamespaces: [appNs],
        resourceModifier: { kind: 'configmap', name: RESOURCE_MODIFIER_CONFIGMAP },
      }),
    );
    const v = await veleroCreate(admin, asKube(vm('solo', { powerState: 'PoweredOn' })), {
      restore,
      backup: 'nightly',
      namespace: appNs,
    });
    return {
      event: apiServerEvent('add', v),
      patched: 'virtualmachines.vmoperator.vmware.com',
      async verify() {
        const o = await live(admin, { ...ref(v), namespace: appNs });
        assert.equal((o['spec'] as { powerState?: string }).powerState, 'PoweredOn');
        assert.equal(o.metadata.annotations?.[ANNOTATION_RESTORE_RELEASED], restore);
      },
    };
  },
};

function ref(o: KubeObject): { apiVersion: string; kind: string; name: string } {
  return { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name };
}
