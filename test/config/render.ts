// Renders config/ exactly as `kubectl apply -k` would: with the real kustomize, built once from Go
// modules by scripts/binaries (pinned in scripts/binaries/versions.json) and cached outside the repo.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { ensureBinary } from '../../scripts/binaries/ensure.ts';
import type { KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import { CONFIG_DIR } from './paths.ts';

export { CONFIG_DIR, REPO_ROOT } from './paths.ts';

const run = promisify(execFile);
export const OVERLAYS = ['dev', 'production'] as const;
export type Overlay = (typeof OVERLAYS)[number];

/** Every kustomization a user may deploy: both overlays, and production with the optional component. */
export const DEPLOYABLE = [
  'overlays/dev',
  'overlays/production',
  'production+guard-admission-policy',
] as const;

export async function kustomizeBinary(): Promise<string> {
  return ensureBinary('kustomize');
}

/** `kustomize build <dir>` parsed into objects. */
export async function kustomizeBuild(dir: string): Promise<KubeObject[]> {
  const { stdout } = await run(await kustomizeBinary(), ['build', dir], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return parseYamlStream(stdout);
}

export function parseYamlStream(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw doc.errors[0];
      return doc.toJS() as KubeObject | null;
    })
    .filter((obj): obj is KubeObject => obj !== null);
}

/**
 * Renders one of DEPLOYABLE. The optional component is rendered the way a user adopts it: a
 * kustomization of their own that takes the production overlay and adds the component.
 */
export async function render(name: (typeof DEPLOYABLE)[number]): Promise<KubeObject[]> {
  if (name !== 'production+guard-admission-policy') return kustomizeBuild(join(CONFIG_DIR, name));
  const dir = mkdtempSync(join(tmpdir(), 'vvf-with-guard-'));
  try {
    const rel = (p: string) => relative(dir, join(CONFIG_DIR, p));
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      [
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        `resources: [${rel('overlays/production')}]`,
        `components: [${rel('components/guard-admission-policy')}]`,
        '',
      ].join('\n'),
    );
    return await kustomizeBuild(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const key = (o: KubeObject): string =>
  `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
