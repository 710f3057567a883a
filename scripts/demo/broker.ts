// The Broker's job for the demo, driven by the Triggers config/ renders: an event goes to every
// Trigger whose filter it passes (exact match on each attribute), in binary mode, with the
// Trigger's retries and exponential backoff; a function's reply CloudEvent goes back into the
// Broker, as Knative's MT broker does with a subscriber's reply.
import { setTimeout as sleep } from 'node:timers/promises';
import type { InboundEvent } from '../../functions/runtime/function.ts';
import type { KubeObject } from '../../functions/runtime/kube-api.ts';
import { postEvent } from '../../test/support/cloudevents.ts';
import { triggerAttributes, triggerSubscriber } from '../../test/config/event-routes.ts';

export interface Delivery {
  trigger: string;
  subscriber: string;
  event: InboundEvent;
  status: number;
  attempts: number;
  ms: number;
  reply?: InboundEvent;
}

interface Route {
  name: string;
  subscriber: string;
  attributes: Record<string, string>;
  retry: number;
  backoffMs: number;
}

/** ISO-8601 durations as Knative writes them (PT0.5S, PT2S, PT1M). */
function durationMs(text: string | undefined): number {
  const m = /^PT(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$/.exec(text ?? '');
  if (!m) return 500;
  return (Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 1000;
}

function routesOf(objects: KubeObject[]): Route[] {
  return objects
    .filter((o) => o.kind === 'Trigger')
    .map((t) => {
      const delivery =
        (t['spec'] as { delivery?: { retry?: number; backoffDelay?: string } }).delivery ?? {};
      return {
        name: t.metadata.name,
        subscriber: triggerSubscriber(t) ?? '',
        attributes: triggerAttributes(t),
        retry: delivery.retry ?? 0,
        backoffMs: durationMs(delivery.backoffDelay),
      };
    });
}

const attributeOf = (event: InboundEvent, name: string): string | undefined =>
  name === 'type'
    ? event.type
    : name === 'source'
      ? event.source
      : name === 'subject'
        ? event.subject
        : event.extensions[name];

/** Knative retries these (kncloudevents.SelectiveRetry); anything else is final. */
const retryable = (status: number): boolean =>
  status === 0 || status >= 500 || [404, 408, 409, 429].includes(status);

export class DemoBroker {
  readonly deliveries: Delivery[] = [];
  private readonly routes: Route[];
  private readonly urls: Record<string, string>;
  private readonly onDelivery: (d: Delivery) => void;
  private inFlight = 0;
  private lastActivity = Date.now();

  constructor(
    objects: KubeObject[],
    urls: Record<string, string>,
    onDelivery: (d: Delivery) => void,
  ) {
    this.routes = routesOf(objects).filter((r) => urls[r.subscriber]);
    this.urls = urls;
    this.onDelivery = onDelivery;
  }

  /** Fire and forget, as a source posting to the Broker ingress. */
  publish(event: InboundEvent): void {
    this.inFlight++;
    this.lastActivity = Date.now();
    void this.fanOut(event).finally(() => {
      this.inFlight--;
      this.lastActivity = Date.now();
    });
  }

  /** Resolves once nothing is in flight and nothing new arrived for `quietMs`. */
  async settled(quietMs = 1500, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight > 0 || Date.now() - this.lastActivity < quietMs) {
      if (Date.now() > deadline)
        throw new Error(`events still in flight after ${timeoutMs / 1000}s`);
      await sleep(100);
    }
  }

  /** Marks activity coming from outside (a watch event about to be published). */
  touch(): void {
    this.lastActivity = Date.now();
  }

  private async fanOut(event: InboundEvent): Promise<void> {
    const matching = this.routes.filter((r) =>
      Object.entries(r.attributes).every(([k, v]) => attributeOf(event, k) === v),
    );
    await Promise.all(matching.map((r) => this.deliver(r, event)));
  }

  private async deliver(route: Route, event: InboundEvent): Promise<void> {
    const started = Date.now();
    let status = 0;
    let reply: InboundEvent | undefined;
    let attempt = 0;
    for (; attempt <= route.retry; attempt++) {
      if (attempt > 0) await sleep(route.backoffMs * 2 ** (attempt - 1));
      try {
        const res = await postEvent(this.urls[route.subscriber] as string, event);
        status = res.status;
        reply = res.reply;
      } catch {
        status = 0;
      }
      if (!retryable(status)) break;
    }
    const d: Delivery = {
      trigger: route.name,
      subscriber: route.subscriber,
      event,
      status,
      attempts: Math.min(attempt + 1, route.retry + 1),
      ms: Date.now() - started,
      ...(reply ? { reply } : {}),
    };
    this.deliveries.push(d);
    this.onDelivery(d);
    if (reply && status >= 200 && status < 300) this.publish(reply);
  }
}
