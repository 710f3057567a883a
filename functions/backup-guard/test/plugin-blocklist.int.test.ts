// The backup guard and velero-plugin-for-vsphere's blocked list, on the real control plane,
// through the real runtime server, as a service account granted exactly GUARD_RULES. The ConfigMap
// is the plugin's own shape (its pkg/cmd/utils.go CreateBlockListConfigMap: in Velero's namespace,
// `data` = resource name → "true"/"false"); the plugin itself does not run here.
import assert from 'node:assert/strict';
import { testCluster } from '../../../test/harness/index.ts';
import { rbacFromRules, serveAsServiceAccount } from '../../../test/support/serve-as-account.ts';
import { apiServerEvent, postEvent } from '../../../test/support/cloudevents.ts';
import type { RunningServer } from '../../runtime/http/server.ts';
import type { Kube, KubeObject } from '../../runtime/kube/kube-api.ts';
import {
  ANNOTATION_GUARD_REPORTED,
  EVENT_TYPE_GUARD_RESTRICTED,
  REASON_GUARD_RESTRICTED,
  VSPHERE_PLUGIN_BLOCKED_LIST,
} from '../../vmgroup/names.ts';
import backupGuard from '../index.ts';
import { GUARD_RULES } from '../rbac.ts';
import type { GuardRestrictedResources } from '../../../schemas/generated/events/guard-restricted-resources.ts';

describe('backup-guard: the vSphere plugin’s blocked list, on the control plane', function () {
  let admin: Kube;
  let server: RunningServer;
  let veleroNs: string;
  let appNs: string;
  let n = 0;
  const cmRef = () => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    namespace: veleroNs,
    name: VSPHERE_PLUGIN_BLOCKED_LIST,
  });

  before(async function () {
    const cluster = await testCluster();
    ({ admin, server, veleroNs, appNs } = await serveAsServiceAccount(
      cluster,
      backupGuard as never,
      {
        rbac: rbacFromRules(GUARD_RULES),
        env: ({ productNs, veleroNs }) => ({
          GUARD_CONFIGMAP_NAMESPACE: productNs,
          VELERO_NAMESPACE: veleroNs,
        }),
      },
    ));
  });

  after(async () => server?.close());

  /** The product's backup of group `shop`: namespace + membership selector. */
  const groupBackup = (extra: Record<string, unknown> = {}) =>
    admin.create<KubeObject>({
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: { name: `plugin-${++n}`, namespace: veleroNs },
      spec: {
        includedNamespaces: [appNs],
        labelSelector: { matchLabels: { 'member.vmgroup-backup.dev/shop': 'VirtualMachineGroup' } },
        ...extra,
      },
    });
  const deliver = (obj: KubeObject) => postEvent(server.url, apiServerEvent('add', obj));
  const warnings = async (obj: KubeObject) =>
    (
      await admin.list<KubeObject & { reason?: string; message?: string }>(
        'v1',
        'Event',
        veleroNs,
        {
          fieldSelector: `involvedObject.name=${obj.metadata.name}`,
        },
      )
    ).items.filter((e) => e.reason === REASON_GUARD_RESTRICTED);

  it('without the plugin’s ConfigMap a group backup is accepted silently', async () => {
    const b = await groupBackup();
    assert.equal((await deliver(b)).status, 204);
    assert.deepEqual(await warnings(b), []);
  });

  describe('with the plugin’s default entries', () => {
    before(async () => {
      await admin.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: VSPHERE_PLUGIN_BLOCKED_LIST, namespace: veleroNs },
        // A slice of the plugin's ResourcesToBlock, as its installer writes it.
        data: {
          'virtualmachines.vmoperator.vmware.com': 'true',
          'virtualmachineclasses.vmoperator.vmware.com': 'true',
          'virtualmachineimages.vmoperator.vmware.com': 'true',
          'virtualmachineservices.vmoperator.vmware.com': 'true',
          'tanzukubernetesclusters.run.tanzu.vmware.com': 'true',
        },
      });
    });
    after(async () => admin.delete(cmRef()));

    it('warns before the backup runs that the group’s VMs are blocked, naming the ConfigMap and the entry (once)', async () => {
      const b = await groupBackup();
      const res = await deliver(b);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.reply?.type, EVENT_TYPE_GUARD_RESTRICTED);
      const data = res.reply?.data as GuardRestrictedResources;
      assert.deepEqual(data.pluginBlocked, [
        {
          entry: 'virtualmachines.vmoperator.vmware.com',
          kind: 'VirtualMachine',
          resource: 'virtualmachines.vmoperator.vmware.com',
        },
      ]);
      assert.deepEqual(data.findings, []);
      const [w] = await warnings(b);
      assert.match(
        w?.message ?? '',
        new RegExp(
          `${veleroNs}/${VSPHERE_PLUGIN_BLOCKED_LIST} blocks the group's VirtualMachines \\(virtualmachines.vmoperator.vmware.com\\)`,
        ),
      );
      assert.match(
        w?.message ?? '',
        /"op":"remove","path":"\/data\/virtualmachines.vmoperator.vmware.com"/,
      );
      const live = await admin.get<KubeObject>({
        ...b,
        namespace: veleroNs,
        name: b.metadata.name,
      });
      assert.ok(live?.metadata.annotations?.[ANNOTATION_GUARD_REPORTED]);
      // Level-triggered and idempotent: the same findings are not reported again.
      const again = await deliver(live!);
      assert.equal(again.status, 204);
      assert.equal((await warnings(b)).length, 1);
    });

    it('a Backup with snapshotVolumes: false is not blocked by the plugin, so no warning', async () => {
      const b = await groupBackup({ snapshotVolumes: false });
      assert.equal((await deliver(b)).status, 204);
      assert.deepEqual(await warnings(b), []);
    });

    it('once the entry is removed, the next group backup is accepted silently', async () => {
      await admin.patch(cmRef(), {
        type: 'json',
        body: [{ op: 'remove', path: '/data/virtualmachines.vmoperator.vmware.com' }],
      });
      const b = await groupBackup();
      assert.equal((await deliver(b)).status, 204);
      assert.deepEqual(await warnings(b), []);
    });
  });
});
