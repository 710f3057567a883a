// Docker cannot run here, so this assembles the image's file system the way the Dockerfile
// describes it — each stage in its own folder, COPY honouring .dockerignore, the known RUN steps
// replayed with their local equivalents — and then starts the final stage's ENTRYPOINT + CMD.
// An instruction it does not know fails loudly, so a Dockerfile change cannot silently diverge.
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, matchesGlob, posix, relative } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { DockerfileModel, Instruction, Stage } from './dockerfile-model.ts';
import { REPO_ROOT } from './paths.ts';

/** The Node that runs tests; test/config/dockerfile.test.ts pins the base image to the same release. */
export const NODE = join(REPO_ROOT, 'node_modules/.bin/node');

export interface Layout {
  root: string;
  /** Folder holding stage `name`'s file system. */
  stageRoot(name: string): string;
  /** Maps an absolute path inside a stage to the host. */
  hostPath(stage: string, containerPath: string): string;
  cleanup(): void;
}

interface StageState {
  root: string;
  workdir: string;
}

export function assembleImage(model: DockerfileModel): Layout {
  const root = mkdtempSync(join(tmpdir(), 'vvf-image-'));
  const stages = new Map<string, StageState>();
  const ignore = readDockerignore();
  const stageKey = (s: Stage, i: number) => s.name ?? `stage-${i}`;
  model.stages.forEach((stage, i) => {
    const state: StageState = { root: join(root, stageKey(stage, i)), workdir: '/' };
    mkdirSync(state.root, { recursive: true });
    stages.set(stageKey(stage, i), state);
    for (const ins of stage.instructions) replay(ins, state, stages, ignore);
  });
  const finalKey = stageKey(model.stages.at(-1) as Stage, model.stages.length - 1);
  stages.set('final', stages.get(finalKey) as StageState);
  return {
    root,
    stageRoot: (name) => (stages.get(name) as StageState).root,
    hostPath: (name, p) => join((stages.get(name) as StageState).root, p),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

const inside = (state: StageState, p: string): string =>
  join(state.root, isAbsolute(p) ? p : posix.join(state.workdir, p));

function replay(
  ins: Instruction,
  state: StageState,
  stages: Map<string, StageState>,
  ignore: string[],
): void {
  switch (ins.keyword) {
    case 'WORKDIR':
      state.workdir = posix.resolve(state.workdir, ins.text.trim());
      mkdirSync(inside(state, state.workdir), { recursive: true });
      return;
    case 'COPY':
      return copy(ins, state, stages, ignore);
    case 'RUN':
      return run(ins, state);
    case 'ENV':
    case 'USER':
    case 'EXPOSE':
    case 'ENTRYPOINT':
    case 'CMD':
    case 'ARG':
      return; // metadata: read from the model when the container starts
    default:
      throw new Error(
        `image-layout: line ${ins.line}: teach test/config/image-layout.ts about ${ins.keyword}`,
      );
  }
}

function copy(
  ins: Instruction,
  state: StageState,
  stages: Map<string, StageState>,
  ignore: string[],
): void {
  const from = ins.flags['from'];
  const sources = ins.args.slice(0, -1);
  const dest = ins.args.at(-1) as string;
  for (const source of sources) {
    const src = from
      ? join((stages.get(from) as StageState).root, source)
      : join(REPO_ROOT, source);
    if (!existsSync(src))
      throw new Error(`image-layout: line ${ins.line}: COPY source ${source} does not exist`);
    const target =
      dest.endsWith('/') || sources.length > 1
        ? join(inside(state, dest), posix.basename(source))
        : inside(state, dest);
    // A directory's contents land in the destination (Docker's rule), a file lands as the destination.
    const to = statSync(src).isDirectory() ? inside(state, dest) : target;
    mkdirSync(dirname(to), { recursive: true });
    cpSync(src, to, {
      recursive: true,
      dereference: true,
      filter: (path) => from !== undefined || !ignored(relative(REPO_ROOT, path), ignore),
    });
  }
}

function run(ins: Instruction, state: StageState): void {
  const cwd = inside(state, state.workdir);
  const text = ins.text.replace(/\s+/g, ' ').trim();
  if (/^npm ci\b/.test(text) && !text.includes('--omit=dev')) {
    // The build stage's full install: the repository's own node_modules is exactly `npm ci`'s result.
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(cwd, 'node_modules'), 'dir');
    return;
  }
  if (/^npm ci .*--omit=dev\b/.test(text)) {
    installProductionTree(cwd);
    return;
  }
  if (text === 'node scripts/build.ts') {
    execFileSync(NODE, ['scripts/build.ts'], { cwd, stdio: 'pipe' });
    return;
  }
  throw new Error(`image-layout: line ${ins.line}: no local equivalent for RUN ${text}`);
}

/**
 * What `npm ci --omit=dev` installs: every package-lock entry not flagged `dev`, copied from the
 * repository's install (which `npm ci` made from the same lockfile).
 */
function installProductionTree(cwd: string): void {
  const lock = JSON.parse(readFileSync(join(cwd, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; optional?: boolean; link?: boolean }>;
  };
  for (const [path, meta] of Object.entries(lock.packages)) {
    if (!path.startsWith('node_modules/') || meta.dev) continue;
    const src = join(REPO_ROOT, path);
    if (!existsSync(src)) {
      if (meta.optional) continue; // another platform's optional package
      throw new Error(`image-layout: ${path} is a production dependency but is not installed`);
    }
    cpSync(src, join(cwd, path), {
      recursive: true,
      // Nested node_modules are entries of their own in the lockfile.
      filter: (p) => !relative(src, p).split('/').includes('node_modules'),
    });
  }
}

function readDockerignore(): string[] {
  return readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

/** Docker's rule: the last matching pattern wins; a pattern also matches everything below it. */
export function ignored(path: string, patterns: string[]): boolean {
  if (path === '') return false;
  let result = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const pattern = (negate ? raw.slice(1) : raw).replace(/\/$/, '');
    const parts = path.split('/');
    const hit = parts.some((_, i) => matchesGlob(parts.slice(0, i + 1).join('/'), pattern));
    if (hit) result = !negate;
  }
  return result;
}

/** Bytes under a folder (what the image adds on top of its base). */
export function du(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  }
  return total;
}
