// The Broker stand-in (scripts/broker-standin/) routes as Knative's Broker filter does: every
// sample event, to the production config's Triggers and to Triggers exercising each filter
// dialect, goes to the same Triggers as Knative's own filter code decides (test/go/knative,
// `knative-admission --routes`), and the stand-in's ingress refuses what Knative's refuses.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InboundEvent } from '../../functions/runtime/function.ts';
import type { KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import * as names from '../../functions/vmgroup/names.ts';
import { routeOf, routesFor } from '../../scripts/broker-standin/routes.ts';
import {
  binaryHeaders,
  filterView,
  fromInboundEvent,
  invalidEvent,
  parseHttpEvent,
} from '../../scripts/broker-standin/wire.ts';
import { producedEvents } from '../config/event-routes.ts';
import { parseYamlStream, render, REPO_ROOT } from '../config/render.ts';
import { knativeRoutes } from '../knative/knative-admission.ts';
import type { SampleEvent } from '../knative/knative-admission.ts';

const FUNCTIONS = join(REPO_ROOT, 'functions');
const TIME = '2026-11-21T13:40:00Z';

/** Every function's samples/*.json (real ApiServerSource and PingSource shapes), as HTTP. */
function functionSamples(): SampleEvent[] {
  const out: SampleEvent[] = [];
  for (const fn of readdirSync(FUNCTIONS)) {
    let files: string[];
    try {
      files = readdirSync(join(FUNCTIONS, fn, 'samples')).filter((f) => f.endsWith('.json'));
    } catch {
      continue;
    }
    for (const file of files) {
      const e = JSON.parse(readFileSync(join(FUNCTIONS, fn, 'samples', file), 'utf8'));
      const wire = fromInboundEvent(e as InboundEvent, 'sample');
      out.push({
        name: `${fn}/${file}`,
        headers: binaryHeaders(wire),
        body: wire.body.toString('utf8'),
      });
    }
  }
  return out;
}

/** Each (type, kind, apiversion) the config's sources emit, and the product's reply types. */
function producedSamples(config: KubeObject[]): SampleEvent[] {
  const replyTypes = Object.entries(names)
    .filter(([n, v]) => n.startsWith('EVENT_TYPE_') && v !== names.EVENT_TYPE_PREFIX)
    .map(([, v]) => v as string);
  return producedEvents(config, replyTypes).map((p, i) => ({
    name: `${p.from}: ${[p.type, p.kind, p.apiversion].filter(Boolean).join(' ')}`,
    headers: {
      'ce-specversion': '1.0',
      'ce-id': `produced-${i}`,
      'ce-source': p.source ?? 'https://10.96.0.1:443',
      'ce-type': p.type,
      'ce-time': TIME,
      ...(p.kind ? { 'ce-kind': p.kind } : {}),
      ...(p.apiversion ? { 'ce-apiversion': p.apiversion } : {}),
      'content-type': 'application/json',
    },
    body: '{}',
  }));
}

const vmUpdate = {
  'ce-specversion': '1.0',
  'ce-id': 'edge',
  'ce-source': 'https://10.96.0.1:443',
  'ce-type': 'dev.knative.apiserver.resource.update',
  'ce-kind': 'VirtualMachine',
  'ce-apiversion': 'vmoperator.vmware.com/v1alpha5',
  'ce-subject': '/apis/vmoperator.vmware.com/v1alpha5/namespaces/shop/virtualmachines/web-0',
  'ce-time': TIME,
  'content-type': 'application/json',
};
const without = (h: Record<string, string>, ...keys: string[]) =>
  Object.fromEntries(Object.entries(h).filter(([k]) => !keys.includes(k)));

/** Where the stand-in once differed from Knative, or easily could. */
const EDGE_CASES: SampleEvent[] = [
  {
    name: 'time with a zero fraction',
    headers: { ...vmUpdate, 'ce-time': '2026-11-21T13:40:00.500000000Z' },
  },
  { name: 'time at +00:00', headers: { ...vmUpdate, 'ce-time': '2026-11-21T13:40:00.5+00:00' } },
  { name: 'time at +02:00', headers: { ...vmUpdate, 'ce-time': '2026-11-21T13:40:00+02:00' } },
  { name: 'no time', headers: without(vmUpdate, 'ce-time') },
  {
    name: 'content type with parameters',
    headers: { ...vmUpdate, 'content-type': 'application/json; charset=utf-8' },
  },
  {
    name: 'content type in capitals',
    headers: { ...vmUpdate, 'content-type': 'Application/JSON' },
  },
  { name: 'no content type', headers: without(vmUpdate, 'content-type') },
  {
    name: 'a dataschema',
    headers: { ...vmUpdate, 'ce-dataschema': 'https://example.com/vm.json' },
  },
  { name: 'no subject', headers: without(vmUpdate, 'ce-subject') },
  { name: 'empty subject', headers: { ...vmUpdate, 'ce-subject': '' } },
  { name: 'no kind extension', headers: without(vmUpdate, 'ce-kind') },
  { name: 'empty kind extension', headers: { ...vmUpdate, 'ce-kind': '' } },
  {
    name: 'a group delete',
    headers: {
      ...vmUpdate,
      'ce-type': 'dev.knative.apiserver.resource.delete',
      'ce-kind': 'VirtualMachineGroup',
    },
  },
  {
    name: 'a Restore delete',
    headers: {
      ...vmUpdate,
      'ce-type': 'dev.knative.apiserver.resource.delete',
      'ce-kind': 'Restore',
      'ce-apiversion': 'velero.io/v1',
    },
  },
  {
    name: 'refused: time out of range',
    headers: { ...vmUpdate, 'ce-time': '2026-13-01T00:00:00Z' },
  },
  {
    name: 'refused: time without zone',
    headers: { ...vmUpdate, 'ce-time': '2026-11-21T13:40:00' },
  },
  { name: 'refused: no id', headers: without(vmUpdate, 'ce-id') },
  { name: 'refused: no source', headers: without(vmUpdate, 'ce-source') },
];

describe('Broker stand-in routes as Knative’s Broker filter (its own code)', function () {
  // knative-admission is built on first use (a few minutes cold).
  this.timeout(15 * 60_000);

  it('delivers every sample event to the same Triggers as Knative', async () => {
    const config = await render('overlays/production');
    const fixtures = parseYamlStream(
      readFileSync(join(REPO_ROOT, 'test/knative/fixtures/routing-triggers.yaml'), 'utf8'),
    ).filter((t) => t.metadata.name !== 'cesql');
    const triggers = [...config.filter((o) => o.kind === 'Trigger'), ...fixtures];
    const samples = [...functionSamples(), ...producedSamples(config), ...EDGE_CASES];
    const knative = await knativeRoutes(triggers, samples);
    const routes = triggers.map(routeOf);
    const differences: string[] = [];
    let delivered = 0;
    for (const [i, sample] of samples.entries()) {
      const want = knative[i]!;
      assert.equal(want.event, sample.name);
      const e = parseHttpEvent(sample.headers, Buffer.from(sample.body ?? ''), 'sample');
      const refused = !e || invalidEvent(e) !== undefined;
      const got = refused ? [] : routesFor(routes, filterView(e)).map((r) => r.trigger);
      if (refused !== (want.error !== undefined))
        differences.push(
          `${sample.name}: Knative ${want.error ?? 'accepts'}, stand-in ${refused ? 'refuses' : 'accepts'}`,
        );
      else if (got.join() !== want.triggers.join())
        differences.push(`${sample.name}: Knative → [${want.triggers}], stand-in → [${got}]`);
      delivered += want.triggers.length;
    }
    assert.deepEqual(differences, []);
    // The comparison means something: many samples, many deliveries, some refusals.
    assert.ok(samples.length >= 60, `${samples.length} samples`);
    assert.ok(delivered >= 200, `${delivered} deliveries`);
    assert.ok(knative.filter((r) => r.error).length >= 4);
    // Every fixture Trigger both takes and leaves some event, except those that take all.
    for (const t of fixtures) {
      const n = knative.filter((r) => r.triggers.includes(t.metadata.name)).length;
      assert.ok(n > 0, `${t.metadata.name} takes nothing`);
    }
  });

  it('refuses a Trigger whose filters use CESQL rather than route it differently', () => {
    const cesql = parseYamlStream(
      readFileSync(join(REPO_ROOT, 'test/knative/fixtures/routing-triggers.yaml'), 'utf8'),
    ).find((t) => t.metadata.name === 'cesql')!;
    assert.throws(() => routeOf(cesql), /Trigger cesql: spec\.filters\[0\]\.cesql is CESQL/);
  });
});
