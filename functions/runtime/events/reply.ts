// Turning a handler's OutboundEvent into the HTTP reply: validated against its dataschema, then
// serialised by the CloudEvents SDK in binary mode. The SDK is loaded on the first reply only,
// so functions that never reply (and cold start) do not pay for it.

import { createHash } from 'node:crypto';
import type * as CloudEventsSdk from 'cloudevents';
import type { InboundEvent, OutboundEvent, ProductIdentity } from '../function.ts';
import type { ValidatorSet } from '../schema/validation.ts';
import { violation } from '../schema/validation.ts';

export interface HttpReply {
  headers: Record<string, string>;
  body: string;
}

type Sdk = typeof CloudEventsSdk;
let sdk: Promise<Sdk> | undefined;

/**
 * Node gives a CommonJS package's named exports to `import()`; the esbuild bundle (code-split
 * ESM) gives only `default` (found by the end-to-end suite: every reply of the shipped bundle
 * failed with "CloudEvent is not a constructor").
 */
function sdkExports(mod: Sdk): Sdk {
  if (typeof mod.CloudEvent === 'function') return mod;
  const { default: inner } = mod as Sdk & { default?: Sdk };
  if (!inner) throw new Error('the cloudevents package has neither named nor default exports');
  return inner;
}

/** Throws (an internal error: the function broke its own contract) when the event is not valid. */
export async function toHttpReply(
  out: OutboundEvent,
  cause: InboundEvent,
  index: number,
  validators: ValidatorSet,
  now: Date,
  product: ProductIdentity,
): Promise<HttpReply> {
  if (!out.type.startsWith(product.eventTypePrefix)) {
    throw new Error(`reply type ${out.type} does not start with ${product.eventTypePrefix}`);
  }
  if (!validators.has(out.dataschema))
    throw new Error(`reply ${out.type}: no schema with $id ${out.dataschema}`);
  const bad = violation(validators, out.dataschema, out.data);
  if (bad)
    throw new Error(
      `reply ${out.type} violates ${bad.schema} at ${bad.schemaPath}: ${bad.message}`,
    );
  const { CloudEvent, HTTP } = sdkExports(await (sdk ??= import('cloudevents')));
  const event = new CloudEvent({
    specversion: '1.0',
    id: replyId(cause, index, out.type),
    source: product.eventSource,
    type: out.type,
    ...(out.subject === undefined ? {} : { subject: out.subject }),
    time: now.toISOString(),
    dataschema: out.dataschema,
    datacontenttype: 'application/json',
    data: out.data as object,
  });
  const message = HTTP.binary(event);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) headers[name] = String(value);
  return {
    headers,
    body: typeof message.body === 'string' ? message.body : JSON.stringify(message.body),
  };
}

/** Stable per (cause, position, type): a redelivered cause yields the same reply id, so consumers can deduplicate. */
export function replyId(cause: InboundEvent, index: number, type: string): string {
  const h = createHash('sha256')
    .update(`${cause.source}\n${cause.id}\n${index}\n${type}`)
    .digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
