// Every relative link in the project's Markdown leads somewhere: the file or folder exists inside
// the repository, and a #anchor names a heading of the target as GitHub slugs it (or an HTML id).
// The README is a hub of links into docs/, so a renamed file or heading must not leave a dead end.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { REPO_ROOT, anchors, githubSlug, links, readDoc } from './markdown.ts';

const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', '.tmp']);

/** README.md, CONTRIBUTING.md, docs/ and every other Markdown file of the repository. */
function markdownFiles(dir = REPO_ROOT): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) out.push(...markdownFiles(join(dir, entry.name)));
    } else if (entry.name.endsWith('.md')) {
      out.push(relative(REPO_ROOT, join(dir, entry.name)));
    }
  }
  return out.sort();
}

/** What is wrong with one link of `file`, or undefined when it resolves. */
function brokenBecause(file: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // https:, mailto: ...
  const hash = target.indexOf('#');
  const path = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
  const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
  const absolute = path === '' ? join(REPO_ROOT, file) : resolve(REPO_ROOT, dirname(file), path);
  if (absolute !== REPO_ROOT && !absolute.startsWith(REPO_ROOT + sep))
    return 'points outside the repository';
  if (!existsSync(absolute)) return 'no such file or folder';
  if (anchor === undefined) return undefined;
  if (statSync(absolute).isDirectory() || !absolute.endsWith('.md'))
    return 'an anchor into something that is not a Markdown file';
  const known = anchors(readDoc(relative(REPO_ROOT, absolute)));
  return known.has(anchor) ? undefined : `no heading with the anchor #${anchor}`;
}

describe('docs: every relative link resolves', () => {
  const files = markdownFiles();

  it('finds the documents a reader starts from', () => {
    for (const f of ['README.md', 'CONTRIBUTING.md', 'docs/reference.md', 'docs/deploy.md'])
      assert.ok(files.includes(f), f);
  });

  it('README.md, CONTRIBUTING.md and docs/**/*.md link only to what exists', () => {
    const broken: string[] = [];
    for (const file of files)
      for (const { target, line } of links(readDoc(file))) {
        const why = brokenBecause(file, target);
        if (why) broken.push(`${file}:${line} ${target}: ${why}`);
      }
    assert.deepEqual(broken, []);
  });

  // The checker itself, on cases it must refuse and accept (a check that cannot fail is no check).
  it('slugs headings as GitHub does', () => {
    const rows: Array<[string, string]> = [
      ['What `config/base` creates', 'what-configbase-creates'],
      ["The vSphere plugin's blocked list", 'the-vsphere-plugins-blocked-list'],
      [
        'What a restore strips, what it reports, and why',
        'what-a-restore-strips-what-it-reports-and-why',
      ],
      ['Performance (`npm run bench`)', 'performance-npm-run-bench'],
      [
        'A five-minute tour: back up and restore one group',
        'a-five-minute-tour-back-up-and-restore-one-group',
      ],
      ['**Bold** and [a link](x.md) — dash', 'bold-and-a-link--dash'],
      ['snake_case_name', 'snake_case_name'],
    ];
    for (const [heading, slug] of rows) assert.equal(githubSlug(heading), slug, heading);
  });

  it('refuses a missing file, a missing anchor and a path out of the repository', () => {
    assert.equal(brokenBecause('README.md', 'docs/reference.md#rbac'), undefined);
    assert.equal(brokenBecause('docs/deploy.md', '../README.md'), undefined);
    assert.equal(brokenBecause('docs/deploy.md', '#gitops'), undefined);
    assert.equal(brokenBecause('README.md', 'https://example.com/x#y'), undefined);
    assert.match(brokenBecause('README.md', 'docs/nope.md') ?? '', /no such file/);
    assert.match(brokenBecause('README.md', 'docs/reference.md#nope') ?? '', /no heading/);
    assert.match(brokenBecause('README.md', '#nope') ?? '', /no heading/);
    assert.match(brokenBecause('docs/deploy.md', '../../shared/DESIGN.md') ?? '', /outside/);
  });

  it('numbers repeated headings and ignores headings and links inside code blocks', () => {
    const md =
      '# A\n\n## Same\n\n## Same\n\n```md\n## Fenced\n[x](nowhere.md)\n```\n`[y](no.md)`\n';
    assert.deepEqual([...anchors(md)], ['a', 'same', 'same-1']);
    assert.deepEqual(links(md), []);
  });
});
