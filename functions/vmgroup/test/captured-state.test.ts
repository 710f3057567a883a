import assert from 'node:assert/strict';
import { loadValidators } from '../../runtime/schema/schema-source.ts';
import { violation } from '../../runtime/schema/validation.ts';
import { schemaId } from '../../runtime/schema/schema-files.ts';
import {
  capturedNetwork,
  capturedPowerState,
  parseCapturedNetwork,
  serializeCapturedNetwork,
} from '../captured-state.ts';
import { vm } from './builders.ts';

describe('captured state', () => {
  const cases: Array<{ title: string; vm: ReturnType<typeof vm>; want: unknown }> = [
    { title: 'no network status yet → nothing', vm: vm('a'), want: undefined },
    {
      title: 'config status wins over guest-reported addresses; MAC from the guest',
      vm: vm('a', {
        network: { interfaces: [{ name: 'eth0' }] },
        status: {
          network: {
            primaryIP4: '10.0.0.5',
            interfaces: [
              {
                name: 'eth0',
                ip: {
                  macAddr: 'aa:bb',
                  addresses: [{ address: '10.0.0.5/24' }, { address: 'fe80::1/64' }],
                },
              },
            ],
            config: {
              interfaces: [
                {
                  name: 'eth0',
                  ip: {
                    addresses: ['10.0.0.5/24'],
                    gateway4: '10.0.0.1',
                    dhcp: { ip4: { enabled: true } },
                  },
                },
              ],
            },
          },
        },
      }),
      want: {
        version: 1,
        interfaces: [
          {
            name: 'eth0',
            addresses: ['10.0.0.5/24'],
            macAddr: 'aa:bb',
            gateway4: '10.0.0.1',
            dhcp4: true,
          },
        ],
        primaryIP4: '10.0.0.5',
      },
    },
    {
      title: 'without config status, what the guest reports',
      vm: vm('a', {
        status: {
          network: {
            interfaces: [{ name: 'eth0', ip: { addresses: [{ address: '192.168.1.4/24' }] } }],
          },
        },
      }),
      want: { version: 1, interfaces: [{ name: 'eth0', addresses: ['192.168.1.4/24'] }] },
    },
    {
      title: 'static spec addresses and settings win; interfaces follow the spec',
      vm: vm('a', {
        network: {
          hostName: 'db',
          interfaces: [
            {
              name: 'eth0',
              addresses: ['10.1.0.9/16'],
              gateway4: '10.1.0.1',
              dhcp4: false,
              nameservers: ['10.1.0.2'],
            },
            { name: 'eth1' },
          ],
        },
        status: {
          network: {
            interfaces: [
              { name: 'eth0', ip: { addresses: [{ address: '10.1.0.9/16' }] } },
              { name: 'eth1', ip: { macAddr: 'cc:dd', addresses: [{ address: '172.16.0.3/24' }] } },
            ],
          },
        },
      }),
      want: {
        version: 1,
        interfaces: [
          {
            name: 'eth0',
            addresses: ['10.1.0.9/16'],
            gateway4: '10.1.0.1',
            dhcp4: false,
            nameservers: ['10.1.0.2'],
          },
          { name: 'eth1', addresses: ['172.16.0.3/24'], macAddr: 'cc:dd' },
        ],
        hostName: 'db',
      },
    },
  ];
  for (const t of cases) {
    it(t.title, async () => {
      const got = capturedNetwork(t.vm);
      assert.deepEqual(got, t.want);
      if (got) {
        assert.equal(
          violation(await loadValidators(), schemaId('objects/captured-network'), got),
          undefined,
        );
        assert.deepEqual(parseCapturedNetwork(serializeCapturedNetwork(got)), got);
      }
    });
  }

  it('parse rejects what is not a version-1 capture', () => {
    for (const text of [
      undefined,
      '',
      'not json',
      '{"version":2,"interfaces":[]}',
      '{"version":1}',
    ])
      assert.equal(parseCapturedNetwork(text), undefined);
  });

  it('power state is spec.powerState, undefined when unset', () => {
    assert.equal(capturedPowerState(vm('a', { powerState: 'Suspended' })), 'Suspended');
    assert.equal(capturedPowerState({ spec: {} }), undefined);
    assert.equal(capturedPowerState({ spec: { powerState: '' } }), undefined);
  });
});
