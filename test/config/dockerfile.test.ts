// Lints the Dockerfile. hadolint is not obtainable here (no Debian package, not a Go module, no
// npm package without a binary download), so this runs dockerfile-utils' validator (the Docker
// language server's) with every check at error level, plus the hadolint rules that matter for
// this image, each named by its hadolint id.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validate, ValidationSeverity } from 'dockerfile-utils';
import type { ValidatorSettings } from 'dockerfile-utils';
import {
  execForm,
  finalStage,
  parseImageRef,
  readDockerfile,
  stageEnv,
} from './dockerfile-model.ts';
import { REPO_ROOT } from './paths.ts';

const model = readDockerfile();
const all = model.stages.flatMap((s) => s.instructions);
const final = finalStage(model);
const stageNames = new Set(model.stages.map((s) => s.name).filter(Boolean));

const E = ValidationSeverity.ERROR;
const STRICT: ValidatorSettings = {
  deprecatedMaintainer: E,
  directiveCasing: E,
  emptyContinuationLine: E,
  instructionCasing: E,
  instructionCmdMultiple: E,
  instructionEntrypointMultiple: E,
  instructionHealthcheckMultiple: E,
  instructionJSONInSingleQuotes: E,
  instructionWorkdirRelative: E,
};

describe('Dockerfile lint', () => {
  it('passes dockerfile-utils validation with every check as an error', () => {
    const problems = validate(model.text, STRICT).map(
      (d) => `line ${d.range.start.line + 1}: ${d.message}`,
    );
    assert.deepEqual(problems, []);
  });

  it('DL3006/DL3007: every base image has an explicit version tag, never latest', () => {
    for (const stage of model.stages) {
      if (stageNames.has(stage.image)) continue;
      const ref = parseImageRef(stage.image);
      assert.ok(ref.tag || ref.digest, `${stage.image} is not pinned`);
      assert.notEqual(ref.tag, 'latest');
      assert.match(
        ref.tag ?? '',
        /^\d+\.\d+\.\d+-/,
        `${stage.image}: pin the full version, not a moving major tag`,
      );
    }
  });

  it('builds on the Node release the tests run on, within package.json engines', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      engines: { node: string };
    };
    const testedNode = (
      JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules/node/package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    for (const stage of model.stages.filter((s) => !stageNames.has(s.image))) {
      const ref = parseImageRef(stage.image);
      assert.equal(ref.name, 'node');
      assert.equal(
        ref.tag?.split('-')[0],
        testedNode,
        `${stage.image} differs from the tested Node ${testedNode}`,
      );
    }
    assert.equal(pkg.engines.node, '>=24 <25');
    assert.equal(testedNode.split('.')[0], '24');
  });

  it('DL3002: runs as a numeric non-root user (so Kubernetes can verify runAsNonRoot)', () => {
    const user = final.instructions.filter((i) => i.keyword === 'USER').at(-1);
    assert.ok(user, 'no USER in the final stage');
    const [uid, gid] = user.text.trim().split(':');
    assert.match(uid ?? '', /^\d+$/);
    assert.notEqual(Number(uid), 0);
    if (gid !== undefined) assert.notEqual(Number(gid), 0);
  });

  it('DL3025: ENTRYPOINT and CMD in exec (JSON) form, so SIGTERM reaches node', () => {
    for (const keyword of ['ENTRYPOINT', 'CMD']) {
      const ins = final.instructions.filter((i) => i.keyword === keyword);
      assert.equal(ins.length, 1, keyword);
      assert.ok(execForm(ins[0]), `${keyword} is in shell form`);
    }
    assert.equal(execForm(final.instructions.find((i) => i.keyword === 'ENTRYPOINT'))?.[0], 'node');
  });

  it('DL3020/DL4006: COPY not ADD, and no piped downloads', () => {
    assert.deepEqual(
      all.filter((i) => i.keyword === 'ADD').map((i) => i.line),
      [],
    );
    for (const run of all.filter((i) => i.keyword === 'RUN')) {
      assert.doesNotMatch(run.text, /\b(curl|wget)\b/, `line ${run.line} downloads at build time`);
      assert.doesNotMatch(run.text, /[^|]\|[^|]/, `line ${run.line} pipes without pipefail`);
    }
  });

  it('DL3016: npm installs only exactly what the lockfile says; the image carries no node_modules', () => {
    for (const run of all.filter((i) => i.keyword === 'RUN' && /\bnpm\b/.test(i.text))) {
      assert.doesNotMatch(run.text, /\bnpm (install|i|add)\b/, `line ${run.line}: use npm ci`);
    }
    assert.equal(
      final.instructions.some((i) => i.keyword === 'RUN'),
      false,
      'the runtime stage runs nothing at build time',
    );
    // dist/ bundles every production dependency (test/image runs every function from the image).
    const modules = final.instructions.find(
      (i) => i.keyword === 'COPY' && i.args.some((a) => a.includes('node_modules')),
    );
    assert.equal(modules, undefined, `line ${modules?.line}: the bundle needs no node_modules`);
  });

  it('DL3045: every stage sets WORKDIR before it copies into a relative path', () => {
    for (const stage of model.stages) {
      const firstCopy = stage.instructions.findIndex((i) => i.keyword === 'COPY');
      const workdir = stage.instructions.findIndex((i) => i.keyword === 'WORKDIR');
      if (firstCopy >= 0)
        assert.ok(workdir >= 0 && workdir < firstCopy, `stage ${stage.name ?? '(final)'}`);
    }
  });

  it('listens where the Knative Services send traffic', () => {
    const env = stageEnv(final);
    assert.equal(env['NODE_ENV'], 'production');
    assert.equal(env['PORT'], '8080');
    const exposed = final.instructions.filter((i) => i.keyword === 'EXPOSE').flatMap((i) => i.args);
    assert.deepEqual(exposed, ['8080']);
    const defaults = readFileSync(
      join(REPO_ROOT, 'config/base/patches/function-defaults.yaml'),
      'utf8',
    );
    assert.match(defaults, /containerPort: 8080/);
  });

  it('.dockerignore keeps the build context to what the Dockerfile copies', () => {
    const ignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    assert.equal(ignore[0], '*', 'exclude everything first, then re-include');
    const included = ignore
      .filter((l) => l.startsWith('!'))
      .map((l) => l.slice(1).replace(/\/$/, ''));
    const sources = all
      .filter((i) => i.keyword === 'COPY' && i.flags['from'] === undefined)
      .flatMap((i) => i.args.slice(0, -1))
      .map((s) => s.replace(/\/$/, ''));
    for (const source of sources)
      assert.ok(included.includes(source), `COPY ${source} is excluded by .dockerignore`);
    for (const excluded of ['node_modules', 'dist', '.git'])
      assert.ok(!included.some((i) => i === excluded || i.startsWith(`${excluded}/`)), excluded);
  });
});
