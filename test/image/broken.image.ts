// The image test catches a broken Dockerfile: variants of the shipped Dockerfile, each with one
// line of its runtime stage taken out, are built by scripts/image/build.sh and the same check as
// serve.image.ts must fail on each, for the reason the missing line gives. To keep it fast, a
// variant's build stage, the same text as the shipped one, is replaced by the image that text
// built (the shipped build tags it), so only the runtime stage is built.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { functionNames } from '../../functions/registry.ts';
import { IMAGE_CACHE, imageConfig } from '../../scripts/image/container.ts';
import { buildImage } from './probe.ts';
import { deploy, probe } from './deploy.ts';
import type { Deployed } from './deploy.ts';

interface Variant {
  name: string;
  /** The one line of the shipped Dockerfile the variant leaves out. */
  drop: RegExp;
  /** What the image test's check (probe of one function) must then fail with. */
  error: RegExp;
}

const FN = functionNames()[0]!;

const VARIANTS: Variant[] = [
  {
    name: 'no-bin',
    drop: /^COPY bin\/ \.\/bin\/$/m,
    // The ENTRYPOINT's script is not there: node exits at once.
    error:
      /exited 1 before ready:[^]*Cannot find module '\/app\/bin\/velero-vmgroup-functions\.js'/,
  },
  {
    name: 'no-dist',
    drop: /^COPY --from=build \/src\/dist \.\/dist$/m,
    error: /exited 1 before ready:[^]*dist\/cli\.js is missing/,
  },
];

/** scripts/image/build.sh tags the shipped build's `build` stage so. */
const BUILD_STAGE = 'localhost/vvf-build-stage:test';

/**
 * The shipped Dockerfile without the line `drop` matches (there exactly once, after the build
 * stage), its build stage replaced by the image that stage built.
 */
function variantDockerfile(v: Variant): string {
  const shipped = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
  let lines = shipped.split('\n');
  const start = lines.findIndex((l) => /^FROM \S+ AS build$/.test(l));
  const end = lines.findIndex((l, i) => i > start && l.startsWith('FROM '));
  assert.ok(start >= 0 && end > start, 'the shipped Dockerfile has a `build` stage, then another');
  lines = [...lines.slice(0, start), `FROM ${BUILD_STAGE} AS build`, ...lines.slice(end)];
  const hits = lines.filter((l) => v.drop.test(l));
  assert.equal(hits.length, 1, `the shipped runtime stage has one line matching ${v.drop}`);
  const dir = join(IMAGE_CACHE, 'variants');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `Dockerfile.${v.name}`);
  writeFileSync(file, lines.filter((l) => !v.drop.test(l)).join('\n'));
  return file;
}

describe('a broken Dockerfile fails the image test', function () {
  let d: Deployed;
  let shipped: string;

  before(async function () {
    this.timeout(0); // the shipped image first: its build stage is the variants'
    shipped = buildImage();
    imageConfig(BUILD_STAGE); // throws when build.sh did not tag it
    d = await deploy(shipped);
  });

  for (const v of VARIANTS) {
    it(`${v.name}: the shipped Dockerfile without \`${v.drop.source.replace(/^\^|\$$/g, '').replace(/\\/g, '')}\``, async function () {
      this.timeout(600_000);
      const image = buildImage({
        dockerfile: variantDockerfile(v),
        tag: `localhost/velero-vmgroup-functions:broken-${v.name}`,
      });
      assert.notEqual(image, shipped);
      await assert.rejects(probe({ ...d, image }, FN), v.error);
    });
  }
});
