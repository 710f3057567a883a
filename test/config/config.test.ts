// What the rendered config must say, checked on kustomize's real output without a cluster:
// least privilege, no Secret data anywhere, every function wired to exactly what it binds.
// The same objects are dry-run against the real API server in dry-run.int.test.ts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { functionNames, loadFunction } from '../../functions/registry.ts';
import * as names from '../../functions/vmgroup/names.ts';
import type { KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import { checkRoutes, producedEvents } from './event-routes.ts';
import { triggerSubscriber } from '../../scripts/broker-standin/routes.ts';
import { REPO_ROOT } from './paths.ts';
import { DEPLOYABLE, key, render } from './render.ts';

const PRODUCT_NAMESPACE = 'vmgroup-backup';
const VELERO_NAMESPACE = 'velero';
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
]);
const READ_VERBS = ['get', 'list', 'watch'];

/**
 * Knative's eventing CRDs keep unknown `spec` fields, and its webhook (which would reject them) is
 * not part of a dry-run here, so a misspelt field would pass silently: check names against the Go
 * types (knative.dev/eventing pkg/apis: sources/v1 ApiServerSourceSpec and PingSourceSpec with the
 * inlined duck SourceSpec, eventing/v1 TriggerSpec and BrokerSpec, duck/v1 DeliverySpec).
 */
const KNATIVE_SPEC_FIELDS: Record<string, string[]> = {
  ApiServerSource: [
    'sink',
    'ceOverrides',
    'resources',
    'owner',
    'mode',
    'serviceAccountName',
    'namespaceSelector',
    'filters',
  ],
  PingSource: ['sink', 'ceOverrides', 'schedule', 'timezone', 'contentType', 'data', 'dataBase64'],
  Trigger: ['broker', 'brokerRef', 'filter', 'filters', 'subscriber', 'delivery'],
  Broker: ['config', 'delivery'],
};
const DELIVERY_FIELDS = [
  'deadLetterSink',
  'retry',
  'timeout',
  'backoffPolicy',
  'backoffDelay',
  'retryAfterMax',
  'format',
];

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

const rulesOf = (o: KubeObject): PolicyRule[] => (o['rules'] as PolicyRule[] | undefined) ?? [];
const ofKind = (objects: KubeObject[], kind: string) => objects.filter((o) => o.kind === kind);
const functionServices = (objects: KubeObject[]) =>
  objects.filter(
    (o) =>
      o.kind === 'Service' &&
      o.apiVersion.startsWith('serving.knative.dev/') &&
      o.metadata.labels?.['app.kubernetes.io/component'] === 'function',
  );

interface Container {
  image: string;
  command?: string[];
  env?: Array<{ name: string; value?: string }>;
  readinessProbe?: { httpGet?: { path?: string } };
  livenessProbe?: { httpGet?: { path?: string } };
  securityContext?: { runAsNonRoot?: boolean; allowPrivilegeEscalation?: boolean };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}
interface RevisionTemplate {
  metadata?: { annotations?: Record<string, string> };
  spec: { serviceAccountName?: string; containerConcurrency?: number; containers: Container[] };
}
const template = (ksvc: KubeObject) => (ksvc['spec'] as { template: RevisionTemplate }).template;

