// docs/architecture.md's "Where things are" is how a newcomer finds code: every folder under
// functions/ has its row, and the runtime's row names each of its rooms.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, readDoc, section } from './markdown.ts';

const where = section(readDoc('docs/architecture.md'), '## Where things are');
const folders = (dir: string): string[] =>
  readdirSync(join(REPO_ROOT, dir), { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name !== 'test')
    .map((e) => e.name);

describe('docs/architecture.md, Where things are', () => {
  it('has a row for every folder under functions/', () => {
    const all = folders('functions');
    assert.ok(all.includes('backup-labeler') && all.includes('runtime'));
    assert.deepEqual(
      all.filter((f) => !where.includes(`| \`functions/${f}/\` |`)),
      [],
    );
  });

  it("names every room of the runtime in the runtime's row", () => {
    const row = where.split('\n').find((l) => l.startsWith('| `functions/runtime/` |')) ?? '';
    const rooms = folders('functions/runtime');
    assert.ok(rooms.length >= 5);
    assert.deepEqual(
      rooms.filter((r) => !row.includes(`\`${r}/\``)),
      [],
    );
  });
});
