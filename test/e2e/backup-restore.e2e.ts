// End to end with the real programs (docs/testing.md, e2e suite): labels appear through the real
// ApiServerSource adapter, the real Velero server backs up exactly a group's closure to a real S3
// store, the namespace is really deleted, and Velero restores it with and without the project's
// resource modifiers while the functions fix, hold and release what it creates.
import assert from 'node:assert/strict';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import type { Kube, KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import { offerBuilderTarget } from '../../functions/vmgroup/test/builders.ts';
import {
  ANNOTATION_CAPTURED_NETWORK,
  ANNOTATION_RESTORE_STRIPPED,
  REASON_BACKUP_EXPANDED,
  REASON_BACKUP_INCOMPLETE,
  REASON_BACKUP_VERIFIED,
  EVENT_TYPE_BACKUP_VERIFIED,
  REASON_RESTORE_GROUP_RELEASED,
  REASON_RESTORE_GROUP_NOT_HELD,
  REASON_RESTORE_STRIP_INCOMPLETE,
  RESOURCE_MODIFIER_CONFIGMAP,
  VELERO_EXCLUDE_LABEL,
  VELERO_RESTORE_NAME_LABEL,
  memberLabelKey,
} from '../../functions/vmgroup/names.ts';
import type { ClosureKind, ObjectKey } from '../../functions/vmgroup/closure.ts';
import type { ExpectedGroup } from '../../functions/vmgroup/backup-verification.ts';
import { verificationMessage, verifyGroups } from '../../functions/vmgroup/backup-verification.ts';
import {
  API_VERSION,
  CNS_USED_BY,
  STALE_VM_ANNOTATIONS,
  STALE_VM_SPEC,
  VOLUME_HEALTH,
  WEB1_NETWORK_STATUS,
  scenario,
} from './fixture.ts';
import type { Expected } from './fixture.ts';
import { startStack } from './stack/stack.ts';
import type { BackupVerified } from '../../schemas/generated/events/backup-verified.ts';
import type { Stack } from './stack/stack.ts';
import { eventually } from './stack/proc.ts';
import { VELERO_NAMESPACE } from './stack/velero.ts';
import {
  backupResourceList,
  byKind,
  restoreResults,
  restoreWithModifier,
  waitTerminal,
} from './velero-api.ts';
import { watchCollection } from './watch-log.ts';
import type { WatchLog } from './watch-log.ts';

const MINUTE = 60_000;
const log = (line: string) => process.stderr.write(`${line}\n`);
const suffix = () => randomBytes(3).toString('hex');

interface CoreEvent extends KubeObject {
  type?: string;
  reason?: string;
  message?: string;
  involvedObject?: { kind?: string; name?: string };
}

type Labelled = KubeObject & { spec?: Record<string, unknown> };

async function eventsAbout(kube: Kube, kind: string, name: string): Promise<CoreEvent[]> {
  const { items } = await kube.list<CoreEvent>('v1', 'Event', VELERO_NAMESPACE);
  return items.filter((e) => e.involvedObject?.kind === kind && e.involvedObject.name === name);
}

/** The verifier's Event about `group` on a Backup and its reply CloudEvent on the Broker. */
async function verifierResult(
  backup: string,
  group: string,
): Promise<{ event: CoreEvent; reply: BackupVerified }> {
  const event = await eventually(`the verifier’s Event on ${backup}`, 2 * MINUTE, async () =>
    (await eventsAbout(currentStack.admin, 'Backup', backup)).find(
      (e) =>
        [REASON_BACKUP_VERIFIED, REASON_BACKUP_INCOMPLETE].includes(e.reason ?? '') &&
        new RegExp(`^backup \\S+ (holds|lacks) .* of group ${group}(:|$)`).test(e.message ?? ''),
    ),
  );
  const reply = await eventually(`the verifier’s reply for ${backup}`, MINUTE, async () => {
    const e = currentStack.broker.events.find(
      (x) =>
        x.attributes['type'] === EVENT_TYPE_BACKUP_VERIFIED &&
        x.attributes['subject'] === `backups/${VELERO_NAMESPACE}/${backup}`,
    );
    return e ? (JSON.parse(e.body.toString('utf8')) as BackupVerified) : undefined;
  });
  // Nothing left behind: the DownloadRequest it created (`<backup>-<8 hex>`) is gone. (Velero's
  // own CLI, `describe --details`, names its requests `<backup>-<uuid>` and leaves them to expire.)
  const left = (await currentStack.admin.list('velero.io/v1', 'DownloadRequest', VELERO_NAMESPACE))
    .items;
  assert.deepEqual(
    left
      .filter((d) => new RegExp(`^${backup}-[0-9a-f]{8}$`).test(d.metadata.name))
      .map((d) => d.metadata.name),
    [],
  );
  return { event, reply };
}

let currentStack: Stack;

async function deleteNamespace(kube: Kube, namespace: string): Promise<number> {
  const started = Date.now();
  await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
  // Only kube-controller-manager's namespace controller can finish this (content, then finalizer).
  await eventually(`namespace ${namespace} to be gone`, 5 * MINUTE, async () =>
    (await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: namespace })) ? undefined : true,
  );
  return Date.now() - started;
}

