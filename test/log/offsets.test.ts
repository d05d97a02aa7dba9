import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertOffset, assertOffsetOrder, MAX_OFFSET } from '../../src/log/offsets.js';

test('offsets above 2^53 − 1, negative or fractional are refused', () => {
  assertOffset(0);
  assertOffset(MAX_OFFSET);
  for (const bad of [MAX_OFFSET + 1, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => assertOffset(bad), { code: 'INVALID_ARGUMENT' });
  }
});

test('the offset kinds must be ordered: log start ≤ flushed ≤ high watermark ≤ log end', () => {
  assertOffsetOrder({ logStartOffset: 0, flushedOffset: 0, highWatermark: 0, logEndOffset: 0 }, 't');
  assertOffsetOrder({ logStartOffset: 1, flushedOffset: 2, highWatermark: 3, logEndOffset: 4 }, 't');
  assert.throws(
    () => assertOffsetOrder({ logStartOffset: 2, flushedOffset: 1, highWatermark: 3, logEndOffset: 4 }, 'here'),
    /offset order broken in here/,
  );
  assert.throws(() =>
    assertOffsetOrder({ logStartOffset: 0, flushedOffset: 5, highWatermark: 3, logEndOffset: 4 }, 't'),
  );
  assert.throws(() =>
    assertOffsetOrder({ logStartOffset: 0, flushedOffset: 0, highWatermark: 5, logEndOffset: 4 }, 't'),
  );
  assert.throws(() =>
    assertOffsetOrder({ logStartOffset: 0, flushedOffset: 0, highWatermark: 0, logEndOffset: MAX_OFFSET + 2 }, 't'),
  );
});
