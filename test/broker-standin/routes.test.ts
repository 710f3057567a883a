// The Broker stand-in's routing (scripts/broker-standin/routes.ts): Triggers as Routes, and the
// Trigger attribute filter as Knative applies it.
import assert from 'node:assert/strict';
import type { KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import {
  filterMatches,
  routeOf,
  routesFor,
  routesOf,
  triggerAttributes,
  triggerSubscriber,
} from '../../scripts/broker-standin/routes.ts';

const trigger = (
  name: string,
  spec: Record<string, unknown> = {},
  subscriber: Record<string, unknown> = { kind: 'Service', name: 'fn' },
): KubeObject => ({
  apiVersion: 'eventing.knative.dev/v1',
  kind: 'Trigger',
  metadata: { name, namespace: 'ns' },
  spec: {
    broker: 'b',
    subscriber: { ref: { apiVersion: 'serving.knative.dev/v1', ...subscriber } },
    ...spec,
  },
});

describe('Broker stand-in: routes (pure)', () => {
  it('reads a Trigger: filter, Service subscriber, delivery with durations and dead letter', () => {
    const t = trigger('t1', {
      filter: { attributes: { type: 'x', kind: 'VirtualMachine' } },
      delivery: {
        retry: 3,
        backoffPolicy: 'linear',
        backoffDelay: 'PT0.5S',
        timeout: 'PT1M',
        deadLetterSink: { ref: { kind: 'Service', name: 'dead-letter' } },
      },
    });
    assert.deepEqual(triggerAttributes(t), { type: 'x', kind: 'VirtualMachine' });
    assert.equal(triggerSubscriber(t), 'fn');
    assert.deepEqual(routeOf(t), {
      trigger: 't1',
      filter: { filter: { attributes: { type: 'x', kind: 'VirtualMachine' } } },
      subscriber: 'fn',
      retry: 3,
      backoffPolicy: 'linear',
      backoffDelayMs: 500,
      timeoutMs: 60_000,
      deadLetter: 'dead-letter',
    });
  });

  it('defaults as Knative does: no filter takes everything, no delivery means one attempt, no wait', () => {
    assert.deepEqual(routeOf(trigger('bare')), {
      trigger: 'bare',
      filter: {},
      subscriber: 'fn',
      retry: 0,
      backoffPolicy: 'exponential',
      backoffDelayMs: 0,
    });
  });

  it('refuses a subscriber it cannot deliver to rather than routing nowhere', () => {
    const uri = trigger('u', {}, { kind: 'Channel', name: 'c' });
    assert.equal(triggerSubscriber(uri), undefined);
    assert.throws(() => routeOf(uri), /Trigger u: .*Knative Service/);
  });

  it('keeps only Triggers among config objects, in order', () => {
    const routes = routesOf([
      trigger('a'),
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' } },
      trigger('b'),
    ]);
    assert.deepEqual(
      routes.map((r) => r.trigger),
      ['a', 'b'],
    );
  });

  const cases: Array<{
    name: string;
    filter: Record<string, string>;
    event: Record<string, string | undefined>;
    want: boolean;
  }> = [
    { name: 'empty filter', filter: {}, event: { type: 't' }, want: true },
    {
      name: 'every attribute equal',
      filter: { type: 't', kind: 'K' },
      event: { type: 't', kind: 'K', id: '1' },
      want: true,
    },
    {
      name: 'one attribute differs',
      filter: { type: 't', kind: 'K' },
      event: { type: 't', kind: 'L' },
      want: false,
    },
    { name: 'extension missing', filter: { kind: 'K' }, event: { type: 't' }, want: false },
    {
      name: 'extension undefined',
      filter: { kind: 'K' },
      event: { type: 't', kind: undefined },
      want: false,
    },
    { name: 'case matters', filter: { kind: 'k' }, event: { kind: 'K' }, want: false },
    {
      name: 'empty filter value: any value',
      filter: { kind: '' },
      event: { kind: 'K' },
      want: true,
    },
    {
      name: 'empty filter value: still needs the attribute',
      filter: { kind: '' },
      event: { type: 't' },
      want: false,
    },
    {
      name: 'empty filter value: an empty attribute is unset',
      filter: { subject: '' },
      event: { subject: '' },
      want: false,
    },
    { name: 'no prototype lookups', filter: { constructor: '' }, event: {}, want: false },
  ];
  for (const c of cases) {
    it(`filters like a Trigger: ${c.name}`, () => {
      assert.equal(filterMatches(c.filter, c.event), c.want);
    });
  }

  it('finds every route an event passes, in config order', () => {
    const routes = routesOf([
      trigger('vm', { filter: { attributes: { type: 'x', kind: 'VirtualMachine' } } }),
      trigger('all'),
      trigger('vmg', { filter: { attributes: { type: 'x', kind: 'VirtualMachineGroup' } } }),
    ]);
    assert.deepEqual(
      routesFor(routes, { type: 'x', kind: 'VirtualMachine', id: '1' }).map((r) => r.trigger),
      ['vm', 'all'],
    );
    assert.deepEqual(
      routesFor(routes, { type: 'y' }).map((r) => r.trigger),
      ['all'],
    );
  });
});
