// The Dockerfile as plain data (stages, resolved base images, instructions), parsed by
// dockerfile-ast — the parser behind the Docker language server — so the lint test and the
// runtime-layout test read the file the way `docker build` does instead of with regexes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import { REPO_ROOT } from './paths.ts';

export interface Instruction {
  keyword: string;
  /** Arguments as written (JSON-form brackets and quotes included). */
  args: string[];
  /** Everything after the keyword and its flags, continuation lines joined. */
  text: string;
  /** `--name=value` flags (`COPY --from=build`). */
  flags: Record<string, string>;
  line: number;
}

export interface Stage {
  /** `AS <name>`, or undefined for an unnamed stage. */
  name?: string;
  /** The FROM image with ARG defaults substituted. */
  image: string;
  instructions: Instruction[];
}

export interface DockerfileModel {
  text: string;
  args: Record<string, string>;
  stages: Stage[];
}

export const DOCKERFILE_PATH = join(REPO_ROOT, 'Dockerfile');

export function readDockerfile(path = DOCKERFILE_PATH): DockerfileModel {
  const text = readFileSync(path, 'utf8');
  const parsed = DockerfileParser.parse(text);
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of parsed.getInstructions()) {
    const keyword = ins.getKeyword().toUpperCase();
    const instruction: Instruction = {
      keyword,
      args: ins.getArguments().map((a) => a.getValue()),
      text: ins.getArgumentsContent() ?? '',
      flags: flagsOf(ins),
      line: ins.getRange().start.line + 1,
    };
    if (keyword === 'ARG' && stages.length === 0) {
      const [name, value = ''] = instruction.text.split('=', 2);
      if (name) args[name.trim()] = value.trim();
    } else if (keyword === 'FROM') {
      const [image = '', as, name] = instruction.args;
      stages.push({
        image: substitute(image, args),
        ...(as?.toUpperCase() === 'AS' && name ? { name } : {}),
        instructions: [],
      });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { text, args, stages };
}

function flagsOf(ins: object): Record<string, string> {
  // Only instructions that take flags (FROM, COPY, ADD, RUN, HEALTHCHECK) have getFlags().
  const getFlags = (
    ins as { getFlags?: () => Array<{ getName(): string; getValue(): string | null }> }
  ).getFlags;
  return Object.fromEntries(
    (getFlags?.call(ins) ?? []).map((f) => [f.getName(), f.getValue() ?? '']),
  );
}

function substitute(value: string, args: Record<string, string>): string {
  return value.replace(
    /\$\{(\w+)\}|\$(\w+)/g,
    (_, a: string | undefined, b: string | undefined) => args[(a ?? b) as string] ?? '',
  );
}

export interface ImageRef {
  name: string;
  tag?: string;
  digest?: string;
}

export function parseImageRef(ref: string): ImageRef {
  const [withoutDigest = '', digest] = ref.split('@', 2);
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  const hasTag = colon > slash;
  return {
    name: hasTag ? withoutDigest.slice(0, colon) : withoutDigest,
    ...(hasTag ? { tag: withoutDigest.slice(colon + 1) } : {}),
    ...(digest ? { digest } : {}),
  };
}

/** JSON-form arguments of ENTRYPOINT/CMD, or undefined when written in shell form. */
export function execForm(instruction: Instruction | undefined): string[] | undefined {
  if (!instruction) return undefined;
  const text = instruction.text.trim();
  if (!text.startsWith('[')) return undefined;
  return JSON.parse(text) as string[];
}

/** ENV of a stage, later assignments winning, in `KEY=value` form (the only form we write). */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ins of stage.instructions.filter((i) => i.keyword === 'ENV')) {
    for (const pair of ins.args) {
      const at = pair.indexOf('=');
      if (at > 0) env[pair.slice(0, at)] = pair.slice(at + 1);
    }
  }
  return env;
}

export const finalStage = (model: DockerfileModel): Stage => {
  const stage = model.stages.at(-1);
  if (!stage) throw new Error('Dockerfile has no FROM');
  return stage;
};
