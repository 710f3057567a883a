// The namespace Velero runs in: VELERO_NAMESPACE, else Velero's own default ("velero").
export const DEFAULT_VELERO_NAMESPACE = 'velero';

export function veleroNamespace(env: Readonly<Record<string, string | undefined>>): string {
  return env.VELERO_NAMESPACE || DEFAULT_VELERO_NAMESPACE;
}
