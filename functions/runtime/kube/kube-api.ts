// The Kubernetes calls functions may make, as an interface. Only functions/runtime/kube/kube.ts
// imports @kubernetes/client-node and implements it; handlers and tests depend on this shape.

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  creationTimestamp?: string;
  deletionTimestamp?: string;
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * Items as PartialObjectMetadata (metadata only, typed as the kind asked for): for callers that
   * need names and labels, not a ConfigMap's data.
   */
  metadataOnly?: boolean;
  /**
   * What the list keeps of each item, applied as each page arrives and before the next is asked
   * for, so a caller listing thousands of large objects (VMs of ~17 KiB with managedFields and
   * status) holds one page whole at a time and only the projections of the rest.
   */
  project?: (item: KubeObject) => KubeObject;
  /** Items per page (the API server's `limit`); 500 unless set. */
  pageSize?: number;
}

export interface ObjectList<T extends KubeObject = KubeObject> {
  items: T[];
  resourceVersion: string;
}

/** JSON merge patch (RFC 7386) or JSON patch (RFC 6902). */
export type Patch =
  | { type: 'merge'; body: Record<string, unknown> }
  | { type: 'json'; body: Array<{ op: string; path: string; value?: unknown; from?: string }> };

export interface EventRecord {
  type: 'Normal' | 'Warning';
  /** `vmgroup-backup.dev/<Reason>`-style reason, CamelCase after the prefix is stripped by Kubernetes rules. */
  reason: string;
  message: string;
  /** Stable across retries so a re-delivered event updates one Event instead of adding another. */
  dedupeKey?: string;
}

/** One resource an API group version serves, as API discovery lists it (subresources left out). */
export interface ApiResourceInfo {
  /** Plural, e.g. `virtualmachines`. */
  resource: string;
  kind: string;
  /** May be empty on old servers. */
  singular: string;
  shortNames: string[];
  namespaced: boolean;
  verbs: string[];
}

/** One API group with the versions it serves, preferred version first. */
export interface ApiGroupResources {
  /** `''` for the core group. */
  group: string;
  versions: Array<{ version: string; resources: ApiResourceInfo[] }>;
}

export interface Kube {
  get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T | undefined>;
  list<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    options?: ListOptions,
  ): Promise<ObjectList<T>>;
  /**
   * Patches; include `metadata.resourceVersion` in a merge body for optimistic concurrency (409 on
   * conflict). `metadataOnly` asks the API server to answer with PartialObjectMetadata, so patching a
   * Secret's labels never brings its data back into the process.
   */
  patch<T extends KubeObject = KubeObject>(
    ref: ObjectRef,
    patch: Patch,
    options?: { metadataOnly?: boolean },
  ): Promise<T>;
  create<T extends KubeObject = KubeObject>(obj: T): Promise<T>;
  delete(ref: ObjectRef): Promise<void>;
  /** Records a core/v1 Event about `involved`. */
  recordEvent(involved: KubeObject, event: EventRecord): Promise<void>;
  /**
   * Every served resource (aggregated API discovery), groups in the server's priority order with
   * the core group first: what `kubectl api-resources` and Velero resolve names against. Versions
   * the server reports as stale (an unavailable aggregated API) are left out. Optional so that
   * wrappers written before it (tests) stay valid; the real adapter (kube.ts) has it.
   */
  apiResources?(): Promise<ApiGroupResources[]>;
}
