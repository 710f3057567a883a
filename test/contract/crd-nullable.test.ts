// Every field a pinned CRD marks `nullable: true` may arrive as JSON null: the API server stores
// the null and ApiServerSource forwards the object as stored (a Backup written as YAML with an
// empty `excludedNamespaces:` is one). This walks each pinned CRD's own openAPIV3Schema, puts a
// null at every nullable path of an otherwise minimal object, and asserts the binding schema for
// that kind accepts it: every nullable path once, deterministically. The generated-object round
// trip through kube-apiserver is stored-objects.int.test.ts (see docs/testing.md).

import assert from 'node:assert/strict';
import { findGo } from '../../scripts/binaries/go-toolchain.ts';
import { loadVersions } from '../../scripts/binaries/versions.ts';
import type { Crd } from '../harness/crd-sources.ts';
import { upstreamCrds } from '../harness/crd-sources.ts';
import { schemaId } from '../../functions/runtime/schema/schema-files.ts';
import { violation } from '../../functions/runtime/schema/validation.ts';
import { sharedValidators } from '../support/runtime.ts';

interface OpenApi {
  nullable?: boolean;
  properties?: Record<string, OpenApi>;
  items?: OpenApi;
  additionalProperties?: OpenApi | boolean;
}
type Step = { key: string } | { item: true } | { value: true };

/** Paths (as steps from the object root) of every nullable node under spec and status. */
export function nullablePaths(schema: OpenApi, path: Step[] = []): Step[][] {
  const out: Step[][] = schema.nullable ? [path] : [];
  for (const [key, child] of Object.entries(schema.properties ?? {}))
    if (path.length > 0 || key === 'spec' || key === 'status')
      out.push(...nullablePaths(child, [...path, { key }]));
  if (schema.items) out.push(...nullablePaths(schema.items, [...path, { item: true }]));
  if (typeof schema.additionalProperties === 'object')
    out.push(...nullablePaths(schema.additionalProperties, [...path, { value: true }]));
  return out;
}

/** A copy of `base` with null at `path`, creating the containers on the way. */
export function withNullAt(base: Record<string, unknown>, path: Step[]): Record<string, unknown> {
  const root = structuredClone(base);
  let node: Record<string, unknown> | unknown[] = root;
  path.forEach((step, i) => {
    const last = i === path.length - 1;
    const next = last ? null : 'item' in path[i + 1]! ? [] : {};
    if ('key' in step || 'value' in step) {
      const key = 'key' in step ? step.key : 'k';
      const obj = node as Record<string, unknown>;
      if (!last && obj[key] != null) return void (node = obj[key] as typeof node);
      obj[key] = next;
      node = next as typeof node;
    } else {
      const arr = node as unknown[];
      arr.push(next);
      node = next as typeof node;
    }
  });
  return root;
}

const show = (path: Step[]) =>
  path.map((s) => ('key' in s ? `.${s.key}` : 'item' in s ? '[]' : '{}')).join('');

const BINDING_SCHEMA: Record<string, string> = {
  'backups.velero.io': 'objects/backup',
  'restores.velero.io': 'objects/restore',
  'datauploads.velero.io': 'objects/dataupload',
  'virtualmachines.vmoperator.vmware.com': 'objects/virtualmachine',
  'virtualmachinegroups.vmoperator.vmware.com': 'objects/virtualmachinegroup',
};

describe('binding schemas accept every null a pinned CRD allows', function () {
  this.timeout(300_000);
  let crds: Crd[] = [];
  before(async function () {
    const go = findGo(process.env);
    if (!go) throw new Error('the pinned CRDs come from the Go module cache: install Go >= 1.26');
    crds = (await upstreamCrds(loadVersions(), go, process.env)).filter(
      (c) => BINDING_SCHEMA[c.metadata.name] !== undefined,
    );
  });

  it('finds each bound kind among the pinned CRDs', () => {
    assert.deepEqual(crds.map((c) => c.metadata.name).sort(), Object.keys(BINDING_SCHEMA).sort());
  });

  it('no nullable path is refused', async () => {
    const validators = await sharedValidators();
    const refused: string[] = [];
    let checked = 0;
    for (const crd of crds) {
      const id = schemaId(BINDING_SCHEMA[crd.metadata.name]!);
      for (const version of crd.spec.versions.filter((v) => v.served)) {
        const schema = (version['schema'] as { openAPIV3Schema: OpenApi }).openAPIV3Schema;
        const base = {
          apiVersion: `${crd.spec.group}/${version.name}`,
          kind: crd.spec.names.kind,
          metadata: { name: 'n', namespace: 'ns', uid: 'u', resourceVersion: '1' },
        };
        for (const path of nullablePaths(schema)) {
          checked++;
          const bad = violation(validators, id, withNullAt(base, path));
          if (bad && !/apiVersion/.test(bad.instancePath))
            refused.push(`${crd.spec.names.kind} ${version.name} ${show(path)}: ${bad.message}`);
        }
      }
    }
    assert.ok(checked > 50, `only ${checked} nullable paths found`);
    assert.deepEqual(refused, []);
  });
});
