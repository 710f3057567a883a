// The README's "Deploy" section is what operators read: it must name every label, annotation,
// Event reason and CloudEvent type the product writes (functions/vmgroup/names.ts), every RBAC
// identity the config creates, and GitOps examples that point at real kustomizations.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import * as names from '../../functions/vmgroup/names.ts';
import { REPO_ROOT } from './paths.ts';
import { render } from './render.ts';

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const start = readme.indexOf('<!-- section: usage (deploy helper) -->');
const end = readme.indexOf('<!-- section:', start + 1);
const section = readme.slice(start, end < 0 ? undefined : end);

/** Every name the product writes: annotations, Event reasons, CloudEvent types, and its labels. */
function writtenNames(): string[] {
  const out = [names.MEMBER_LABEL_PREFIX, names.SEED_GROUP_LABEL, names.VELERO_EXCLUDE_LABEL];
  for (const [constant, value] of Object.entries(names)) {
    if (typeof value !== 'string') continue;
    if (/^(ANNOTATION|REASON|EVENT_TYPE)_/.test(constant) && constant !== 'EVENT_TYPE_PREFIX')
      out.push(value);
  }
  return out;
}

describe('README, section Deploy', function () {
  this.timeout(600_000);

  it('exists', () => {
    assert.ok(start >= 0 && section.includes('## Deploy'));
  });

  it('documents every label, annotation, Event reason and CloudEvent type the product writes', () => {
    const missing = writtenNames().filter((n) => !section.includes(`\`${n}`));
    assert.deepEqual(missing, []);
  });

  it('lists every ServiceAccount the config creates in its RBAC table', async () => {
    const objects = await render('overlays/production');
    const accounts = objects.filter((o) => o.kind === 'ServiceAccount').map((o) => o.metadata.name);
    assert.ok(accounts.length > 0);
    for (const sa of accounts)
      assert.match(section, new RegExp(`\\| \`${sa}\` \\|`), `${sa} missing from the RBAC table`);
    const triggers = objects.filter((o) => o.kind === 'Trigger').length;
    assert.match(
      section,
      new RegExp(`${triggers} in all`),
      'the Trigger count in the text is current',
    );
  });

  it('has GitOps examples (Argo CD, Flux) that deploy an overlay of this repository with the image name kustomize knows', () => {
    const blocks = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
    const docs = blocks.flatMap((b) =>
      parseAllDocuments(b).map((d) => d.toJS() as { kind: string; spec: Record<string, unknown> }),
    );
    const argo = docs.find((d) => d.kind === 'Application');
    const flux = docs.find((d) => d.kind === 'Kustomization');
    assert.ok(argo && flux);
    const argoSource = argo.spec['source'] as { path: string; kustomize: { images: string[] } };
    const fluxSpec = flux.spec as { path: string; images: Array<{ name: string }> };
    for (const path of [argoSource.path, fluxSpec.path]) {
      assert.ok(
        existsSync(join(REPO_ROOT, path, 'kustomization.yaml')),
        `${path} is not a kustomization`,
      );
    }
    const overlay = readFileSync(join(REPO_ROOT, argoSource.path, 'kustomization.yaml'), 'utf8');
    const imageName = /images:\n\s+- name: (\S+)/.exec(overlay)?.[1];
    assert.equal(argoSource.kustomize.images[0]?.split('=')[0], imageName);
    assert.equal(fluxSpec.images[0]?.name, imageName);
    assert.match(section, new RegExp(`kustomize edit set image ${imageName}=`));
  });
});
