// What the ApiServerSources in config/ do, for the demo: watch each resource they name (same
// namespaces, same label selectors, as the source's own ServiceAccount) and publish every change
// as the CloudEvent the receive adapter sends in Resource mode (test/support/cloudevents.ts).
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import { apiServerEvent, guessPlural } from '../../test/support/cloudevents.ts';
import type { Verb } from '../../test/support/cloudevents.ts';
import { keepWatching } from './watch.ts';

interface SourceSpec {
  mode?: string;
  serviceAccountName: string;
  namespaceSelector?: { matchLabels?: Record<string, string> };
  resources: Array<{
    apiVersion: string;
    kind: string;
    selector?: {
      matchLabels?: Record<string, string>;
      matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
    };
  }>;
}

export interface WatchedChange {
  verb: Verb;
  obj: KubeObject;
  source: string;
}

const VERBS: Record<string, Verb | undefined> = {
  ADDED: 'add',
  MODIFIED: 'update',
  DELETED: 'delete',
};

function selectorText(selector: SourceSpec['resources'][number]['selector']): string | undefined {
  if (!selector) return undefined;
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) {
    if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
    else
      parts.push(
        `${e.key} ${e.operator === 'In' ? 'in' : 'notin'} (${(e.values ?? []).join(',')})`,
      );
  }
  return parts.join(',');
}

export interface RunningSources {
  stop(): void;
}

/**
 * Starts one watch per (source, resource, namespace). `identity(sa)` gives the kubeconfig path of
 * the source's ServiceAccount, so the demo watches with exactly the permissions the config grants.
 * `skip` names resources whose CRDs are not installed (the vSphere plugin's Upload).
 */
export async function startSources(
  objects: KubeObject[],
  identity: (serviceAccount: string) => Promise<string>,
  onChange: (change: WatchedChange) => void,
  skip: (apiVersion: string, kind: string) => boolean = () => false,
): Promise<RunningSources> {
  const stops: Array<() => void> = [];
  for (const src of objects.filter((o) => o.kind === 'ApiServerSource')) {
    const spec = src['spec'] as SourceSpec;
    if (spec.mode !== 'Resource')
      throw new Error(`the demo only emulates Resource mode (${src.metadata.name})`);
    const kc = new KubeConfig();
    kc.loadFromFile(await identity(spec.serviceAccountName));
    const namespace = spec.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'];
    for (const res of spec.resources) {
      if (skip(res.apiVersion, res.kind)) continue;
      const base = res.apiVersion.includes('/')
        ? `/apis/${res.apiVersion}`
        : `/api/${res.apiVersion}`;
      const path = `${base}${namespace ? `/namespaces/${namespace}` : ''}/${guessPlural(res.kind)}`;
      const labelSelector = selectorText(res.selector);
      const stop = await keepWatching<KubeObject>(
        kc,
        path,
        labelSelector ? { labelSelector } : {},
        (phase, obj) => {
          const verb = VERBS[phase];
          if (verb)
            onChange({
              verb,
              obj: { ...obj, apiVersion: res.apiVersion, kind: res.kind },
              source: src.metadata.name,
            });
        },
      );
      stops.push(stop);
    }
  }
  return { stop: () => stops.forEach((stop) => stop()) };
}

/** The CloudEvent the receive adapter would send for a change (Resource mode). */
export const toCloudEvent = (change: WatchedChange) =>
  apiServerEvent(change.verb, change.obj, 'resource');
