// Before a Backup: do the Secrets the records say are labelled still carry the labels? A Secret
// deleted and re-created (rotation) comes back without them, and the labeler cannot see that:
// it may not read Secrets, and the groups' records still say "labelled".
//
// The check is a JSON patch made only of `test` operations (RFC 6902): it never changes the
// Secret; the API server answers 200 when every expected label is there and 422 when one is not.
// Only then is a real merge patch sent. So a Backup whose Secrets are intact costs one probe per
// Secret and no write, however often its event is delivered.

import type { Kube } from '../runtime/kube/kube-api.ts';
import type { Closure } from '../vmgroup/closure.ts';
import { forEachBounded } from '../runtime/apply/worker-pool.ts';
import { mergePatchBody } from './plan.ts';

export interface SecretCheck {
  probes: number;
  /** Secrets found without some expected label, and relabelled. */
  relabelled: string[];
  /** Secrets the records name that no longer exist. */
  absent: string[];
}

/** RFC 6901: `~` → `~0`, `/` → `~1`. */
function pointer(key: string): string {
  return `/metadata/labels/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

function isStatus(err: unknown, status: number): boolean {
  return typeof err === 'object' && err !== null && (err as { status?: unknown }).status === status;
}

/** Expected membership labels per Secret, from the closures (already applied by the reconcile). */
export function expectedSecretLabels(
  closures: Iterable<Closure>,
  absent: ReadonlySet<string>,
): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const c of closures) {
    for (const o of c.objects) {
      if (o.kind !== 'Secret' || absent.has(o.name)) continue;
      out.set(o.name, { ...out.get(o.name), [c.labelKey]: 'Secret' });
    }
  }
  return out;
}

export async function checkSecretLabels(
  kube: Kube,
  namespace: string,
  expected: ReadonlyMap<string, Record<string, string>>,
  concurrency: number,
): Promise<SecretCheck> {
  const result: SecretCheck = { probes: 0, relabelled: [], absent: [] };
  await forEachBounded([...expected], concurrency, async ([name, labels]) => {
    const ref = { apiVersion: 'v1', kind: 'Secret', namespace, name };
    const tests = Object.entries(labels).map(([k, v]) => ({
      op: 'test',
      path: pointer(k),
      value: v,
    }));
    result.probes++;
    try {
      await kube.patch(ref, { type: 'json', body: tests }, { metadataOnly: true });
    } catch (err) {
      if (isStatus(err, 404)) {
        result.absent.push(name);
      } else if (isStatus(err, 422)) {
        await kube.patch(
          ref,
          { type: 'merge', body: mergePatchBody({ labels }) },
          { metadataOnly: true },
        );
        result.relabelled.push(name);
      } else {
        throw err;
      }
    }
  });
  result.relabelled.sort();
  result.absent.sort();
  return result;
}
