// Pure stand-in for the Knative controller that does not run here: the ApiServerSource
// reconciler. It mirrors the upstream code named below (knative.dev/eventing at the version in
// scripts/binaries/versions.json), so the real receive adapter gets exactly the configuration a
// cluster would give it. The Broker's routing by the config's Triggers and its delivery policy
// live with the shared Broker stand-in (scripts/broker-standin/).
import type { KubeObject } from '../../../functions/runtime/kube/kube-api.ts';

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

interface ApiServerSourceSpec {
  mode?: string;
  serviceAccountName?: string;
  namespaceSelector?: LabelSelector;
  resources?: Array<{ apiVersion: string; kind: string; selector?: LabelSelector }>;
  owner?: { apiVersion?: string; kind?: string };
}

/** K_SOURCE_CONFIG (pkg/adapter/apiserver/config.go; GVR has no JSON tags upstream). */
export interface AdapterConfig {
  namespaces: string[];
  allNamespaces: boolean;
  resources: Array<{
    gvr: { Group: string; Version: string; Resource: string };
    selector?: string;
  }>;
  owner?: { apiVersion?: string; kind?: string };
  mode?: string;
}

/** meta.UnsafeGuessKindToResource (k8s.io/apimachinery/pkg/api/meta/restmapper.go). */
export function guessResource(kind: string): string {
  const lower = kind.toLowerCase();
  if (lower.endsWith('s')) return `${lower}es`;
  if (lower.endsWith('y')) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

/** metav1.LabelSelectorAsSelector(...).String(): requirements sorted by key, comma-joined. */
export function selectorString(sel: LabelSelector): string {
  const reqs: Array<{ key: string; text: string }> = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {}))
    reqs.push({ key, text: `${key}=${value}` });
  for (const e of sel.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(',');
    const text = {
      In: `${e.key} in (${values})`,
      NotIn: `${e.key} notin (${values})`,
      Exists: e.key,
      DoesNotExist: `!${e.key}`,
    }[e.operator];
    if (text === undefined) throw new Error(`unsupported selector operator ${e.operator}`);
    reqs.push({ key: e.key, text });
  }
  return reqs
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((r) => r.text)
    .join(',');
}

/** Whether a namespace's labels pass a LabelSelector (the reconciler lists namespaces with it). */
export function selectorMatches(sel: LabelSelector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const inValues = has && (e.values ?? []).includes(labels[e.key]!);
    const ok = {
      In: inValues,
      NotIn: !inValues,
      Exists: has,
      DoesNotExist: !has,
    }[e.operator];
    if (!ok) return false;
  }
  return true;
}

/**
 * The adapter configuration the ApiServerSource reconciler derives from the object
 * (pkg/reconciler/apiserversource/apiserversource.go namespacesFromSelector/isEmptySelector and
 * resources/receive_adapter.go makeEnv). `namespaces` are the cluster's namespaces with labels.
 */
export function adapterConfig(
  source: KubeObject,
  namespaces: ReadonlyArray<{ name: string; labels: Record<string, string> }>,
): AdapterConfig {
  const spec = source['spec'] as ApiServerSourceSpec;
  const sel = spec.namespaceSelector;
  const allNamespaces =
    sel !== undefined &&
    Object.keys(sel.matchLabels ?? {}).length === 0 &&
    (sel.matchExpressions ?? []).length === 0;
  const watched = sel
    ? namespaces
        .filter((n) => selectorMatches(sel, n.labels))
        .map((n) => n.name)
        .sort()
    : [source.metadata.namespace ?? 'default'];
  return {
    namespaces: watched,
    allNamespaces,
    resources: (spec.resources ?? []).map((r) => {
      const slash = r.apiVersion.lastIndexOf('/');
      const group = slash < 0 ? '' : r.apiVersion.slice(0, slash);
      const version = r.apiVersion.slice(slash + 1);
      return {
        gvr: { Group: group, Version: version, Resource: guessResource(r.kind) },
        ...(r.selector ? { selector: selectorString(r.selector) } : {}),
      };
    }),
    ...(spec.owner ? { owner: spec.owner } : {}),
    ...(spec.mode ? { mode: spec.mode } : {}),
  };
}