for (const name of DEPLOYABLE) {
  describe(`config: ${name} (rendered by kustomize)`, function () {
    this.timeout(600_000); // the first run may build kustomize from Go modules
    let objects: KubeObject[] = [];
    before(async () => {
      objects = await render(name);
    });

    it("places every namespaced object explicitly in the product namespace or Velero's", () => {
      for (const o of objects) {
        if (CLUSTER_SCOPED.has(o.kind)) assert.equal(o.metadata.namespace, undefined, key(o));
        else
          assert.ok(
            [PRODUCT_NAMESPACE, VELERO_NAMESPACE].includes(o.metadata.namespace ?? ''),
            `${key(o)} has no explicit namespace`,
          );
      }
      assert.equal(new Set(objects.map(key)).size, objects.length, 'duplicate objects');
    });

    it('writes only fields Knative defines in eventing specs (its webhook is not there to catch typos)', () => {
      for (const o of objects) {
        const allowed = KNATIVE_SPEC_FIELDS[o.kind];
        if (!allowed || !o.apiVersion.includes('knative.dev/')) continue;
        const spec = o['spec'] as Record<string, unknown>;
        for (const field of Object.keys(spec))
          assert.ok(allowed.includes(field), `${key(o)}: unknown spec.${field}`);
        const delivery = (spec['delivery'] ?? {}) as Record<string, unknown>;
        for (const field of Object.keys(delivery))
          assert.ok(DELIVERY_FIELDS.includes(field), `${key(o)}: unknown spec.delivery.${field}`);
        const filter = spec['filter'] as Record<string, unknown> | undefined;
        if (filter) assert.deepEqual(Object.keys(filter), ['attributes'], `${key(o)}: spec.filter`);
      }
    });

    it("installs the backup guard's restricted list exactly as the function ships it", () => {
      const shipped = JSON.parse(
        readFileSync(
          join(REPO_ROOT, 'functions/backup-guard/restricted-resources.configmap.json'),
          'utf8',
        ),
      ) as KubeObject;
      const rendered = objects.find(
        (o) => o.kind === 'ConfigMap' && o.metadata.name === names.GUARD_CONFIGMAP,
      );
      assert.ok(rendered, 'no restricted-list ConfigMap');
      assert.deepEqual(rendered['data'], shipped['data']);
      assert.equal(rendered.metadata.namespace, shipped.metadata.namespace);
    });

    it('grants no wildcard and never lets anything read Secrets', () => {
      const roles = [...ofKind(objects, 'Role'), ...ofKind(objects, 'ClusterRole')];
      assert.ok(roles.length > 0);
      for (const role of roles) {
        assert.equal(role['aggregationRule'], undefined, `${key(role)} aggregates`);
        for (const rule of rulesOf(role)) {
          for (const field of [
            'apiGroups',
            'resources',
            'verbs',
            'resourceNames',
            'nonResourceURLs',
          ] as const) {
            assert.ok(
              !(rule[field] ?? []).some((v) => v.includes('*')),
              `${key(role)} uses * in ${field}`,
            );
          }
          const coreSecrets =
            (rule.apiGroups ?? []).includes('') &&
            (rule.resources ?? []).some((r) => r === 'secrets' || r.startsWith('secrets/'));
          if (coreSecrets)
            assert.deepEqual(
              rule.verbs.filter((v) => READ_VERBS.includes(v)),
              [],
              `${key(role)} reads Secrets`,
            );
          for (const verb of ['escalate', 'bind', 'impersonate'])
            assert.ok(!rule.verbs.includes(verb), `${key(role)} may ${verb}`);
        }
      }
    });

    it('binds every role it defines, and every ServiceAccount is used by a Service or a source', () => {
      const refs = new Set(
        [...ofKind(objects, 'RoleBinding'), ...ofKind(objects, 'ClusterRoleBinding')].map((b) => {
          const ref = b['roleRef'] as { kind: string; name: string };
          return `${ref.kind}/${ref.kind === 'Role' ? `${b.metadata.namespace}/` : ''}${ref.name}`;
        }),
      );
      for (const r of [...ofKind(objects, 'Role'), ...ofKind(objects, 'ClusterRole')]) {
        assert.ok(
          refs.has(
            `${r.kind}/${r.kind === 'Role' ? `${r.metadata.namespace}/` : ''}${r.metadata.name}`,
          ),
          `${key(r)} is bound to nobody`,
        );
      }
      const users = new Set([
        ...ofKind(objects, 'Service').map((s) => template(s).spec.serviceAccountName),
        ...ofKind(objects, 'ApiServerSource').map(
          (s) => (s['spec'] as { serviceAccountName?: string }).serviceAccountName,
        ),
      ]);
      for (const sa of ofKind(objects, 'ServiceAccount'))
        assert.ok(users.has(sa.metadata.name), `${key(sa)} is used by nothing`);
    });

    it("binds roles only to the product's own ServiceAccounts", () => {
      const accounts = new Set(
        ofKind(objects, 'ServiceAccount').map(
          (sa) => `${sa.metadata.namespace}/${sa.metadata.name}`,
        ),
      );
      const roleNames = new Set(
        [...ofKind(objects, 'Role'), ...ofKind(objects, 'ClusterRole')].map(
          (r) =>
            `${r.kind}/${r.kind === 'Role' ? `${r.metadata.namespace}/` : ''}${r.metadata.name}`,
        ),
      );
      for (const binding of [
        ...ofKind(objects, 'RoleBinding'),
        ...ofKind(objects, 'ClusterRoleBinding'),
      ]) {
        const ref = binding['roleRef'] as { kind: string; name: string };
        const refKey =
          ref.kind === 'Role'
            ? `Role/${binding.metadata.namespace}/${ref.name}`
            : `ClusterRole/${ref.name}`;
        assert.ok(
          roleNames.has(refKey),
          `${key(binding)} refers to ${refKey}, which the config does not define`,
        );
        for (const s of binding['subjects'] as Array<{
          kind: string;
          name: string;
          namespace?: string;
        }>) {
          assert.equal(s.kind, 'ServiceAccount', key(binding));
          assert.ok(
            accounts.has(`${s.namespace}/${s.name}`),
            `${key(binding)} binds unknown ${s.namespace}/${s.name}`,
          );
        }
      }
    });

    it('watches VM Operator and Velero objects whole, never Secrets, and delivers to the Broker', () => {
      const sources = ofKind(objects, 'ApiServerSource');
      assert.ok(sources.length >= 2);
      const watched = new Set<string>();
      for (const src of sources) {
        const spec = src['spec'] as {
          mode?: string;
          serviceAccountName?: string;
          resources: Array<{ apiVersion: string; kind: string }>;
          sink: { ref: { kind: string; name: string } };
        };
        for (const r of spec.resources) {
          watched.add(`${r.apiVersion}/${r.kind}`);
          if (r.kind === 'Secret')
            assert.notEqual(spec.mode, 'Resource', `${key(src)} would put Secret data into events`);
        }
        assert.ok(
          spec.serviceAccountName,
          `${key(src)} runs as the namespace's default ServiceAccount`,
        );
        assert.deepEqual(
          [spec.sink.ref.kind, spec.sink.ref.name],
          ['Broker', 'vmgroup-backup'],
          key(src),
        );
      }
      for (const want of [
        'vmoperator.vmware.com/v1alpha5/VirtualMachineGroup',
        'vmoperator.vmware.com/v1alpha5/VirtualMachine',
        'velero.io/v1/Backup',
        'velero.io/v1/Restore',
      ]) {
        assert.ok(watched.has(want), `no source watches ${want}`);
      }
      const ping = ofKind(objects, 'PingSource');
      assert.equal(ping.length, 1);
    });

    it('runs one Knative Service per registered function, from one image, with health probes and bounds', () => {
      const services = functionServices(objects);
      assert.deepEqual(services.map((s) => s.metadata.name).sort(), functionNames());
      const images = new Set<string>();
      for (const svc of services) {
        const t = template(svc);
        const [c, ...rest] = t.spec.containers;
        assert.ok(c && rest.length === 0, key(svc));
        images.add(c.image);
        assert.equal(
          c.env?.find((e) => e.name === 'FUNCTION')?.value,
          svc.metadata.name,
          `${key(svc)} runs another function`,
        );
        assert.equal(
          t.spec.serviceAccountName,
          svc.metadata.name,
          `${key(svc)} shares an identity`,
        );
        assert.equal(c.readinessProbe?.httpGet?.path, '/health/readiness');
        assert.equal(c.livenessProbe?.httpGet?.path, '/health/liveness');
        assert.equal(c.securityContext?.runAsNonRoot, true);
        assert.equal(c.securityContext?.allowPrivilegeEscalation, false);
        assert.ok(
          c.resources?.requests?.['memory'] && c.resources.limits?.['memory'],
          `${key(svc)} has no memory bounds`,
        );
        // `command` would replace the image's ENTRYPOINT and drop its Node flags (16 MiB
        // semi-spaces, docs/performance.md "Tail latency, like for like"); NODE_OPTIONS cannot
        // carry --min-semi-space-size, so a young-generation setting there would contradict them.
        assert.equal(c.command, undefined, `${key(svc)} replaces the image's ENTRYPOINT`);
        assert.equal(
          c.env?.some((e) => e.name === 'NODE_OPTIONS'),
          false,
          `${key(svc)} sets NODE_OPTIONS`,
        );
        assert.ok((t.spec.containerConcurrency ?? 0) > 0, `${key(svc)} has unbounded concurrency`);
        const a = t.metadata?.annotations ?? {};
        const min = Number(a['autoscaling.knative.dev/min-scale']);
        const max = Number(a['autoscaling.knative.dev/max-scale']);
        assert.ok(
          Number.isInteger(min) && Number.isInteger(max) && min <= max && max >= 1,
          `${key(svc)} scale bounds ${min}..${max}`,
        );
      }
      assert.equal(images.size, 1, `one image for all functions, got ${[...images].join(', ')}`);
      const [image] = images;
      assert.match(
        image ?? '',
        /^[^:]+\/velero-vmgroup-functions(:[\w.-]+|@sha256:[0-9a-f]{64})$/,
        'the overlay sets a registry and tag',
      );
      assert.doesNotMatch(image ?? '', /:latest$/);
      const accounts = new Set(ofKind(objects, 'ServiceAccount').map((sa) => sa.metadata.name));
      for (const svc of services)
        assert.ok(accounts.has(svc.metadata.name), `no ServiceAccount ${svc.metadata.name}`);
    });

    it("gives the labeler's resync the time it takes, and its Trigger waits as long", () => {
      const timeoutOf = (svc: KubeObject | undefined) =>
        (svc?.['spec'] as { template: { spec: { timeoutSeconds?: number } } } | undefined)?.template
          .spec.timeoutSeconds;
      const services = functionServices(objects);
      const labeler = timeoutOf(services.find((s) => s.metadata.name === 'backup-labeler'));
      // docs/performance.md "Labeler at scale": a cold resync took up to 111 s per 1,000 VMs (loaded
      // machine). Hold at least 5,000 VMs at that rate, within Knative Serving's default ceiling
      // (max-revision-timeout-seconds 600: a larger value is rejected by its webhook).
      assert.ok(
        labeler !== undefined && labeler >= 5 * 111 && labeler <= 600,
        `backup-labeler timeoutSeconds ${labeler}`,
      );
      for (const s of services)
        if (s.metadata.name !== 'backup-labeler')
          assert.equal(timeoutOf(s), 60, `${key(s)} keeps the short default`);
      const resync = ofKind(objects, 'Trigger').find(
        (t) => t.metadata.name === 'backup-labeler-resync',
      );
      const delivery = (resync?.['spec'] as { delivery?: { timeout?: string; retry?: number } })
        .delivery;
      const seconds = /^PT(\d+)S$/.exec(delivery?.timeout ?? '')?.[1];
      assert.equal(Number(seconds), labeler, 'the Broker waits for the tick as long as it may run');
      assert.ok((delivery?.retry ?? 0) >= 3, 'the merge kept the retries');
    });

    it('retries every Trigger with exponential backoff, then dead-letters to a Service in the config', () => {
      const triggers = ofKind(objects, 'Trigger');
      assert.ok(triggers.length > 0);
      const services = new Set(ofKind(objects, 'Service').map((s) => s.metadata.name));
      for (const t of triggers) {
        const spec = t['spec'] as {
          broker: string;
          filter?: { attributes?: Record<string, string> };
          delivery?: {
            retry?: number;
            backoffPolicy?: string;
            backoffDelay?: string;
            deadLetterSink?: { ref?: { kind: string; name: string } };
          };
        };
        assert.equal(spec.broker, 'vmgroup-backup', key(t));
        assert.ok(spec.filter?.attributes?.['type'], `${key(t)} does not filter on type`);
        assert.ok((spec.delivery?.retry ?? 0) >= 3, `${key(t)} retries too little`);
        assert.equal(spec.delivery?.backoffPolicy, 'exponential', key(t));
        assert.match(spec.delivery?.backoffDelay ?? '', /^PT/, key(t));
        const dls = spec.delivery?.deadLetterSink?.ref;
        assert.ok(
          dls && dls.kind === 'Service' && services.has(dls.name),
          `${key(t)} dead-letter sink is not in the config`,
        );
        const subscriber = triggerSubscriber(t);
        assert.ok(
          subscriber && services.has(subscriber),
          `${key(t)} delivers to ${subscriber}, which the config does not define`,
        );
      }
    });

    it('routes to each function exactly the events it binds, and every binding is reachable', async () => {
      // Reply types: every EVENT_TYPE_* name the product declares (the sequencer's timed
      // continuation, for one, comes back to it through the Broker).
      const replyTypes = Object.entries(names)
        .filter(
          ([name, value]) => name.startsWith('EVENT_TYPE_') && value !== names.EVENT_TYPE_PREFIX,
        )
        .map(([, value]) => value as string);
      const produced = producedEvents(objects, replyTypes);
      const triggers = ofKind(objects, 'Trigger');
      for (const fn of functionNames()) {
        const def = await loadFunction(fn);
        const mine = triggers.filter((t) => triggerSubscriber(t) === fn);
        assert.ok(mine.length > 0, `${fn} has no Trigger`);
        const problems = checkRoutes(def.bindings, mine, produced);
        assert.deepEqual(
          problems,
          { deadTriggers: [], unboundDeliveries: [], unreachableBindings: [] },
          fn,
        );
      }
    });
  });
}
