// The README's tour is what a newcomer types, so every part of it is checked against what it
// names: the demo's application (scripts/demo/fixture.ts) and the example manifest made from it,
// the membership label and the resource-modifier ConfigMap (functions/vmgroup/names.ts and
// config/), the Event reasons, and the `velero` flags the real-Velero end-to-end suite runs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import * as names from '../../functions/vmgroup/names.ts';
import { DEFAULT_VELERO_NAMESPACE } from '../../functions/velero/namespace.ts';
import {
  EXPECTED_ORDER,
  KEPT_OFF,
  NAMESPACE,
  OUTSIDE,
  TOP_GROUP,
  application,
  secrets,
} from '../../scripts/demo/fixture.ts';
import { render } from '../config/render.ts';
import { REPO_ROOT, readDoc, section } from './markdown.ts';

const readme = readDoc('README.md');
const tour = section(readme, '## A five-minute tour: back up and restore one group');
const demo = section(readme, '## What the demo shows');
const commands = [...tour.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) =>
  (m[1] ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean),
);
const key = names.memberLabelKey(TOP_GROUP);
const backup = `${NAMESPACE}-backup`;

describe('README, the five-minute tour', function () {
  this.timeout(600_000);

  it('backs up the demo group with the command the demo prints', () => {
    // scripts/demo.ts prints exactly this (test/config/demo.int.test.ts checks its output).
    assert.ok(
      commands.includes(
        `velero backup create ${backup} --include-namespaces ${NAMESPACE} --selector ${key}`,
      ),
      commands.join('\n'),
    );
  });

  it('restores from that backup with the resource-modifier ConfigMap the config installs in Velero’s namespace', async () => {
    const restore = commands.find((c) => c.startsWith('velero restore create'));
    assert.ok(restore);
    assert.match(restore, new RegExp(` --from-backup ${backup}( |$)`));
    assert.match(
      restore,
      new RegExp(` --resource-modifier-configmap ${names.RESOURCE_MODIFIER_CONFIGMAP}( |$)`),
    );
    const config = await render('overlays/production');
    assert.ok(
      config.some(
        (o) =>
          o.kind === 'ConfigMap' &&
          o.metadata.name === names.RESOURCE_MODIFIER_CONFIGMAP &&
          o.metadata.namespace === DEFAULT_VELERO_NAMESPACE,
      ),
      `${names.RESOURCE_MODIFIER_CONFIGMAP} in ${DEFAULT_VELERO_NAMESPACE}`,
    );
  });

  it('uses only velero flags the real-Velero end-to-end suite runs', () => {
    // The suite and the Velero CLI calls it shares with the VM Operator suite.
    const e2e = ['test/e2e/backup-restore.e2e.ts', 'test/e2e/velero-api.ts']
      .map((f) => readFileSync(join(REPO_ROOT, f), 'utf8'))
      .join('\n');
    const flags = commands
      .filter((c) => c.startsWith('velero '))
      .flatMap((c) => [...c.matchAll(/ (--[a-z-]+)/g)].map((m) => m[1] ?? ''));
    assert.ok(flags.length >= 4);
    assert.deepEqual(
      flags.filter((f) => !e2e.includes(`'${f}'`)),
      [],
    );
  });

  it('selects, lists and deletes by the demo group’s membership label, and previews that group', () => {
    for (const c of commands.filter((c) => c.startsWith('kubectl -n shop get vmg')))
      assert.ok(c.includes(`-L ${key}`), c);
    assert.ok(
      commands.some(
        (c) => c.startsWith(`kubectl -n ${NAMESPACE} delete`) && c.includes(`-l ${key}`),
      ),
    );
    assert.ok(
      commands.includes(
        `npx velero-vmgroup-functions closure --group ${NAMESPACE}/${TOP_GROUP} --live`,
      ),
    );
  });

  it('names only Event reasons the product records', () => {
    const reasons = new Set<unknown>(
      Object.entries(names)
        .filter(([k]) => k.startsWith('REASON_'))
        .map(([, v]) => v),
    );
    const named = [...tour.matchAll(/`(VMGroup\w+)`/g)].map((m) => m[1] ?? '');
    assert.ok(named.length >= 5);
    assert.deepEqual(
      named.filter((r) => !reasons.has(r)),
      [],
    );
  });

  it('tells the boot order and the delays the demo checks', () => {
    for (const { vm, afterMs } of EXPECTED_ORDER.slice(1))
      assert.match(demo, new RegExp(`\`${vm}\` ≥ ${afterMs / 1000} s`), vm);
    for (const vm of [...KEPT_OFF, OUTSIDE.vm]) {
      assert.ok(demo.includes(`\`${vm}\``), vm);
      assert.ok(tour.includes(`\`${vm}\``), vm);
    }
  });

  it('applies docs/examples/shop.yaml, which is the demo’s application', () => {
    assert.ok(commands.includes(`kubectl -n ${NAMESPACE} apply -f docs/examples/shop.yaml`));
    const app = application();
    const expected = [
      ...secrets(),
      ...app.configMaps,
      ...app.pvcs,
      ...app.groups,
      ...app.vms,
      ...app.services,
    ].map((o) => {
      // The file is applied with `kubectl -n`, so it names no namespace.
      const metadata: Record<string, unknown> = { ...o.metadata };
      delete metadata['namespace'];
      return { ...o, metadata };
    });
    const file = readFileSync(join(REPO_ROOT, 'docs/examples/shop.yaml'), 'utf8');
    const objects = parseAllDocuments(file).map((d) => d.toJS() as unknown);
    assert.deepEqual(objects, expected);
  });
});
