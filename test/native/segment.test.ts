import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { StorageError, StorageErrorCodes } from '../../src/log/storage-error.js';
import {
  HEADER_BYTES,
  batchBaseOffset,
  batchExtents,
  buildBatch,
  fileName,
  fixCrc,
  growStepBytes,
  native,
  openSegment,
  tempDir,
} from './helpers.js';

function isStorageError(code: string) {
  return (err: unknown) => {
    assert.ok(err instanceof StorageError, `expected a StorageError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  };
}

test('storageErrorCodes equals StorageErrorCodes', () => {
  assert.deepEqual(native.storageErrorCodes(), [...StorageErrorCodes]);
});

test('append then read round trip stamps baseOffsets', (t) => {
  const seg = openSegment(tempDir(t), { baseOffset: 100 });
  assert.equal(seg.nextOffset, 100);
  assert.equal(seg.size, 0);
  assert.equal(seg.maxTimestamp, -1);
  assert.equal(seg.active, true);
  const a = buildBatch({ lastOffsetDelta: 2, maxTimestamp: 5000 });
  const b = buildBatch({ lastOffsetDelta: 0, maxTimestamp: 4000, payloadBytes: 100 });
  assert.equal(seg.append(a), 103);
  assert.equal(seg.append(b), 104);
  assert.equal(seg.size, a.length + b.length);
  assert.equal(seg.maxTimestamp, 5000);
  const view = seg.read(100, 1 << 20);
  assert.equal(view.length, a.length + b.length);
  assert.equal(batchBaseOffset(view, 0), 100);
  assert.equal(batchBaseOffset(view, a.length), 103);
  // Everything but the stamped baseOffset is byte for byte what was appended.
  assert.deepEqual(view.subarray(8, a.length), a.subarray(8));
  assert.deepEqual(view.subarray(a.length + 8), b.subarray(8));
  // The caller's buffer is not modified.
  assert.equal(batchBaseOffset(a), 0);
  seg.close();
});

test('append of several batches in one buffer, with start and length', (t) => {
  const seg = openSegment(tempDir(t));
  const batches = [
    buildBatch({ lastOffsetDelta: 4 }),
    buildBatch({ lastOffsetDelta: 0 }),
    buildBatch({ lastOffsetDelta: 9 }),
  ];
  const junk = Buffer.from([1, 2, 3]);
  const buf = Buffer.concat([junk, ...batches, junk]);
  const length = buf.length - 2 * junk.length;
  assert.equal(seg.append(buf, junk.length, length), 16);
  assert.equal(seg.size, length);
  assert.deepEqual(
    batchExtents(seg.read(0, 1 << 20)).map(([pos]) => batchBaseOffset(seg.read(0, 1 << 20), pos)),
    [0, 5, 6],
  );
  seg.close();
});

test('append of an empty range is a no-op', (t) => {
  const seg = openSegment(tempDir(t));
  assert.equal(seg.append(new Uint8Array(0)), 0);
  assert.equal(seg.append(buildBatch(), 0, 0), 0);
  assert.equal(seg.size, 0);
  seg.close();
});

test('ECORRUPT on a bad CRC, nothing appended', (t) => {
  const seg = openSegment(tempDir(t));
  const good = buildBatch();
  const bad = buildBatch({ lastOffsetDelta: 1 });
  bad[HEADER_BYTES + 3] ^= 0x40;
  assert.throws(
    () => seg.append(Buffer.concat([good, bad])),
    (err) => {
      isStorageError('ECORRUPT')(err);
      assert.match((err as Error).message, /batch #1 at byte 77 .*CRC-32C mismatch/);
      return true;
    },
  );
  assert.equal(seg.nextOffset, 0);
  assert.equal(seg.size, 0);
  assert.equal(seg.read(0, 1000).length, 0);
  // The segment is still usable: errors in the input are not sticky.
  assert.equal(seg.append(good), 1);
  seg.close();
});

test('ECORRUPT on a wrong magic, even with a matching CRC', (t) => {
  const seg = openSegment(tempDir(t));
  const bad = buildBatch({ magic: 1 });
  assert.throws(
    () => seg.append(bad),
    (err) => isStorageError('ECORRUPT')(err) && /magic 1/.test((err as Error).message),
  );
  assert.equal(seg.size, 0);
  seg.close();
});

test('ECORRUPT on insane lengths: too small, overrunning, truncated header', (t) => {
  const seg = openSegment(tempDir(t));
  const small = buildBatch();
  small.writeInt32BE(10, 8);
  assert.throws(
    () => seg.append(small),
    (err) => isStorageError('ECORRUPT')(err) && /below the minimum/.test((err as Error).message),
  );
  const overrun = buildBatch();
  overrun.writeInt32BE(overrun.length, 8);
  assert.throws(
    () => seg.append(overrun),
    (err) => isStorageError('ECORRUPT')(err) && /overruns/.test((err as Error).message),
  );
  const negative = buildBatch();
  negative.writeInt32BE(-5, 8);
  assert.throws(() => seg.append(negative), isStorageError('ECORRUPT'));
  assert.throws(() => seg.append(buildBatch().subarray(0, 11)), isStorageError('ECORRUPT'));
  assert.throws(() => seg.append(Buffer.concat([buildBatch(), Buffer.alloc(3)])), isStorageError('ECORRUPT'));
  assert.equal(seg.size, 0);
  assert.equal(seg.nextOffset, 0);
  seg.close();
});

test('ECORRUPT on a negative lastOffsetDelta or a recordCount that cannot fit it', (t) => {
  const seg = openSegment(tempDir(t));
  const negative = buildBatch();
  negative.writeInt32BE(-1, 23);
  fixCrc(negative);
  assert.throws(() => seg.append(negative), isStorageError('ECORRUPT'));
  const tooMany = buildBatch({ lastOffsetDelta: 1, recordCount: 3 });
  assert.throws(() => seg.append(tooMany), isStorageError('ECORRUPT'));
  assert.equal(seg.size, 0);
  seg.close();
});

test('a full segment returns -1 and appends nothing; a batch larger than a segment is ETOOLARGE', (t) => {
  const batch = buildBatch({ payloadBytes: 39 }); // 100 bytes
  const seg = openSegment(tempDir(t), { segmentBytes: 261 });
  assert.equal(seg.append(batch), 1);
  assert.equal(seg.append(batch), 2);
  assert.equal(seg.append(batch), -1);
  assert.equal(seg.append(Buffer.concat([buildBatch({ payloadBytes: 10 }), batch])), -1);
  assert.equal(seg.nextOffset, 2);
  assert.equal(seg.size, 200);
  assert.equal(seg.append(buildBatch({ payloadBytes: 0 })), 3); // exactly fills it
  assert.equal(seg.size, 261);
  assert.equal(seg.append(buildBatch({ payloadBytes: 0 })), -1);
  assert.throws(() => seg.append(buildBatch({ payloadBytes: 300 })), isStorageError('ETOOLARGE'));
  seg.close();
});

test('positionOf and offsetForTimestamp for every offset, across index intervals', (t) => {
  for (const indexIntervalBytes of [1, 200, 4096]) {
    const seg = openSegment(tempDir(t), { baseOffset: 1000, indexIntervalBytes });
    const positions: number[] = [];
    const offsets: number[] = [];
    const maxTimestamps: number[] = [];
    let next = 1000;
    for (let i = 0; i < 300; i++) {
      const lastOffsetDelta = i % 4;
      // Timestamps wander up and down; the lookup answers on the running maximum semantics.
      const maxTimestamp = 10_000 + i * 10 + ((i * 7919) % 13) * 15;
      positions.push(seg.size);
      offsets.push(next);
      maxTimestamps.push(maxTimestamp);
      next = seg.append(buildBatch({ lastOffsetDelta, maxTimestamp, payloadBytes: (i * 37) % 150 }));
    }
    assert.equal(seg.nextOffset, next);
    for (let b = 0; b < offsets.length; b++) {
      const end = b + 1 < offsets.length ? (offsets[b + 1] as number) : next;
      for (let o = offsets[b] as number; o < end; o++) assert.equal(seg.positionOf(o), positions[b], `offset ${o}`);
    }
    assert.equal(seg.positionOf(next), -1);
    assert.equal(seg.positionOf(next + 100), -1);
    const tsMax = Math.max(...maxTimestamps);
    for (let ts = 9_990; ts <= tsMax + 1; ts += 3) {
      const first = maxTimestamps.findIndex((m) => m >= ts);
      assert.equal(
        seg.offsetForTimestamp(ts),
        first === -1 ? -1 : offsets[first],
        `timestamp ${ts} interval ${indexIntervalBytes}`,
      );
    }
    assert.equal(seg.maxTimestamp, tsMax);
    seg.close();
  }
});

test('read returns whole batches up to maxBytes and at least one batch', (t) => {
  const seg = openSegment(tempDir(t), { indexIntervalBytes: 64 });
  const sizes: number[] = [];
  for (let i = 0; i < 20; i++) {
    const b = buildBatch({ lastOffsetDelta: 1, payloadBytes: 20 + i * 5 });
    sizes.push(b.length);
    seg.append(b);
  }
  // A batch larger than maxBytes still comes back, alone.
  assert.equal(seg.read(0, 1).length, sizes[0]);
  assert.equal(seg.read(0, 0).length, sizes[0]);
  // Both offsets of the batch find it.
  assert.equal(seg.read(7, 1).length, sizes[3]);
  assert.equal(batchBaseOffset(seg.read(7, 1)), 6);
  // Exactly two batches fit; one byte less and it is one.
  const two = (sizes[5] as number) + (sizes[6] as number);
  assert.equal(seg.read(10, two).length, two);
  assert.equal(seg.read(10, two - 1).length, sizes[5]);
  assert.equal(seg.read(0, 1 << 30).length, seg.size);
  assert.equal(seg.read(39, 1 << 30).length, sizes[19]);
  assert.equal(seg.read(40, 1000).length, 0);
  assert.equal(seg.read(1e9, 1000).length, 0);
  seg.close();
});

test('read, positionOf and truncateTo before the segment base offset are EINVAL', (t) => {
  const seg = openSegment(tempDir(t), { baseOffset: 50 });
  seg.append(buildBatch());
  assert.throws(() => seg.read(49, 100), isStorageError('EINVAL'));
  assert.throws(() => seg.positionOf(0), isStorageError('EINVAL'));
  assert.throws(() => seg.truncateTo(10), isStorageError('EINVAL'));
  seg.close();
});

test('misuse is TypeError or RangeError', (t) => {
  const dir = tempDir(t);
  assert.throws(() => new native.Segment(undefined as never), TypeError);
  assert.throws(() => openSegment(dir, { baseOffset: -1 }), RangeError);
  assert.throws(() => openSegment(dir, { baseOffset: 1.5 }), RangeError);
  assert.throws(() => openSegment(dir, { baseOffset: 2 ** 53 }), RangeError);
  assert.throws(() => openSegment(dir, { segmentBytes: 10 }), RangeError);
  assert.throws(() => openSegment(dir, { segmentBytes: 2 ** 31 }), RangeError);
  assert.throws(() => openSegment(dir, { indexIntervalBytes: 0 }), RangeError);
  assert.throws(() => openSegment(dir, { indexBytes: 4 }), RangeError);
  assert.throws(() => openSegment(dir, { dir: 5 as never }), TypeError);
  assert.throws(() => openSegment(dir, { create: 'yes' as never }), TypeError);
  assert.throws(() => openSegment(dir, { segmentBytes: '1000' as never }), TypeError);
  const seg = openSegment(dir);
  const batch = buildBatch();
  assert.throws(() => seg.append('x' as never), TypeError);
  assert.throws(() => seg.append(new Int8Array(80) as never), TypeError);
  assert.throws(() => seg.append(batch, -1), RangeError);
  assert.throws(() => seg.append(batch, batch.length + 1), RangeError);
  assert.throws(() => seg.append(batch, 10, batch.length), RangeError);
  assert.throws(() => seg.read(-1, 10), RangeError);
  assert.throws(() => seg.read(0.5, 10), RangeError);
  assert.throws(() => seg.read(0, -1), RangeError);
  assert.throws(() => seg.read('0' as never, 10), TypeError);
  assert.throws(() => seg.positionOf(Number.NaN), RangeError);
  assert.throws(() => seg.offsetForTimestamp(-1), RangeError);
  assert.throws(() => seg.truncateTo(Infinity), RangeError);
  const read = seg.read.bind({});
  assert.throws(() => read(0, 10));
  seg.close();
});

test('truncateTo drops batches at a boundary; inside a batch is EINVAL', (t) => {
  const seg = openSegment(tempDir(t), { indexIntervalBytes: 1 });
  const sizes: number[] = [];
  for (let i = 0; i < 10; i++) {
    const b = buildBatch({ lastOffsetDelta: 1, maxTimestamp: 100 + i, payloadBytes: 10 + i });
    sizes.push(b.length);
    seg.append(b);
  }
  assert.throws(() => seg.truncateTo(7), isStorageError('EINVAL'));
  const kept = sizes.slice(0, 3).reduce((a, b) => a + b, 0);
  const view = seg.read(6, 1 << 20); // a view over what is dropped: memory-safe, reads zeros after
  seg.truncateTo(6);
  assert.equal(seg.nextOffset, 6);
  assert.equal(seg.size, kept);
  assert.equal(seg.maxTimestamp, 102);
  assert.equal(seg.positionOf(6), -1);
  assert.equal(seg.offsetForTimestamp(103), -1);
  assert.ok(view.every((byte) => byte === 0));
  seg.truncateTo(100); // past the end: nothing to do
  assert.equal(seg.nextOffset, 6);
  // Appending goes on from the truncation point, with a working index.
  assert.equal(seg.append(buildBatch({ lastOffsetDelta: 4, maxTimestamp: 50 })), 11);
  assert.equal(seg.positionOf(10), kept);
  assert.equal(seg.offsetForTimestamp(101), 2);
  seg.truncateTo(0);
  assert.equal(seg.size, 0);
  assert.equal(seg.maxTimestamp, -1);
  assert.equal(seg.append(buildBatch()), 1);
  seg.close();
});

test('seal cuts the files to their used length; reads go on, appends are refused', (t) => {
  const dir = tempDir(t);
  const seg = openSegment(dir, { indexIntervalBytes: 100, segmentBytes: 1 << 20, indexBytes: 12_000 });
  for (let i = 0; i < 10; i++) seg.append(buildBatch({ payloadBytes: 100 }));
  assert.ok(statSync(join(dir, fileName(0, '.log'))).size >= growStepBytes(1 << 20)); // grown in steps
  assert.equal(statSync(join(dir, fileName(0, '.index'))).size, 12_000);
  seg.seal();
  assert.equal(seg.active, false);
  assert.equal(statSync(join(dir, fileName(0, '.log'))).size, seg.size);
  assert.equal(statSync(join(dir, fileName(0, '.index'))).size, 9 * 8);
  assert.equal(statSync(join(dir, fileName(0, '.timeindex'))).size, 9 * 12);
  assert.equal(seg.read(0, 1 << 20).length, seg.size);
  assert.equal(seg.positionOf(9), 9 * 161);
  assert.throws(() => seg.append(buildBatch()), isStorageError('ECLOSED'));
  seg.seal(); // idempotent
  seg.close();
});

test('close truncates the active segment; a closed segment refuses everything', async (t) => {
  const dir = tempDir(t);
  const seg = openSegment(dir);
  seg.append(buildBatch());
  seg.close();
  assert.equal(statSync(join(dir, fileName(0, '.log'))).size, seg.size);
  assert.equal(seg.active, false);
  assert.equal(seg.nextOffset, 1);
  assert.throws(() => seg.append(buildBatch()), isStorageError('ECLOSED'));
  assert.throws(() => seg.read(0, 10), isStorageError('ECLOSED'));
  assert.throws(() => seg.positionOf(0), isStorageError('ECLOSED'));
  assert.throws(() => seg.offsetForTimestamp(0), isStorageError('ECLOSED'));
  assert.throws(() => seg.truncateTo(0), isStorageError('ECLOSED'));
  assert.throws(() => seg.recover(), isStorageError('ECLOSED'));
  assert.throws(() => seg.seal(), isStorageError('ECLOSED'));
  await assert.rejects(seg.flush(), isStorageError('ECLOSED'));
  seg.close(); // idempotent
});

test('creating a segment whose files exist is EINVAL; opening a missing one is EIO', (t) => {
  const dir = tempDir(t);
  openSegment(dir).close();
  assert.throws(
    () => openSegment(dir),
    (err) => isStorageError('EINVAL')(err) && (err as StorageError).errno === 17,
  );
  assert.throws(
    () => openSegment(dir, { baseOffset: 5, create: false }),
    (err) => {
      isStorageError('EIO')(err);
      assert.equal((err as StorageError).errno, 2);
      assert.equal((err as StorageError).path, join(dir, fileName(5, '.log')));
      return true;
    },
  );
  assert.throws(() => openSegment(join(dir, 'missing')), isStorageError('EIO'));
});

test('files are named by the 20-digit base offset', (t) => {
  const dir = tempDir(t);
  const seg = openSegment(dir, { baseOffset: 2 ** 40 });
  for (const suffix of ['.log', '.index', '.timeindex']) {
    assert.ok(statSync(join(dir, `00000001099511627776${suffix}`)).isFile());
  }
  seg.close();
});

test('offsets never pass 2^53 - 1', (t) => {
  const seg = openSegment(tempDir(t), { baseOffset: Number.MAX_SAFE_INTEGER - 3 });
  assert.equal(seg.append(buildBatch({ lastOffsetDelta: 1 })), Number.MAX_SAFE_INTEGER - 1);
  assert.throws(() => seg.append(buildBatch({ lastOffsetDelta: 1 })), isStorageError('EINVAL'));
  assert.equal(seg.append(buildBatch()), Number.MAX_SAFE_INTEGER);
  seg.close();
});

test('a segment spans at most 2^32 offsets: past that, append asks for a roll', (t) => {
  const seg = openSegment(tempDir(t));
  const huge = buildBatch({ lastOffsetDelta: 2 ** 31 - 2, recordCount: 1 });
  assert.equal(seg.append(huge), 2 ** 31 - 1);
  assert.equal(seg.append(huge), 2 ** 32 - 2);
  assert.equal(seg.append(buildBatch({ lastOffsetDelta: 0 })), 2 ** 32 - 1);
  assert.equal(seg.append(buildBatch({ lastOffsetDelta: 1 })), -1);
  assert.equal(seg.append(buildBatch({ lastOffsetDelta: 0 })), 2 ** 32);
  assert.equal(seg.append(buildBatch({ lastOffsetDelta: 0 })), -1);
  seg.close();
});

test('a full index asks for a roll', (t) => {
  const seg = openSegment(tempDir(t), { indexIntervalBytes: 1, indexBytes: 24 }); // two time entries
  assert.equal(seg.append(buildBatch()), 1); // position 0: no entry
  assert.equal(seg.append(buildBatch()), 2);
  assert.equal(seg.append(buildBatch()), 3);
  assert.equal(seg.append(buildBatch()), -1);
  assert.equal(seg.positionOf(2), 2 * 77);
  seg.close();
});