/**
 * On a Supervisor the platform team creates the vSphere Namespace, with its VM classes and
 * storage policy, before anything is restored into it; the restore preflight checks for them.
 */
async function recreateVsphereNamespace(kube: Kube, namespace: string): Promise<void> {
  await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  await offerBuilderTarget(kube, namespace);
}

function pathFor(
  kind: 'VirtualMachine' | 'VirtualMachineGroup' | 'PersistentVolumeClaim',
  ns: string,
) {
  const plural = {
    VirtualMachine: 'virtualmachines',
    VirtualMachineGroup: 'virtualmachinegroups',
    PersistentVolumeClaim: 'persistentvolumeclaims',
  }[kind];
  return kind === 'PersistentVolumeClaim'
    ? `/api/v1/namespaces/${ns}/${plural}`
    : `/apis/vmoperator.vmware.com/v1alpha5/namespaces/${ns}/${plural}`;
}

describe('end to end: Velero backs up and restores VM groups whole (real programs)', function () {
  // Every wait below polls with its own deadline; these only bound a hung step.
  this.timeout(15 * MINUTE);
  let stack: Stack;
  let kube: Kube;
  let ns: string;
  let expected: Expected;
  const backup = `shop-${suffix()}`;
  const timings: Record<string, number> = {};
  const suiteStarted = Date.now();
  /** `shop`'s closure as the fixture labels it, in the verification's terms. */
  const shopGroup = (): ExpectedGroup => ({
    namespace: ns,
    name: 'shop',
    objects: Object.entries(expected.shop).flatMap(([kind, names]) =>
      names.map((name): ObjectKey => ({ kind: kind as ClosureKind, name })),
    ),
  });

  before(async function () {
    this.timeout(75 * MINUTE); // a cold cache builds seven Go programs first
    stack = await startStack(log);
    currentStack = stack;
    kube = stack.admin;
    Object.assign(timings, stack.timings);
  });

  after(async function () {
    this.timeout(2 * MINUTE);
    timings['suite total (incl. start-up)'] = Date.now() - suiteStarted;
    log(
      `e2e timings: ${Object.entries(timings)
        .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)}s`)
        .join('; ')}`,
    );
    if (this.currentTest?.state === 'failed' || process.env['VVF_E2E_LOGS'] === '1')
      log(stack?.logs(40) ?? '');
    await stack?.stop();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') log(stack.logs(40));
  });

  it('labels each group’s whole closure, and nothing else, from API-server events alone', async () => {
    const started = Date.now();
    ns = await stack.plane.newNamespace('e2e-shop');
    const s = scenario(ns);
    expected = s.expected;
    for (const obj of s.objects) await kube.create(obj);
    // What VM Operator would report once web-1 is on the network (status subresource).
    await stack.plane
      .kubeConfig()
      .makeApiClient(CustomObjectsApi)
      .patchNamespacedCustomObjectStatus(
        {
          group: 'vmoperator.vmware.com',
          version: 'v1alpha5',
          namespace: ns,
          plural: 'virtualmachines',
          name: 'web-1',
          body: { status: WEB1_NETWORK_STATUS },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    const labelsOf = async (kind: string, name: string) =>
      (await kube.get({ apiVersion: API_VERSION[kind]!, kind, namespace: ns, name }))?.metadata
        .labels ?? {};
    const check = async (): Promise<true | undefined> => {
      for (const [group, closure] of [
        ['shop', expected.shop],
        ['reports', expected.reports],
      ] as const)
        for (const [kind, names] of Object.entries(closure))
          for (const name of names)
            if ((await labelsOf(kind, name))[memberLabelKey(group)] !== kind) return undefined;
      return true;
    };
    await eventually('membership labels on both closures', 3 * MINUTE, check);
    // The network identity, which only status holds and Velero strips, is captured on the VM.
    await eventually('web-1’s captured network', 2 * MINUTE, async () => {
      const web1 = await kube.get({
        apiVersion: API_VERSION['VirtualMachine']!,
        kind: 'VirtualMachine',
        namespace: ns,
        name: 'web-1',
      });
      return web1?.metadata.annotations?.[ANNOTATION_CAPTURED_NETWORK]?.includes('10.20.0.21/24')
        ? true
        : undefined;
    });
    // Nothing crosses over, and nothing unreferenced is labelled.
    const others: Array<[string, Record<string, string[]>]> = [
      ['shop', { ...expected.reports }],
      ['reports', expected.shop],
    ];
    for (const [group, closure] of others)
      for (const [kind, names] of Object.entries(closure))
        for (const name of names)
          assert.equal(
            (await labelsOf(kind, name))[memberLabelKey(group)],
            undefined,
            `${kind} ${name} must not carry ${group}'s label`,
          );
    for (const [kind, names] of Object.entries(expected.unrelated))
      for (const name of names) {
        const keys = Object.keys(await labelsOf(kind, name)).filter((k) => k.startsWith('member.'));
        assert.deepEqual(keys, [], `${kind} ${name} is in no group`);
      }
    timings['labels'] = Date.now() - started;
  });

  it('backs up exactly the closure of `shop` (velero backup create --selector, resource list via DownloadRequest)', async () => {
    const started = Date.now();
    const out = await stack.velero.cli([
      'backup',
      'create',
      backup,
      '--include-namespaces',
      ns,
      '--selector',
      memberLabelKey('shop'),
      '--snapshot-volumes=false',
      '--default-volumes-to-fs-backup=false',
    ]);
    assert.match(out, new RegExp(`Backup request "${backup}" submitted successfully`));
    const done = await waitTerminal(kube, 'Backup', backup, 5 * MINUTE);
    assert.equal(done.status?.phase, 'Completed', JSON.stringify(done.status));
    assert.equal(done.status?.errors ?? 0, 0);
    const list = await backupResourceList(kube, backup);
    assert.deepEqual(byKind(list, ns), expected.shop);
    const [whole] = verifyGroups(list, [shopGroup()]);
    assert.equal(whole?.result, 'verified', JSON.stringify(whole));
    assert.equal(whole.found, shopGroup().objects.length);
    // What the user sees: `velero backup describe --details` lists the same items.
    const described = await stack.velero.cli(['backup', 'describe', backup, '--details']);
    const listed = (name: string) => new RegExp(`^\\s+- ${ns}/${name}$`, 'm').test(described);
    for (const names of Object.values(expected.shop))
      for (const name of names) assert.ok(listed(name), `describe lists ${name}:\n${described}`);
    for (const names of [...Object.values(expected.reports), ...Object.values(expected.unrelated)])
      for (const name of names) assert.ok(!listed(name), `describe does not list ${name}`);
    // Cluster-scoped: the namespace of the selected items, and (Velero's default for a namespaced
    // backup) the CRDs of the custom resources it holds.
    const clusterScoped = Object.entries(list)
      .flatMap(([key, items]) =>
        items
          .filter((i) => !i.includes('/'))
          .map((i) => `${key.slice(key.lastIndexOf('/') + 1)} ${i}`),
      )
      .sort();
    assert.deepEqual(clusterScoped, [
      'CustomResourceDefinition virtualmachinegroups.vmoperator.vmware.com',
      'CustomResourceDefinition virtualmachines.vmoperator.vmware.com',
      `Namespace ${ns}`,
    ]);
    // The labeler heard about the Backup through the Velero source and reported what it covers.
    const report = await eventually('the labeler’s report on the Backup', 2 * MINUTE, async () =>
      (await eventsAbout(kube, 'Backup', backup)).find((e) =>
        [REASON_BACKUP_EXPANDED, REASON_BACKUP_INCOMPLETE].includes(e.reason ?? ''),
      ),
    );
    assert.equal(report.reason, REASON_BACKUP_EXPANDED, report.message);
    // The backup verifier read the same item list through its own DownloadRequest and says so.
    const verified = await verifierResult(backup, `${ns}/shop`);
    assert.equal(verified.event.type, 'Normal', verified.event.message);
    assert.equal(verified.event.reason, REASON_BACKUP_VERIFIED);
    assert.match(
      verified.event.message ?? '',
      new RegExp(`holds all ${shopGroup().objects.length} objects of group ${ns}/shop`),
    );
    assert.equal(verified.reply.result, 'verified');
    // `shop` and its nested group `web` (whose closure lies inside shop's), each whole.
    assert.deepEqual(
      verified.reply.groups.map((g) => [g.name, g.result]),
      [
        ['shop', 'verified'],
        ['web', 'verified'],
      ],
    );
    assert.deepEqual(
      verified.reply.groups.find((g) => g.name === 'shop'),
      { namespace: ns, name: 'shop', result: 'verified', found: whole.found, missing: [] },
    );
    timings['backup'] = Date.now() - started;
  });

  it('a backup Velero completes without a member (velero.io/exclude-from-backup) compares incomplete, naming the member and the cause', async () => {
    const started = Date.now();
    const web2 = {
      apiVersion: API_VERSION['VirtualMachine']!,
      kind: 'VirtualMachine',
      namespace: ns,
      name: 'web-2',
    };
    const setExclude = (value: string | null) =>
      kube.patch(web2, {
        type: 'merge',
        body: { metadata: { labels: { [VELERO_EXCLUDE_LABEL]: value } } },
      });
    await setExclude('true');
    try {
      const cut = `${backup}-cut`;
      await stack.velero.cli([
        'backup',
        'create',
        cut,
        '--include-namespaces',
        ns,
        '--selector',
        memberLabelKey('shop'),
        '--snapshot-volumes=false',
        '--default-volumes-to-fs-backup=false',
      ]);
      const done = await waitTerminal(kube, 'Backup', cut, 5 * MINUTE);
      // Velero calls it a success: nothing in its status says web-2 is not there.
      assert.equal(done.status?.phase, 'Completed', JSON.stringify(done.status));
      assert.equal(done.status?.errors ?? 0, 0);
      const list = await backupResourceList(kube, cut);
      // Live labels of what may be read (never Secrets), as the verifier would see them.
      const labels = new Map<string, Record<string, string>>();
      for (const o of shopGroup().objects)
        if (o.kind !== 'Secret') {
          const obj = await kube.get({
            ...web2,
            apiVersion: API_VERSION[o.kind]!,
            kind: o.kind,
            name: o.name,
          });
          labels.set(`${o.kind}/${o.name}`, obj?.metadata.labels ?? {});
        }
      const [v] = verifyGroups(list, [shopGroup()], {
        labelsOf: (_ns, k) => labels.get(`${k.kind}/${k.name}`),
      });
      assert.ok(v);
      assert.equal(v.result, 'incomplete');
      assert.deepEqual(v.missing, [
        { kind: 'VirtualMachine', name: 'web-2', cause: 'excludeLabel' },
      ]);
      assert.match(
        verificationMessage(cut, v),
        new RegExp(`VirtualMachine web-2: labelled ${VELERO_EXCLUDE_LABEL}=true`),
      );
      // The verifier, running as shipped, warns with the same finding, from the labeler's record.
      const warned = await verifierResult(cut, `${ns}/shop`);
      assert.equal(warned.event.type, 'Warning');
      assert.equal(warned.event.reason, REASON_BACKUP_INCOMPLETE);
      assert.match(
        warned.event.message ?? '',
        new RegExp(`group ${ns}/shop: VirtualMachine web-2: labelled ${VELERO_EXCLUDE_LABEL}=true`),
      );
      assert.equal(warned.reply.result, 'incomplete');
      assert.deepEqual(warned.reply.groups.find((g) => g.name === 'shop')?.missing, v.missing);
      // The nested group `web` lacks the same VM.
      assert.deepEqual(warned.reply.groups.find((g) => g.name === 'web')?.missing, v.missing);
    } finally {
      await setExclude(null);
    }
    timings['backup (member excluded)'] = Date.now() - started;
  });

  it('restores with the resource modifiers: accepted, stripped, held, then released in boot order', async () => {
    timings['namespace deletion (1)'] = await deleteNamespace(kube, ns);
    await recreateVsphereNamespace(kube, ns);
    const started = Date.now();
    const kc = stack.plane.kubeConfig();
    const vms: WatchLog = await watchCollection(kc, pathFor('VirtualMachine', ns));
    try {
      const restore = `${backup}-fixed-${suffix()}`;
      await restoreWithModifier(stack.velero, kube, backup, restore);
      // Velero created every namespaced item; its only warnings are the two CRDs it backed up
      // along, which exist already (as on any Supervisor).
      const results = (await restoreResults(kube, restore)) as {
        warnings?: { cluster?: string[]; namespaces?: Record<string, string[]> };
      };
      assert.deepEqual(results.warnings?.namespaces ?? {}, {}, JSON.stringify(results));
      assert.deepEqual(
        (results.warnings?.cluster ?? [])
          .map((w) => /CustomResourceDefinition:(\S+) already exists/.exec(w)?.[1])
          .sort(),
        ['virtualmachinegroups.vmoperator.vmware.com', 'virtualmachines.vmoperator.vmware.com'],
        JSON.stringify(results),
      );

      // Everything in the closure is back; nothing of the other group or unreferenced.
      for (const [kind, names] of Object.entries(expected.shop))
        for (const name of names) {
          const obj = await kube.get({ apiVersion: API_VERSION[kind]!, kind, namespace: ns, name });
          assert.ok(obj, `${kind} ${name} restored`);
          assert.equal(obj.metadata.labels?.[VELERO_RESTORE_NAME_LABEL], restore);
        }
      for (const [kind, names] of [
        ...Object.entries(expected.reports),
        ...Object.entries(expected.unrelated),
      ])
        for (const name of names)
          assert.equal(
            await kube.get({ apiVersion: API_VERSION[kind]!, kind, namespace: ns, name }),
            undefined,
            `${kind} ${name} is not in the backup`,
          );

      // As created by Velero (the first version the watch saw): stripped, held off, marked.
      for (const name of expected.shop['VirtualMachine']!) {
        const first = vms.of(name)[0];
        assert.ok(first, `saw ${name} created`);
        const annotations = first.obj.metadata.annotations ?? {};
        for (const key of Object.keys(STALE_VM_ANNOTATIONS))
          assert.equal(annotations[key], undefined, `${name}: ${key} stripped`);
        assert.equal(first.obj.spec?.['instanceUUID'], undefined, `${name}: instanceUUID stripped`);
        assert.equal(first.obj.spec?.['biosUUID'], undefined, `${name}: biosUUID stripped`);
        assert.equal(
          first.obj.spec?.['powerState'],
          'PoweredOff',
          `${name}: held powered off at create`,
        );
        assert.equal(annotations[ANNOTATION_RESTORE_STRIPPED], '1');
      }
      const pvc = await kube.get({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        namespace: ns,
        name: 'db-data',
      });
      assert.equal(
        pvc?.metadata.annotations?.[VOLUME_HEALTH],
        undefined,
        'old volume health stripped by the modifier',
      );
      // The per-VM CNS key no static rule can name: the restore fixer removes it after create.
      await eventually('the restore fixer to remove the per-VM CNS key', 2 * MINUTE, async () => {
        const now = await kube.get({
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          namespace: ns,
          name: 'db-data',
        });
        return now && !(CNS_USED_BY in (now.metadata.annotations ?? {})) ? true : undefined;
      });

      // Released in boot order: db at once, web-1 after the 2 s powerOnDelay, web-2 stays off.
      const poweredOnAt = (name: string) =>
        vms.of(name).find((s) => s.obj.spec?.['powerState'] === 'PoweredOn')?.at;
      await eventually('db and web-1 released', 3 * MINUTE, async () =>
        poweredOnAt('db') && poweredOnAt('web-1') ? true : undefined,
      );
      // Held until the group was complete: nothing powered on before the last member existed.
      const lastCreated = Math.max(
        ...expected.shop['VirtualMachine']!.map((n) => vms.of(n)[0]?.at ?? Infinity),
      );
      assert.ok(poweredOnAt('db')! >= lastCreated, 'db released only once every member existed');
      const gap = poweredOnAt('web-1')! - poweredOnAt('db')!;
      // web-1 got its captured addresses back while still held off.
      type Net = { interfaces?: Array<{ name: string; addresses?: string[]; gateway4?: string }> };
      const withAddress = vms
        .of('web-1')
        .find(
          (v) =>
            ((v.obj.spec?.['network'] as Net | undefined)?.interfaces?.[0]?.addresses ?? [])
              .length > 0,
        );
      assert.ok(withAddress, 'web-1 got its captured addresses');
      assert.equal(
        withAddress.obj.spec?.['powerState'],
        'PoweredOff',
        'addresses applied while held',
      );
      assert.deepEqual((withAddress.obj.spec?.['network'] as Net).interfaces?.[0], {
        name: 'eth0',
        network: { name: 'web-net' },
        addresses: ['10.20.0.21/24'],
        gateway4: '10.20.0.1',
      });
      assert.ok(gap >= 1_500, `web (stage 2) released ${gap} ms after db; powerOnDelay is 2 s`);
      await eventually('the Restore’s released Event', 2 * MINUTE, async () =>
        (await eventsAbout(kube, 'Restore', restore)).find(
          (e) => e.reason === REASON_RESTORE_GROUP_RELEASED,
        ),
      );
      assert.equal(poweredOnAt('web-2'), undefined, 'web-2 was off at backup and stays off');
      // No function found anything wrong: the restore functions, and the guard, which judges the
      // Restore by what its membership-label Backup can hold.
      const warnings = (await eventsAbout(kube, 'Restore', restore)).filter(
        (e) => e.type === 'Warning',
      );
      assert.deepEqual(
        warnings.map((e) => `${e.reason}: ${e.message}`),
        [],
        'no warnings on a correct restore',
      );
      timings['restore with modifiers'] = Date.now() - started;
    } finally {
      vms.stop();
    }
  });

  it('without the resource modifiers, Velero restores as-is and the Restore gets a Warning Event saying what went wrong', async () => {
    timings['namespace deletion (2)'] = await deleteNamespace(kube, ns);
    const started = Date.now();
    const restore = `${backup}-plain-${suffix()}`;
    await stack.velero.cli(['restore', 'create', restore, '--from-backup', backup]);
    const done = await waitTerminal(kube, 'Restore', restore, 5 * MINUTE);
    assert.equal(done.status?.phase, 'Completed', JSON.stringify(done.status));
    // No VM Operator webhook runs here, so Velero's create succeeds with the stale keys on.
    const db = await kube.get<Labelled>({
      apiVersion: API_VERSION['VirtualMachine']!,
      kind: 'VirtualMachine',
      namespace: ns,
      name: 'db',
    });
    assert.equal(db?.spec?.['instanceUUID'], STALE_VM_SPEC.instanceUUID, 'restored as backed up');
    assert.equal(
      db?.spec?.['powerState'],
      'PoweredOn',
      'not held: it would power on before its group is complete',
    );
    // A plain namespace restore does not name groups, so the fixer speaks once VMs come back
    // unstripped: which objects, which keys VM Operator would reject, and the command to re-run.
    const warnings = await eventually('the Warning Events on the Restore', 2 * MINUTE, async () => {
      const events = await eventsAbout(kube, 'Restore', restore);
      const strip = events.find(
        (e) => e.type === 'Warning' && e.reason === REASON_RESTORE_STRIP_INCOMPLETE,
      );
      const held = events.find(
        (e) => e.type === 'Warning' && e.reason === REASON_RESTORE_GROUP_NOT_HELD,
      );
      return strip && held ? { strip: strip.message ?? '', held: held.message ?? '' } : undefined;
    });
    for (const name of expected.shop['VirtualMachine']!)
      assert.match(
        warnings.strip,
        new RegExp(`VirtualMachine ${ns}/${name}: rejected by VM Operator`),
        name,
      );
    assert.match(warnings.strip, /spec\.instanceUUID/, 'names what the webhook would reject');
    assert.match(
      warnings.strip,
      new RegExp(
        `Re-run: velero restore create --from-backup ${backup} .*--resource-modifier-configmap ${RESOURCE_MODIFIER_CONFIGMAP}`,
      ),
      'says how to re-run it',
    );
    // And the sequencer says the group cannot come back in boot order.
    assert.match(
      warnings.held,
      new RegExp(`Group ${ns}/shop cannot be brought back in boot order`),
    );
    timings['restore without modifiers'] = Date.now() - started;
  });

  it('delivered every event the adapters sent (no dead letters) through the config’s Triggers', () => {
    const kinds = new Set(
      stack.broker.events.map((e) => `${e.attributes['type']} ${e.attributes['kind'] ?? ''}`),
    );
    for (const want of [
      'dev.knative.apiserver.resource.add VirtualMachineGroup',
      'dev.knative.apiserver.resource.update VirtualMachine',
      'dev.knative.apiserver.resource.add Backup',
      'dev.knative.apiserver.resource.add Restore',
      'dev.knative.apiserver.resource.add PersistentVolumeClaim',
    ])
      assert.ok(kinds.has(want), `the Broker saw ${want}`);
    const dead = stack.broker.deadLetters.map(
      (d) =>
        `${d.event.attributes['type']} ${d.event.attributes['kind'] ?? ''}/${d.event.attributes['name'] ?? ''} → ${d.trigger}: ${d.status}`,
    );
    assert.deepEqual(dead, []);
  });
});
