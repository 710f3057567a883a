import assert from 'node:assert/strict';
import { assignReplies, pickReply, type ReplyPlan } from '../continuation.ts';

const plan = (verb: string, tree: string): ReplyPlan & { tree: string } => ({
  tree,
  reply: { type: `dev.vmgroup-backup.restore.${verb}`, dataschema: '', data: {} },
});

describe('restore sequencer: which reply goes out (pure)', () => {
  it('pickReply: the most final first; a plan without reply is never picked', () => {
    const none: ReplyPlan & { tree: string } = { tree: 'x' };
    const picked = pickReply([plan('group-held', 'a'), none, plan('group-ready', 'b')]);
    assert.equal(picked?.reply?.type, 'dev.vmgroup-backup.restore.group-ready');
    assert.equal(pickReply([none]), undefined);
  });

  describe('assignReplies: one run answering several asks', () => {
    const plans = new Map([
      ['ns/a', plan('group-ready', 'a')],
      ['ns/b', plan('sequence-due', 'b')],
      ['ns/c', { tree: 'c' }],
      ['ns/d', plan('group-held', 'd')],
    ]);
    const cases: Array<[string, string[][], Array<string | undefined>]> = [
      ['one ask: as pickReply over its trees', [['ns/d', 'ns/a']], ['a']],
      [
        'each tree goes to the first ask naming it',
        [['ns/a'], ['ns/a'], ['ns/b']],
        ['a', undefined, 'b'],
      ],
      [
        'an ask with several trees takes the most final free one; the next ask gets the rest',
        [
          ['ns/a', 'ns/d'],
          ['ns/d', 'ns/a'],
        ],
        ['a', 'd'],
      ],
      [
        'a tree with nothing to send, or unknown: no reply',
        [['ns/c'], ['ns/zz'], []],
        [undefined, undefined, undefined],
      ],
      ['a tree named twice in one ask counts once', [['ns/b', 'ns/b'], ['ns/b']], ['b', undefined]],
    ];
    for (const [what, asks, want] of cases)
      it(what, () => {
        assert.deepEqual(
          assignReplies(asks, plans).map((p) => p?.tree),
          want,
        );
      });
  });
});
