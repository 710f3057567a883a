// Knative's own retries and dead letter, for real (VVF_E2E_BROKER=knative only; the stand-in's
// delivery policy has its own tests in test/broker-standin). A Trigger with exactly the config's
// delivery (patches/trigger-delivery.yaml: 9 retries, exponential from PT0.5S, the dead-letter
// Service) sends one group's event to a subscriber that answers 503 every time: Knative must try
// it 1 + 9 times, about four minutes (the channel dispatcher retries the broker filter, which
// makes one attempt each time), then hand it to the config's dead-letter sink.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import type { KubeObject } from '../../functions/runtime/kube/kube-api.ts';
import { brokerKind, startStack } from './stack/stack.ts';
import type { Stack } from './stack/stack.ts';
import { withKnativeDefaults } from './stack/knative-broker.ts';
import type { KnativeBroker } from './stack/knative-broker.ts';
import { eventually } from './stack/proc.ts';

const MINUTE = 60_000;
const log = (line: string) => process.stderr.write(`${line}\n`);

describe('end to end: Knative’s real Broker retries and dead-letters a failing delivery', function () {
  let stack: Stack | undefined;

  before(async function () {
    if (brokerKind() !== 'knative') {
      log('knative-dead-letter: skipped (VVF_E2E_BROKER=knative selects the real Broker)');
      return this.skip();
    }
    this.timeout(75 * MINUTE);
    stack = await startStack(log);
  });

  after(async function () {
    this.timeout(2 * MINUTE);
    await stack?.stop();
  });

  it('tries a 503-answering subscriber 1 + retry times, then the config’s dead-letter Service has it', async function () {
    this.timeout(10 * MINUTE);
    const s = stack!;
    const broker = s.broker as KnativeBroker;
    const configTrigger = s.config.find((o) => o.kind === 'Trigger')!;
    const delivery = (configTrigger['spec'] as { delivery: { retry: number } }).delivery;
    const name = `probe-${randomBytes(3).toString('hex')}`;
    const ns = configTrigger.metadata.namespace!;

    let answered = 0;
    const failing = createServer((req, res) => {
      req.resume();
      answered++;
      res.writeHead(503).end();
    });
    await new Promise<void>((r) => failing.listen(0, '127.0.0.1', r));
    try {
      const service: KubeObject = {
        apiVersion: 'serving.knative.dev/v1',
        kind: 'Service',
        metadata: { name: 'e2e-always-503', namespace: ns },
        spec: { template: { spec: { containers: [{ image: 'e2e/always-503' }] } } },
      };
      await s.plane.applyYaml(stringify(service));
      await broker.addService(service, (failing.address() as { port: number }).port, [
        'e2e-always-503',
      ]);
      const [trigger] = await withKnativeDefaults([
        {
          apiVersion: 'eventing.knative.dev/v1',
          kind: 'Trigger',
          metadata: { name: 'e2e-always-503', namespace: ns },
          spec: {
            broker: (configTrigger['spec'] as { broker: string }).broker,
            filter: {
              attributes: {
                type: 'dev.knative.apiserver.resource.add',
                kind: 'VirtualMachineGroup',
                name,
              },
            },
            subscriber: {
              ref: {
                apiVersion: 'serving.knative.dev/v1',
                kind: 'Service',
                name: 'e2e-always-503',
              },
            },
            delivery,
          },
        },
      ]);
      await s.plane.applyYaml(stringify(trigger));
      await eventually('the probe Trigger to be Ready', 60_000, async () => {
        const t = await s.admin.get({ ...trigger!, namespace: ns, name: trigger!.metadata.name });
        const conditions = (
          t?.['status'] as { conditions?: Array<{ type: string; status: string }> }
        )?.conditions;
        return conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
          ? true
          : undefined;
      });

      const probeNs = await s.plane.newNamespace('e2e-dead-letter');
      await s.admin.create({
        apiVersion: 'vmoperator.vmware.com/v1alpha5',
        kind: 'VirtualMachineGroup',
        metadata: { name, namespace: probeNs },
        spec: {},
      });
      const dead = await eventually(
        `the ${name} event in dead letter`,
        8 * MINUTE,
        async () =>
          broker.deadLetters.find(
            (d) => d.trigger === 'e2e-always-503' && d.event.attributes['name'] === name,
          ),
        1_000,
      );
      assert.equal(dead.attempts, delivery.retry + 1, 'one attempt and every retry');
      assert.equal(dead.status, 503);
      assert.equal(answered, delivery.retry + 1, 'the subscriber saw exactly those attempts');
      log(
        `knative-dead-letter: ${dead.attempts} attempts over ${((dead.doneAt - dead.startedAt) / 1000).toFixed(1)}s, then dead letter`,
      );
    } finally {
      failing.close();
    }
  });
});
