// docs/deploy.md is what operators read to install the product: the Trigger count it states must be
// the config's, and its GitOps examples must point at real kustomizations with the image name
// kustomize knows. (What the product writes and the RBAC identities: reference.test.ts.)
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { render } from '../config/render.ts';
import { REPO_ROOT, readDoc, section } from './markdown.ts';

const deploy = readDoc('docs/deploy.md');

describe('docs/deploy.md', function () {
  this.timeout(600_000);

  it('states the number of Triggers the config creates', async () => {
    const objects = await render('overlays/production');
    const triggers = objects.filter((o) => o.kind === 'Trigger').length;
    assert.ok(triggers > 0);
    assert.match(
      section(deploy, '## What `config/base` creates'),
      new RegExp(`${triggers} in all`),
      'the Trigger count in the text is current',
    );
  });

  it('has GitOps examples (Argo CD, Flux) that deploy an overlay of this repository with the image name kustomize knows', () => {
    const gitops = section(deploy, '## GitOps');
    const blocks = [...gitops.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
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
    assert.match(
      section(deploy, '## Install'),
      new RegExp(`kustomize edit set image ${imageName}=`),
    );
  });
});
