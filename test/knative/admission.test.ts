// Knative's own webhook code on the shipped configuration: every Knative object of both overlays,
// defaulted and validated as the Serving and Eventing webhooks would on `kubectl apply` (create,
// then the same manifest re-applied as an update), and a file of mistakes each of which they
// refuse. The CRDs' schemas (what a dry-run checks) accept all of those mistakes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseYamlStream, render } from '../config/render.ts';
import type { KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import { loadVersions } from '../../scripts/binaries/versions.ts';
import { admit } from './knative-admission.ts';
import type { Admission } from './knative-admission.ts';

const isKnative = (o: KubeObject) => /^[a-z.]*knative\.dev\//.test(o.apiVersion);
const fixture = (name: string) =>
  parseYamlStream(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
const named = (results: Admission[], name: string) => {
  const r = results.find((x) => x.object.endsWith(`/${name}`));
  assert.ok(r, `no verdict for ${name}`);
  return r;
};

describe('Knative admission (its own webhook code, pinned release)', function () {
  // The first run builds test/go/knative (a few minutes cold, cached after).
  this.timeout(15 * 60_000);

  for (const overlay of ['overlays/dev', 'overlays/production'] as const) {
    it(`admits every Knative object of ${overlay}, created and re-applied`, async () => {
      const objects = await render(overlay);
      const knative = objects.filter(isKnative);
      const { results, status } = await admit(objects);
      assert.equal(results.length, objects.length);
      const checked = results.filter((r) => r.webhook);
      // Nothing Knative slipped past as "not a webhook kind"; everything else was passed over.
      assert.equal(checked.length, knative.length);
      assert.ok(knative.length >= 40, `only ${knative.length} Knative objects rendered`);
      const refused = results.filter((r) => r.errors);
      assert.deepEqual(
        refused.map((r) => `${r.object}: ${r.errors!.join('; ')}`),
        [],
        'refused by Knative',
      );
      assert.equal(status, 0);
    });
  }

  it('stores what Knative defaults: the Broker class, the Triggers untouched in routing', async () => {
    const objects = await render('overlays/production');
    const { results } = await admit(objects.filter(isKnative));
    const broker = results.find((r) => r.object.startsWith('Broker.'))!.defaulted!;
    assert.equal(
      broker.metadata.annotations?.['eventing.knative.dev/broker.class'],
      'MTChannelBasedBroker',
    );
    for (const r of results.filter((x) => x.object.startsWith('Trigger.'))) {
      const source = objects.find(
        (o) => o.kind === 'Trigger' && r.object.endsWith(`/${o.metadata.name}`),
      )!;
      const spec = (o: KubeObject) => o['spec'] as { filter?: unknown; filters?: unknown };
      assert.deepEqual(spec(r.defaulted!).filter, spec(source).filter, r.object);
      assert.deepEqual(spec(r.defaulted!).filters, spec(source).filters, r.object);
    }
  });

  it('refuses each deliberate mistake with Knative’s own message', async () => {
    const { results, status } = await admit(fixture('refused.yaml'));
    const expected: Record<string, RegExp> = {
      'misspelt-filter': /unknown field "filtr"/,
      'two-dialects': /multiple dialects found/,
      'no-subscriber':
        /expected at least one, got none: spec\.subscriber\.ref, spec\.subscriber\.uri/,
      'negative-retry':
        /invalid value: -1: spec\.delivery\.retry[\s\S]*spec\.delivery\.backoffDelay/,
      'bad-schedule': /spec\.schedule/,
      'too-concurrent': /expected 0 <= 5000 <= 1000: spec\.template\.spec\.containerConcurrency/,
    };
    assert.equal(results.length, Object.keys(expected).length);
    for (const [name, message] of Object.entries(expected)) {
      const r = named(results, name);
      assert.match(r.errors?.join('\n') ?? '(admitted)', message, name);
    }
    assert.equal(status, 1);
  });

  it('admits every Trigger the routing comparison uses (test/broker-standin/knative-routing.test.ts)', async () => {
    const triggers = fixture('routing-triggers.yaml');
    const { results, status } = await admit(triggers);
    assert.deepEqual(
      results.filter((r) => r.errors).map((r) => r.object),
      [],
    );
    assert.equal(results.filter((r) => r.webhook).length, triggers.length);
    assert.equal(status, 0);
  });

  it('builds from the Knative release whose CRDs the test plane installs', () => {
    const goMod = readFileSync(new URL('../go/knative/go.mod', import.meta.url), 'utf8');
    const { knativeServing, knativeEventing } = loadVersions().crds;
    for (const m of [knativeServing!, knativeEventing!])
      assert.match(goMod, new RegExp(`^\\s*${m.module.replace(/\./g, '\\.')} ${m.version}$`, 'm'));
  });
});
