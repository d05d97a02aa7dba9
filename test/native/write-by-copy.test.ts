/**
 * Appends to a segment flushed in the last second are validated where they are (an ArrayBuffer)
 * or in a scratch copy (a SharedArrayBuffer, which another thread could change) and written with
 * pwritev instead of being copied into the mapping (Segment::WritesByCopy in
 * native/core/segment.cc); appends larger than the scratch still go through the mapping. Every
 * way must store the same bytes, stamp the same offsets, index them the same way, survive a
 * reopen, leave the input unchanged, and leave nothing behind when a batch is refused.
 */
import assert from 'node:assert/strict';
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  batchBaseOffset,
  buildBatch,
  fileName,
  HEADER_BYTES,
  native,
  openSegment,
  segmentOptions,
  tempDir,
} from './helpers.js';

const SEGMENT_BYTES = 32 << 20;
/** Larger than the scratch (Segment::kWriteScratchBytes, 4 MiB): this one goes through the mapping. */
const LARGE_PAYLOAD = (4 << 20) + 12345;

function isStorageError(code: string) {
  return (err: unknown) => (err as { code?: string }).code === code;
}

test('after a flush, appends of every size store and index the same bytes, and survive a reopen', async (t) => {
  const dir = tempDir(t);
  const seg = openSegment(dir, { segmentBytes: SEGMENT_BYTES, indexIntervalBytes: 4096 });
  const appended: Buffer[] = [];
  const append = (b: Buffer) => {
    seg.append(b);
    appended.push(b);
  };
  append(buildBatch({ lastOffsetDelta: 2, maxTimestamp: 1000, payloadBytes: 3000 })); // through the mapping
  await seg.flush(); // from here on the segment counts as flushed often
  for (let i = 0; i < 60; i++) {
    // Mixed sizes: several in one buffer, some over a page, one over the scratch.
    const size = i === 30 ? LARGE_PAYLOAD : 100 + ((i * 7919) % 20000);
    const batches = [buildBatch({ lastOffsetDelta: i % 5, maxTimestamp: 2000 + i, payloadBytes: size })];
    if (i % 3 === 0) batches.push(buildBatch({ lastOffsetDelta: 0, maxTimestamp: 2000 + i, payloadBytes: 50 }));
    const input = Buffer.concat(batches);
    seg.append(input);
    appended.push(...batches);
    if (i % 10 === 9) await seg.flush();
  }
  const expectedSize = appended.reduce((n, b) => n + b.length, 0);
  assert.equal(seg.size, expectedSize);

  const check = (s: typeof seg) => {
    let offset = 0;
    let position = 0;
    for (const b of appended) {
      assert.equal(s.positionOf(offset), position, `position of offset ${offset}`);
      const view = s.read(offset, 1);
      assert.equal(batchBaseOffset(view), offset, `baseOffset stamped at ${offset}`);
      // Everything but the stamped baseOffset is the input, byte for byte.
      assert.ok(view.subarray(8, b.length).equals(b.subarray(8)), `bytes of the batch at offset ${offset}`);
      const lastOffsetDelta = b.readInt32BE(23);
      offset += lastOffsetDelta + 1;
      position += b.length;
    }
    assert.equal(s.nextOffset, offset);
    assert.equal(s.offsetForTimestamp(2030), findOffsetOfTimestamp(2030));
  };
  function findOffsetOfTimestamp(ts: number): number {
    let offset = 0;
    for (const b of appended) {
      if (Number(b.readBigInt64BE(35)) >= ts) return offset;
      offset += b.readInt32BE(23) + 1;
    }
    return -1;
  }
  check(seg);
  await seg.flush();
  seg.close();

  const reopened = new native.Segment({ ...segmentOptions(dir, { segmentBytes: SEGMENT_BYTES }), create: false });
  const report = reopened.recover();
  assert.equal(report.truncatedBytes, 0);
  assert.equal(reopened.size, expectedSize);
  check(reopened);
  reopened.close();
});

