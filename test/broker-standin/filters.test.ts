// Knative's Trigger filter semantics in the Broker stand-in (scripts/broker-standin/filters.ts),
// pure and table-driven; knative-routing.test.ts pins the same code to Knative's own.
import assert from 'node:assert/strict';
import {
  canonicalTime,
  lookupAttribute,
  triggerFilterResult,
  unsupportedFilter,
} from '../../scripts/broker-standin/filters.ts';
import type { FilterResult, TriggerFilter } from '../../scripts/broker-standin/filters.ts';

describe('Broker stand-in: Knative filters (pure)', () => {
  const times: Array<[string, string | undefined]> = [
    ['2026-11-21T13:40:00Z', '2026-11-21T13:40:00Z'],
    ['2026-11-21T13:40:00.500000000Z', '2026-11-21T13:40:00.5Z'],
    ['2026-11-21T13:40:00.000Z', '2026-11-21T13:40:00Z'],
    ['2026-11-21T13:40:00+00:00', '2026-11-21T13:40:00Z'],
    ['2026-11-21T13:40:00+02:00', '2026-11-21T13:40:00+02:00'],
    ['2026-13-01T00:00:00Z', undefined],
    ['2026-02-30T00:00:00Z', undefined],
    ['2026-11-21T13:40:00', undefined],
    ['2026-11-21 13:40:00Z', undefined],
  ];
  for (const [text, want] of times)
    it(`writes time ${text} as Go does: ${want ?? 'refused'}`, () => {
      assert.equal(canonicalTime(text), want);
    });

  const lookups: Array<[string, Record<string, string>, string | undefined]> = [
    ['subject', {}, ''],
    ['time', {}, '0001-01-01T00:00:00Z'],
    ['datamediatype', { datacontenttype: 'application/json; charset=utf-8' }, 'application/json'],
    ['datamediatype', {}, ''],
    ['schemaurl', { dataschema: 'https://s' }, 'https://s'],
    ['kind', {}, undefined],
    ['constructor', {}, undefined],
  ];
  for (const [name, attrs, want] of lookups)
    it(`looks up ${name} in ${JSON.stringify(attrs)} as Knative does`, () => {
      assert.equal(lookupAttribute(attrs, name), want);
    });

  const event = { type: 'dev.knative.apiserver.resource.add', kind: 'VirtualMachine', id: '1' };
  const cases: Array<[string, TriggerFilter, FilterResult]> = [
    ['no filter', {}, 'none'],
    ['empty attributes', { filter: { attributes: {} } }, 'pass'],
    [
      'filters win over filter',
      { filter: { attributes: { type: 'x' } }, filters: [{ exact: { kind: 'VirtualMachine' } }] },
      'pass',
    ],
    ['exact', { filters: [{ exact: { kind: 'VirtualMachineGroup' } }] }, 'fail'],
    ['prefix', { filters: [{ prefix: { type: 'dev.knative.apiserver.' } }] }, 'pass'],
    ['suffix', { filters: [{ suffix: { kind: 'Group' } }] }, 'fail'],
    ['not', { filters: [{ not: { suffix: { kind: 'Group' } } }] }, 'pass'],
    [
      'any',
      { filters: [{ any: [{ exact: { kind: 'A' } }, { exact: { kind: 'VirtualMachine' } }] }] },
      'pass',
    ],
    [
      'all',
      { filters: [{ all: [{ exact: { kind: 'VirtualMachine' } }, { exact: { id: '2' } }] }] },
      'fail',
    ],
    ['an empty exact value is skipped', { filters: [{ exact: { kind: '' } }] }, 'none'],
    ['not of a skipped filter', { filters: [{ not: { exact: { kind: '' } } }] }, 'none'],
    [
      'any of fail then none',
      { filters: [{ any: [{ exact: { kind: 'A' } }, { not: { exact: { kind: '' } } }] }] },
      'none',
    ],
    ['missing extension', { filters: [{ exact: { name: 'x' } }] }, 'fail'],
  ];
  for (const [name, spec, want] of cases)
    it(`filters like Knative: ${name}`, () => {
      assert.equal(triggerFilterResult(spec, event), want);
    });

  it('names the CESQL it will not evaluate, however deep', () => {
    assert.equal(unsupportedFilter({ filters: [{ exact: { a: 'b' } }] }), undefined);
    assert.equal(
      unsupportedFilter({ filters: [{ exact: { a: 'b' } }, { any: [{ not: { cesql: 'x' } }] }] }),
      'spec.filters[1].any[0].not.cesql',
    );
  });
});
