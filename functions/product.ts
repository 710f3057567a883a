// What the runtime must know about the product it serves, assembled from the vmgroup domain. Main
// (cli/serve.ts) hands it to the runtime, as do tests that start a server; the runtime itself
// imports no domain (CONTRIBUTING.md, the walls).

import type { ProductIdentity } from './runtime/function.ts';
import { EVENT_SOURCE, EVENT_TYPE_PREFIX, VELERO_EXCLUDE_LABEL } from './vmgroup/names.ts';

export const PRODUCT: ProductIdentity = {
  eventSource: EVENT_SOURCE,
  eventTypePrefix: EVENT_TYPE_PREFIX,
  // Product-made objects (recorded Events) never travel with a backup.
  ownLabels: { [VELERO_EXCLUDE_LABEL]: 'true' },
};