/** `batches` laid end to end in new memory of the given kind. */
function inMemory(batches: Buffer[], shared: boolean): Buffer {
  const length = batches.reduce((n, b) => n + b.length, 0);
  const bytes = Buffer.from(shared ? new SharedArrayBuffer(length) : new ArrayBuffer(length));
  let at = 0;
  for (const b of batches) at += b.copy(bytes, at);
  return bytes;
}

for (const shared of [false, true]) {
  const input = shared ? 'a SharedArrayBuffer (copied, then checked)' : 'an ArrayBuffer (checked where it is)';
  test(`after a flush, a refused batch from ${input} leaves nothing: not in reads, not in the file, not in the offsets`, async (t) => {
    const dir = tempDir(t);
    const seg = openSegment(dir, { segmentBytes: SEGMENT_BYTES });
    seg.append(buildBatch({ payloadBytes: 500 }));
    await seg.flush();
    const size = seg.size;
    const good = buildBatch({ lastOffsetDelta: 3, payloadBytes: 9000 });
    const bad = buildBatch({ lastOffsetDelta: 1, payloadBytes: 9000 });
    bad[HEADER_BYTES + 100] ^= 0x01;
    assert.throws(() => seg.append(inMemory([good, bad], shared)), isStorageError('ECORRUPT'));
    assert.equal(seg.size, size);
    assert.equal(seg.nextOffset, 1);
    assert.equal(seg.read(1, 1 << 20).length, 0);
    // The file past the data holds zeros: the good batch before the bad one was not written either.
    const fd = openSync(join(dir, fileName(0, '.log')), 'r');
    const tail = Buffer.alloc(good.length + bad.length);
    const got = readSync(fd, tail, 0, tail.length, size);
    closeSync(fd);
    assert.ok(
      tail.subarray(0, got).every((x) => x === 0),
      'nothing written past the data',
    );
    // The segment goes on from where it was.
    assert.equal(seg.append(good), 5);
    assert.equal(batchBaseOffset(seg.read(1, 1)), 1);
    seg.close();
  });

  test(`after a flush, 600 batches from ${input} in one append: stored, stamped and reopened, the input unchanged`, async (t) => {
    const dir = tempDir(t);
    const seg = openSegment(dir, { segmentBytes: SEGMENT_BYTES, indexIntervalBytes: 4096 });
    seg.append(buildBatch({ lastOffsetDelta: 1, payloadBytes: 700 }));
    await seg.flush();
    // 600 batches are 1,200 pieces for pwritev, more than one call takes.
    const batches = Array.from({ length: 600 }, (_, i) =>
      buildBatch({ lastOffsetDelta: i % 3, maxTimestamp: 5000 + i, payloadBytes: 40 + ((i * 131) % 900) }),
    );
    const bytes = inMemory(batches, shared);
    const before = Buffer.from(bytes);
    const start = seg.size;
    assert.equal(seg.append(bytes), 2 + batches.reduce((n, b) => n + b.readInt32BE(23) + 1, 0));
    assert.ok(bytes.equals(before), 'the input is not stamped');
    const check = (s: typeof seg) => {
      let offset = 2;
      let position = start;
      for (const b of batches) {
        assert.equal(s.positionOf(offset), position, `position of offset ${offset}`);
        const view = s.read(offset, 1);
        assert.equal(batchBaseOffset(view), offset, `baseOffset stamped at ${offset}`);
        assert.ok(view.subarray(8, b.length).equals(b.subarray(8)), `bytes of the batch at offset ${offset}`);
        offset += b.readInt32BE(23) + 1;
        position += b.length;
      }
      assert.equal(s.nextOffset, offset);
    };
    check(seg);
    await seg.flush();
    seg.close();
    const reopened = new native.Segment({ ...segmentOptions(dir, { segmentBytes: SEGMENT_BYTES }), create: false });
    assert.equal(reopened.recover().truncatedBytes, 0);
    check(reopened);
    reopened.close();
  });
}
