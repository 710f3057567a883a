// An operator the API server stores but meta/v1 does not know (Velero's CRDs leave it a free
// string): Velero's selector conversion fails, so such a selector selects nothing.
import assert from 'node:assert/strict';
import { classifySelection, selectorMatches } from '../label-selection.ts';

describe('label selection with an operator meta/v1 does not know', () => {
  const labels = { a: '1', 'member.vmgroup-backup.dev/app': 'VirtualMachineGroup' };
  for (const operator of ['Gt', 'in', '', 'Exist'])
    it(`"${operator}" selects nothing`, () => {
      assert.equal(selectorMatches({ matchExpressions: [{ key: 'a', operator }] }, labels), false);
      assert.equal(
        selectorMatches({ matchExpressions: [{ key: 'zz', operator, values: ['1'] }] }, labels),
        false,
      );
    });

  it('is not a membership selection', () => {
    const spec = {
      labelSelector: {
        matchExpressions: [{ key: 'member.vmgroup-backup.dev/app', operator: 'Gt' }],
      },
    };
    assert.equal(classifySelection(spec), 'other');
  });
});
