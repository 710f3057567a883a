import assert from 'node:assert/strict';
import type { Binding } from '../../functions/runtime/function.ts';
import type { KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import { checkRoutes, producedEvents, triggerSelects, PING_TYPE } from './event-routes.ts';

const source = (
  name: string,
  mode: string | undefined,
  resources: Array<{ apiVersion: string; kind: string }>,
): KubeObject => ({
  apiVersion: 'sources.knative.dev/v1',
  kind: 'ApiServerSource',
  metadata: { name, namespace: 'ns' },
  spec: { ...(mode ? { mode } : {}), resources },
});
const ping: KubeObject = {
  apiVersion: 'sources.knative.dev/v1',
  kind: 'PingSource',
  metadata: { name: 'tick', namespace: 'ns' },
  spec: {},
};
const trigger = (name: string, attributes: Record<string, string>): KubeObject => ({
  apiVersion: 'eventing.knative.dev/v1',
  kind: 'Trigger',
  metadata: { name, namespace: 'ns' },
  spec: {
    broker: 'b',
    filter: { attributes },
    subscriber: { ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'fn' } },
  },
});

const vmg = { apiVersion: 'vmoperator.vmware.com/v1alpha5', kind: 'VirtualMachineGroup' };
const produced = producedEvents([
  source('vmop', 'Resource', [vmg, { ...vmg, kind: 'VirtualMachine' }]),
  source('refs', undefined, [{ apiVersion: 'v1', kind: 'Secret' }]),
  ping,
]);
const addVmg: Binding = {
  type: 'dev.knative.apiserver.resource.add',
  kind: 'VirtualMachineGroup',
  apiVersionPrefix: 'vmoperator.vmware.com/',
  dataSchema: 's',
};

describe('config event routes (pure)', () => {
  it('enumerates what sources emit: three verbs per resource, Reference mode by default, one ping type', () => {
    assert.equal(produced.length, 3 * 2 + 3 + 1);
    assert.ok(
      produced.some((e) => e.type === 'dev.knative.apiserver.ref.add' && e.kind === 'Secret'),
    );
    assert.ok(
      produced.some(
        (e) => e.type === PING_TYPE && e.source === '/apis/v1/namespaces/ns/pingsources/tick',
      ),
    );
  });

  it('filters by exact match on every listed attribute, like a Trigger', () => {
    const [first] = produced;
    assert.ok(first);
    assert.equal(
      triggerSelects(
        { filter: { attributes: { type: first.type, kind: first.kind ?? '' } } },
        first,
      ),
      true,
    );
    assert.equal(
      triggerSelects(
        { filter: { attributes: { type: first.type, kind: 'VirtualMachine' } } },
        first,
      ),
      false,
    );
    assert.equal(triggerSelects({ filter: { attributes: { source: 'x' } } }, first), false);
  });

  const cases: Array<{
    name: string;
    bindings: Binding[];
    triggers: KubeObject[];
    want: Partial<Record<'dead' | 'unbound' | 'unreachable', number>>;
  }> = [
    {
      name: 'matching trigger and binding',
      bindings: [addVmg],
      triggers: [
        trigger('t', {
          type: addVmg.type,
          kind: 'VirtualMachineGroup',
          apiversion: vmg.apiVersion,
        }),
      ],
      want: {},
    },
    {
      name: 'a trigger without kind also delivers kinds the function does not bind',
      bindings: [addVmg],
      triggers: [trigger('t', { type: addVmg.type })],
      want: { unbound: 1 },
    },
    {
      name: 'trigger for a version no source watches is dead',
      bindings: [addVmg],
      triggers: [trigger('t', { type: addVmg.type, apiversion: 'vmoperator.vmware.com/v1alpha6' })],
      want: { dead: 1, unreachable: 1 },
    },
    {
      name: 'binding with no trigger is unreachable',
      bindings: [addVmg, { type: PING_TYPE, dataSchema: 's' }],
      triggers: [trigger('t', { type: addVmg.type, kind: 'VirtualMachineGroup' })],
      want: { unreachable: 1 },
    },
    {
      name: 'ping trigger reaches a kind-less binding',
      bindings: [{ type: PING_TYPE, dataSchema: 's' }],
      triggers: [trigger('p', { type: PING_TYPE })],
      want: {},
    },
  ];
  for (const c of cases) {
    it(`ties triggers to bindings: ${c.name}`, () => {
      const got = checkRoutes(c.bindings, c.triggers, produced);
      assert.equal(got.deadTriggers.length, c.want.dead ?? 0, JSON.stringify(got));
      assert.equal(got.unboundDeliveries.length, c.want.unbound ?? 0, JSON.stringify(got));
      assert.equal(got.unreachableBindings.length, c.want.unreachable ?? 0, JSON.stringify(got));
    });
  }
});
