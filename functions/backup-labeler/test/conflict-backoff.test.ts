import assert from 'node:assert/strict';
import { conflictBackoff } from '../reconcile.ts';

describe('backup-labeler: the wait before deciding again after a conflict', () => {
  it('is uniform in [0, base × 2^(pass−1)), doubling per pass and capped at 16 × base', () => {
    const top = (pass: number) => conflictBackoff(pass, 25, () => 0.999999);
    assert.deepEqual([1, 2, 3, 4, 5, 6, 9].map(top), [24, 49, 99, 199, 399, 399, 399]);
    assert.equal(
      conflictBackoff(3, 25, () => 0),
      0,
    );
    assert.equal(
      conflictBackoff(2, 25, () => 0.5),
      25,
    );
  });

  it('a base of 0 never waits', () => {
    assert.equal(
      conflictBackoff(4, 0, () => 0.9),
      0,
    );
  });
});
