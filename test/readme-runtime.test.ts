// The README's "HTTP contract" table promises a status per input class; every status it lists
// must be covered by a test of that status in the HTTP contract suite, and vice versa.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const start = readme.indexOf('<!-- section: runtime (runtime helper) -->');
const section = readme.slice(start, readme.indexOf('<!-- section:', start + 1));
const suite = readFileSync(
  new URL('../functions/runtime/test/http-contract.test.ts', import.meta.url),
  'utf8',
);

describe('README, section HTTP contract', () => {
  it('exists', () => assert.ok(start >= 0 && section.includes('## HTTP contract')));

  it('lists exactly the statuses the HTTP contract suite tests', () => {
    const rows = [...section.matchAll(/^\| [^|]+ \| `(\d{3})(?:\/(\d{3}))?` \|/gm)].flatMap((m) => [
      m[1],
      m[2],
    ]);
    const documented = new Set(rows.filter((s): s is string => s !== undefined));
    const tested = new Set([...suite.matchAll(/it\('(\d{3}):/g)].map((m) => m[1] as string));
    // 405/404 share one test.
    if (suite.includes("it('405 for other methods on /, 404 elsewhere'"))
      ['405', '404'].forEach((s) => tested.add(s));
    assert.deepEqual([...documented].sort(), [...tested].sort());
  });

  it('names the settings serve reads', () => {
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
      assert.ok(section.includes(`\`${name}`), name);
    }
  });
});
