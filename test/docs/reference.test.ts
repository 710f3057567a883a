// docs/reference.md is where a user looks a name up, so it must hold every name the product
// writes (functions/vmgroup/names.ts) in its section, every RBAC identity the config creates, the
// HTTP statuses the contract suite tests (no more, no fewer), and every setting the product's code
// reads from its environment. docs/backup-and-restore.md's troubleshooting names every Event reason.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as names from '../../functions/vmgroup/names.ts';
import { render } from '../config/render.ts';
import { REPO_ROOT, readDoc, section } from './markdown.ts';

const reference = readDoc('docs/reference.md');
const suite = readFileSync(
  new URL('../../functions/runtime/test/http-contract.test.ts', import.meta.url),
  'utf8',
);

/** The constants of names.ts whose name starts with `prefix`, as written (EVENT_TYPE_PREFIX is not a type). */
function written(prefix: 'ANNOTATION' | 'REASON' | 'EVENT_TYPE'): string[] {
  return Object.entries(names)
    .filter(([k, v]) => typeof v === 'string' && k.startsWith(`${prefix}_`))
    .filter(([k]) => k !== 'EVENT_TYPE_PREFIX')
    .map(([, v]) => v as string);
}

const missingFrom = (text: string, wanted: string[]): string[] =>
  wanted.filter((n) => !text.includes(`\`${n}`));

/** The product's code (functions/, no tests, samples or generated files). */
function productSources(dir = join(REPO_ROOT, 'functions')): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'test' && e.name !== 'samples') out.push(...productSources(path));
    } else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

describe('docs/reference.md', function () {
  this.timeout(600_000);

  it('documents every label the product writes, in Labels', () => {
    const labels = [names.MEMBER_LABEL_PREFIX, names.SEED_GROUP_LABEL, names.VELERO_EXCLUDE_LABEL];
    assert.deepEqual(missingFrom(section(reference, '## Labels'), labels), []);
  });

  it('documents every annotation, in Annotations', () => {
    const all = written('ANNOTATION');
    assert.ok(all.length > 10);
    assert.deepEqual(missingFrom(section(reference, '## Annotations'), all), []);
  });

  it('documents every Event reason, in Kubernetes Events', () => {
    const all = written('REASON');
    assert.ok(all.length > 10);
    assert.deepEqual(missingFrom(section(reference, '## Kubernetes Events'), all), []);
  });

  it('documents every CloudEvent type the functions reply with', () => {
    const all = written('EVENT_TYPE');
    assert.ok(all.length > 5);
    const text = section(reference, '## CloudEvents the functions reply with');
    assert.deepEqual(missingFrom(text, all), []);
    assert.ok(text.includes(`\`${names.EVENT_SOURCE}\``), 'the reply source');
  });

  it('lists every ServiceAccount the config creates in its RBAC table', async () => {
    const objects = await render('overlays/production');
    const accounts = objects.filter((o) => o.kind === 'ServiceAccount').map((o) => o.metadata.name);
    assert.ok(accounts.length > 0);
    const rbac = section(reference, '## RBAC');
    for (const sa of accounts)
      assert.match(rbac, new RegExp(`\\| \`${sa}\` \\|`), `${sa} missing from the RBAC table`);
  });

  it('HTTP contract: lists exactly the statuses the HTTP contract suite tests', () => {
    const contract = section(reference, '## HTTP contract');
    const rows = [...contract.matchAll(/^\| [^|]+ \| `(\d{3})(?:\/(\d{3}))?` \|/gm)].flatMap(
      (m) => [m[1], m[2]],
    );
    const documented = new Set(rows.filter((s): s is string => s !== undefined));
    const tested = new Set([...suite.matchAll(/it\('(\d{3}):/g)].map((m) => m[1] as string));
    // 405/404 share one test.
    if (suite.includes("it('405 for other methods on /, 404 elsewhere'"))
      ['405', '404'].forEach((s) => tested.add(s));
    assert.ok(tested.size > 5);
    assert.deepEqual([...documented].sort(), [...tested].sort());
  });

  it('Settings: names the flags and environment serve reads', () => {
    const settings = section(reference, '## Settings');
    for (const name of [
      'PORT',
      'KUBECONFIG',
      'MAX_BODY_SIZE',
      'LOG_LEVEL',
      '--port',
      '--kubeconfig',
      '--max-body',
      '--log-level',
    ]) {
      assert.ok(settings.includes(`\`${name}`), name);
    }
  });

  it('Settings: names every environment variable the product reads', () => {
    const read = new Map<string, string>();
    for (const file of productSources())
      for (const m of readFileSync(file, 'utf8').matchAll(
        /\benv\??\.([A-Z][A-Z0-9_]+)|\benv\[['"]([A-Z][A-Z0-9_]+)['"]\]/g,
      ))
        read.set(m[1] ?? m[2] ?? '', relative(REPO_ROOT, file));
    assert.ok(
      read.has('LABELER_MAX_PASSES') && read.has('VELERO_NAMESPACE'),
      'the scan finds env reads',
    );
    const settings = section(reference, '## Settings');
    const undocumented = [...read].filter(([n]) => !settings.includes(`\`${n}\``));
    assert.deepEqual(undocumented, []);
  });
});

describe('docs/backup-and-restore.md, Troubleshooting', () => {
  it('says what to do about every Event reason the product records', () => {
    const table = section(readDoc('docs/backup-and-restore.md'), '## Troubleshooting');
    assert.deepEqual(missingFrom(table, written('REASON')), []);
  });
});
