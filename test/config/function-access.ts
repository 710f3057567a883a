// What each function's handler does to Kubernetes, as access questions, read from its code
// (the `deps.kube` calls in functions/<name>/handler.ts and what they reach), and one step beyond
// each that it must be refused. rbac.int.test.ts asks both as the function's own identity.
import type { Access } from './access.ts';

export const PRODUCT_NS = 'vmgroup-backup';
export const VELERO_NS = 'velero';

export interface FunctionAccess {
  /** Everything the handler may do; `namespace: 'USER'` stands for any application namespace. */
  needs: Access[];
  /** One step beyond: a verb, a namespace or an object further than it needs. */
  beyond: Access[];
}

const VMOP = 'vmoperator.vmware.com';
const USER = 'USER';
const rw = (group: string, resource: string, verbs: string[], namespace?: string): Access[] =>
  verbs.map((verb) => ({ verb, group, resource, ...(namespace ? { namespace } : {}) }));
const events = (namespace: string) => rw('', 'events', ['create', 'get', 'patch'], namespace);

export const FUNCTION_ACCESS: Record<string, FunctionAccess> = {
  // reconcile.ts lists groups, VMs, ConfigMaps, PVCs and the application objects (app-lists.ts) per namespace (and groups/VMs cluster-wide
  // for the tick) and patches labels/annotations onto them and onto Secrets; handler.ts records
  // the report Event next to the Backup.
  'backup-labeler': {
    needs: [
      ...rw(VMOP, 'virtualmachinegroups', ['list', 'patch']),
      ...rw(VMOP, 'virtualmachines', ['list', 'patch'], USER),
      ...rw('', 'configmaps', ['list', 'patch'], USER),
      ...rw('', 'persistentvolumeclaims', ['list', 'patch'], USER),
      ...rw(VMOP, 'virtualmachineservices', ['list', 'patch'], USER),
      ...rw(VMOP, 'virtualmachinesetresourcepolicies', ['list', 'patch'], USER),
      ...rw('encryption.vmware.com', 'encryptionclasses', ['list', 'patch'], USER),
      { verb: 'patch', group: '', resource: 'secrets', namespace: USER },
      ...events(VELERO_NS),
      // The closure record on the Backup it expanded, for the backup verifier.
      { verb: 'patch', group: 'velero.io', resource: 'backups', namespace: VELERO_NS },
    ],
    beyond: [
      { verb: 'get', group: '', resource: 'secrets', namespace: USER },
      { verb: 'list', group: '', resource: 'secrets' },
      { verb: 'delete', group: VMOP, resource: 'virtualmachines', namespace: USER },
      { verb: 'update', group: VMOP, resource: 'virtualmachineservices', namespace: USER },
      {
        verb: 'get',
        group: 'encryption.vmware.com',
        resource: 'encryptionclasses',
        namespace: USER,
      },
      { verb: 'update', group: VMOP, resource: 'virtualmachinegroups', namespace: USER },
      {
        verb: 'patch',
        group: VMOP,
        resource: 'virtualmachines',
        subresource: 'status',
        namespace: USER,
      },
      { verb: 'create', group: '', resource: 'events', namespace: USER },
      { verb: 'get', group: 'velero.io', resource: 'backups', namespace: VELERO_NS },
      { verb: 'patch', group: 'velero.io', resource: 'restores', namespace: VELERO_NS },
    ],
  },
  // handler.ts: get + guard-reported patch on the Backup/Restore (list for the resync tick), the restricted-list ConfigMap by
  // name, cluster-wide lists of the vSphere plugin's internal kinds, Events on the Backup/Restore.
  'backup-guard': {
    needs: [
      ...rw('velero.io', 'backups', ['get', 'list', 'patch'], VELERO_NS),
      ...rw('velero.io', 'restores', ['get', 'list', 'patch'], VELERO_NS),
      ...events(VELERO_NS),
      {
        verb: 'get',
        group: '',
        resource: 'configmaps',
        namespace: PRODUCT_NS,
        name: 'vmgroup-backup-restricted-resources',
      },
      {
        verb: 'get',
        group: '',
        resource: 'configmaps',
        namespace: VELERO_NS,
        name: 'velero-vsphere-plugin-blocked-resources-list',
      },
      ...[
        'backuprepositories',
        'backuprepositoryclaims',
        'clonefromsnapshots',
        'deletesnapshots',
        'snapshots',
      ].map((resource): Access => ({
        verb: 'list',
        group: 'backupdriver.cnsdp.vmware.com',
        resource,
      })),
      ...rw('datamover.cnsdp.vmware.com', 'uploads', ['list']),
      ...rw('datamover.cnsdp.vmware.com', 'downloads', ['list']),
    ],
    beyond: [
      { verb: 'delete', group: 'velero.io', resource: 'backups', namespace: VELERO_NS },
      { verb: 'get', group: 'velero.io', resource: 'backups', namespace: USER },
      { verb: 'get', group: '', resource: 'configmaps', namespace: PRODUCT_NS, name: 'another' },
      { verb: 'get', group: '', resource: 'configmaps', namespace: VELERO_NS, name: 'another' },
      {
        verb: 'patch',
        group: '',
        resource: 'configmaps',
        namespace: VELERO_NS,
        name: 'velero-vsphere-plugin-blocked-resources-list',
      },
      {
        verb: 'get',
        group: 'backupdriver.cnsdp.vmware.com',
        resource: 'snapshots',
        namespace: USER,
      },
      { verb: 'create', group: '', resource: 'events', namespace: USER },
    ],
  },
  // handler.ts + item-list.ts: the Backup (get; claim and result patch; list for the resync tick),
  // its DownloadRequest (create, get until Velero answers, delete), the storage location's CA,
  // Events on the Backup. Nothing outside Velero's namespace, no application object, no Secret.
  'backup-verifier': {
    needs: [
      ...rw('velero.io', 'backups', ['get', 'list', 'patch'], VELERO_NS),
      ...rw('velero.io', 'downloadrequests', ['create', 'get', 'delete'], VELERO_NS),
      ...rw('velero.io', 'backupstoragelocations', ['get'], VELERO_NS),
      ...events(VELERO_NS),
    ],
    beyond: [
      { verb: 'update', group: 'velero.io', resource: 'downloadrequests', namespace: VELERO_NS },
      { verb: 'list', group: 'velero.io', resource: 'downloadrequests', namespace: VELERO_NS },
      { verb: 'delete', group: 'velero.io', resource: 'backups', namespace: VELERO_NS },
      { verb: 'create', group: 'velero.io', resource: 'downloadrequests', namespace: USER },
      {
        verb: 'patch',
        group: 'velero.io',
        resource: 'backupstoragelocations',
        namespace: VELERO_NS,
      },
      { verb: 'get', group: '', resource: 'secrets', namespace: VELERO_NS },
      { verb: 'list', group: VMOP, resource: 'virtualmachines', namespace: USER },
    ],
  },
  // handler.ts: the Backup (get, data-progress patch; list for the resync tick), its DataUploads and Uploads (list) in
  // Velero's namespace, the plugin's Snapshots wherever they are (get by reference, list by label),
  // Events on the Backup.
  'datamover-progress': {
    needs: [
      ...rw('velero.io', 'backups', ['get', 'list', 'patch'], VELERO_NS),
      ...rw('velero.io', 'datauploads', ['list'], VELERO_NS),
      ...rw('datamover.cnsdp.vmware.com', 'uploads', ['list'], VELERO_NS),
      ...rw('backupdriver.cnsdp.vmware.com', 'snapshots', ['get', 'list']),
      ...events(VELERO_NS),
    ],
    beyond: [
      { verb: 'patch', group: 'velero.io', resource: 'datauploads', namespace: VELERO_NS },
      { verb: 'update', group: 'velero.io', resource: 'backups', namespace: VELERO_NS },
      { verb: 'list', group: 'velero.io', resource: 'datauploads', namespace: USER },
      {
        verb: 'patch',
        group: 'backupdriver.cnsdp.vmware.com',
        resource: 'snapshots',
        namespace: USER,
      },
    ],
  },
  // handler.ts: patches restored PVCs (get on a conflict, cluster-wide list for the tick), lists
  // restored VMs and groups to verify the modifier ran, reads the Restore and records Events on it;
  // reads an ended Restore's results through a DownloadRequest (and the storage location's CA).
  'restore-fixer': {
    needs: [
      ...rw('', 'persistentvolumeclaims', ['get', 'list', 'patch'], USER),
      ...rw('', 'persistentvolumeclaims', ['list']),
      ...rw(VMOP, 'virtualmachines', ['list']),
      ...rw(VMOP, 'virtualmachinegroups', ['list'], USER),
      ...rw('velero.io', 'restores', ['get', 'list'], VELERO_NS),
      ...rw('velero.io', 'downloadrequests', ['create', 'get', 'delete'], VELERO_NS),
      ...rw('velero.io', 'backups', ['get'], VELERO_NS),
      ...rw('velero.io', 'backupstoragelocations', ['get'], VELERO_NS),
      ...events(VELERO_NS),
    ],
    beyond: [
      { verb: 'list', group: 'velero.io', resource: 'downloadrequests', namespace: VELERO_NS },
      { verb: 'create', group: 'velero.io', resource: 'downloadrequests', namespace: USER },
      { verb: 'patch', group: 'velero.io', resource: 'backups', namespace: VELERO_NS },
      { verb: 'get', group: '', resource: 'secrets', namespace: VELERO_NS },
      { verb: 'patch', group: VMOP, resource: 'virtualmachines', namespace: USER },
      { verb: 'delete', group: '', resource: 'persistentvolumeclaims', namespace: USER },
      { verb: 'patch', group: 'velero.io', resource: 'restores', namespace: VELERO_NS },
      { verb: 'get', group: '', resource: 'secrets', namespace: USER },
      { verb: 'create', group: '', resource: 'events', namespace: USER },
    ],
  },
  // handler.ts: lists restored groups and VMs (per namespace and by restore label), patches power,
  // captured network and progress onto them, reads the Restore and records Events on it, on the
  // groups (readiness gates) and on the VMs (preflight); preflight lists what a namespace offers.
  'restore-sequencer': {
    needs: [
      ...rw(VMOP, 'virtualmachinegroups', ['list', 'patch'], USER),
      ...rw(VMOP, 'virtualmachines', ['list', 'patch'], USER),
      ...rw(VMOP, 'virtualmachines', ['list']),
      ...rw(VMOP, 'virtualmachineimages', ['list'], USER),
      ...rw(VMOP, 'clustervirtualmachineimages', ['list']),
      ...rw(VMOP, 'virtualmachineclasses', ['list'], USER),
      ...rw('storage.k8s.io', 'storageclasses', ['list']),
      ...rw('', 'resourcequotas', ['list'], USER),
      ...rw('encryption.vmware.com', 'encryptionclasses', ['list'], USER),
      ...rw('velero.io', 'restores', ['get', 'list'], VELERO_NS),
      ...events(VELERO_NS),
      ...events(USER),
    ],
    beyond: [
      { verb: 'delete', group: VMOP, resource: 'virtualmachines', namespace: USER },
      { verb: 'update', group: VMOP, resource: 'virtualmachineservices', namespace: USER },
      {
        verb: 'get',
        group: 'encryption.vmware.com',
        resource: 'encryptionclasses',
        namespace: USER,
      },
      { verb: 'create', group: VMOP, resource: 'virtualmachines', namespace: USER },
      { verb: 'patch', group: '', resource: 'persistentvolumeclaims', namespace: USER },
      { verb: 'patch', group: 'velero.io', resource: 'restores', namespace: VELERO_NS },
      { verb: 'get', group: '', resource: 'secrets', namespace: USER },
      { verb: 'patch', group: VMOP, resource: 'virtualmachineimages', namespace: USER },
      { verb: 'watch', group: '', resource: 'resourcequotas', namespace: USER },
    ],
  },
};
