// Finding the Restore a restored object names. Velero writes the restore's name into the
// velero.io/restore-name label through label.GetValidName (pkg/label): names longer than 63
// characters become their first 57 characters plus 6 hex digits of their SHA-256, so a long name
// is found by listing Restores and comparing their labelled form.

import { createHash } from 'node:crypto';
import type { Kube, KubeObject } from '../runtime/kube/kube-api.ts';

const MAX = 63;

export function veleroLabelValue(name: string): string {
  if (name.length <= MAX) return name;
  return name.slice(0, MAX - 6) + createHash('sha256').update(name).digest('hex').slice(0, 6);
}

export async function findRestore<T extends KubeObject>(
  kube: Pick<Kube, 'get' | 'list'>,
  namespace: string,
  labelValue: string,
): Promise<T | undefined> {
  const direct = await kube.get<T>({
    apiVersion: 'velero.io/v1',
    kind: 'Restore',
    namespace,
    name: labelValue,
  });
  if (direct || labelValue.length < MAX) return direct;
  const all = await kube.list<T>('velero.io/v1', 'Restore', namespace);
  return all.items.find((r) => veleroLabelValue(r.metadata.name) === labelValue);
}
