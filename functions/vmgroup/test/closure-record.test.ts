import assert from 'node:assert/strict';
import { MAX_RECORD_BYTES, formatClosureRecord, parseClosureRecord } from '../closure-record.ts';
import type { RecordedGroup } from '../closure-record.ts';

const SHOP: RecordedGroup = {
  namespace: 'apps',
  name: 'shop',
  objects: [
    { kind: 'VirtualMachine', name: 'web' },
    { kind: 'VirtualMachineGroup', name: 'shop' },
    { kind: 'Secret', name: 'boot' },
  ],
  cut: [{ kind: 'Secret', name: 'boot', reason: 'resourceFilter' }],
};

describe('closure record (pure)', () => {
  it('round-trips, sorted by kind then name', () => {
    const raw = formatClosureRecord([SHOP]);
    assert.equal(
      raw,
      '{"version":1,"groups":[{"namespace":"apps","name":"shop","objects":{"VirtualMachineGroup":["shop"],"VirtualMachine":["web"],"Secret":["boot"]},"cut":[{"kind":"Secret","name":"boot","reason":"resourceFilter"}]}]}',
    );
    const parsed = parseClosureRecord(raw);
    assert.ok(parsed && 'record' in parsed);
    assert.deepEqual(parsed.record.groups[0]?.cut, SHOP.cut);
    assert.equal(parsed.record.groups[0]?.objects.length, 3);
  });

  const bad: Array<[string, RegExp]> = [
    ['{', /not JSON/],
    ['{"version":2,"groups":[]}', /version 1/],
    ['{"version":1,"groups":[{"name":"g","objects":{}}]}', /without namespace/],
    [
      '{"version":1,"groups":[{"namespace":"a","name":"g","objects":{"Pod":["p"]}}]}',
      /bad entry "Pod"/,
    ],
    [
      '{"version":1,"groups":[{"namespace":"a","name":"g","objects":{"Secret":[""]}}]}',
      /bad entry/,
    ],
    [
      '{"version":1,"groups":[{"namespace":"a","name":"g","objects":{},"cut":[{"kind":"Secret","name":"s","reason":"why"}]}]}',
      /bad cut/,
    ],
  ];
  for (const [raw, why] of bad)
    it(`refuses ${raw}`, () => {
      const r = parseClosureRecord(raw);
      assert.ok(r && 'error' in r);
      assert.match(r.error, why);
    });

  it('a record too large for an annotation says so instead, and is refused with that reason', () => {
    const big: RecordedGroup = {
      namespace: 'apps',
      name: 'big',
      objects: Array.from({ length: 6000 }, (_, i) => ({
        kind: 'VirtualMachine' as const,
        name: `a-virtual-machine-name-${i}`,
      })),
      cut: [],
    };
    const raw = formatClosureRecord([big]);
    assert.ok(Buffer.byteLength(raw) <= MAX_RECORD_BYTES);
    const r = parseClosureRecord(raw);
    assert.ok(r && 'error' in r);
    assert.match(r.error, /omits the groups: the closure of 1 group\(s\), 6000 objects, is larger/);
  });

  it('absent is undefined (the labeler has not reported yet)', () =>
    assert.equal(parseClosureRecord(undefined), undefined));
});
