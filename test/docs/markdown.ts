// Reading the project's Markdown the way GitHub renders it, for the tests that tie the docs to the
// code: sections by heading, heading anchors (GitHub's slugs), and the links a reader can follow.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../config/paths.ts';

export { REPO_ROOT };

export function readDoc(relPath: string): string {
  return readFileSync(join(REPO_ROOT, relPath), 'utf8');
}

interface Line {
  text: string;
  /** 1-based line number in the file. */
  number: number;
  /** Inside a fenced code block (``` or ~~~), where nothing is a heading or a link. */
  code: boolean;
}

function lines(md: string): Line[] {
  let fence: string | undefined;
  return md.split('\n').map((text, i) => {
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(text)?.[1];
    if (fence === undefined && marker) {
      fence = marker;
      return { text, number: i + 1, code: true };
    }
    if (fence !== undefined) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
      return { text, number: i + 1, code: true };
    }
    return { text, number: i + 1, code: false };
  });
}

const HEADING = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;

/**
 * The text from the heading `heading` (exactly as written, e.g. `## RBAC`) up to the next heading
 * of the same or a higher level. Throws when the heading is absent, so a test cannot pass on an
 * empty section.
 */
export function section(md: string, heading: string): string {
  const all = lines(md);
  const level = /^#+/.exec(heading)?.[0].length ?? 0;
  const start = all.findIndex((l) => !l.code && l.text.trim() === heading);
  if (level === 0 || start < 0) throw new Error(`no heading "${heading}"`);
  let end = all.length;
  for (let i = start + 1; i < all.length; i++) {
    const m = all[i]?.code ? null : HEADING.exec(all[i]?.text ?? '');
    if (m && (m[1]?.length ?? 7) <= level) {
      end = i;
      break;
    }
  }
  return all
    .slice(start, end)
    .map((l) => l.text)
    .join('\n');
}

/** The heading's text as GitHub renders it: inline code, emphasis and link targets removed. */
function renderedText(raw: string): string {
  return raw
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/(\*\*|__)(.*?)\1/g, '$2')
    .replace(/(^|\W)[*_](\S.*?)[*_](?=\W|$)/g, '$1$2');
}

/**
 * GitHub's anchor for a heading (github-slugger): lower case, every character that is not a
 * letter, mark, number, connector punctuation, space or hyphen dropped, spaces become hyphens.
 */
export function githubSlug(heading: string): string {
  return renderedText(heading)
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a link may name in this file: heading slugs (repeats get -1, -2, ...) and HTML ids. */
export function anchors(md: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  for (const l of lines(md)) {
    if (l.code) continue;
    const m = HEADING.exec(l.text);
    if (m) {
      const base = githubSlug(m[2] ?? '');
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      out.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const id of l.text.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) out.add(id[1] ?? '');
  }
  return out;
}

export interface Link {
  target: string;
  line: number;
}

/** Inline links and images outside code (fenced blocks and inline code spans). */
export function links(md: string): Link[] {
  const out: Link[] = [];
  for (const l of lines(md)) {
    if (l.code) continue;
    const text = l.text.replace(/`[^`]*`/g, '');
    for (const m of text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g))
      out.push({ target: m[1] ?? '', line: l.number });
  }
  return out;
}
