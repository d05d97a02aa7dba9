/**
 * Recycling a retired `.log` (native/core/spare_files.h): a segment destroyed with `recycle` whose
 * pages are still cached becomes the directory's `.recycled-log.tmp`, and the next segment is
 * written into that very file. What must hold: readers and recovery never see the old batches,
 * a file still mapped by a view is never reused, and destroy without `recycle` never recycles.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { batchBaseOffset, batchExtents, buildBatch, eventually, fileName, native, openSegment, tempDir } from './helpers.js';

const RECYCLED = '.recycled-log.tmp';
const SEGMENT_BYTES = 1 << 20;

/** Fills a segment at `baseOffset` with batches of 10 offsets and 4 KiB each; returns it sealed. */
function filledSegment(dir: string, baseOffset: number, batches: number) {
  const seg = openSegment(dir, { baseOffset, segmentBytes: SEGMENT_BYTES });
  for (let i = 0; i < batches; i++) seg.append(buildBatch({ lastOffsetDelta: 9, payloadBytes: 4096 }));
  seg.seal();
  return seg;
}

function inode(dir: string, name: string): number {
  return statSync(join(dir, name)).ino;
}

test('a retired .log whose pages are cached is recycled, and the next segment serves only its own batches', async (t) => {
  const dir = tempDir(t);
  const old = filledSegment(dir, 0, 200);
  const oldInode = inode(dir, fileName(0, '.log'));
  old.destroy(true);
  assert.ok(await eventually(() => existsSync(join(dir, RECYCLED))), 'the retired .log was recycled');
  assert.equal(inode(dir, RECYCLED), oldInode);
  assert.ok(!readdirSync(dir).some((n) => n.endsWith('.deleted')), 'nothing left to unlink');

  const seg = openSegment(dir, { baseOffset: 2000, segmentBytes: SEGMENT_BYTES });
  assert.equal(inode(dir, fileName(2000, '.log')), oldInode, 'written into the recycled file');
  assert.ok(!existsSync(join(dir, RECYCLED)));
  for (let i = 0; i < 3; i++) seg.append(buildBatch({ lastOffsetDelta: 4, payloadBytes: 100 }));
  assert.equal(seg.nextOffset, 2015);
  const view = seg.read(2000, SEGMENT_BYTES);
  assert.deepEqual(
    batchExtents(view).map(([at]) => batchBaseOffset(view, at)),
    [2000, 2005, 2010],
    'exactly the new batches, none of the old ones after them',
  );
  assert.equal(seg.read(2015, SEGMENT_BYTES).length, 0);

  // What a crash would leave on disk now (the page cache is the file): the new batches followed
  // by the retired segment's. Reopened elsewhere, recovery keeps the new ones and cuts the rest.
  const image = tempDir(t);
  for (const suffix of ['.log', '.index', '.timeindex']) {
    copyFileSync(join(dir, fileName(2000, suffix)), join(image, fileName(2000, suffix)));
  }
  const reopened = new native.Segment({ dir: image, baseOffset: 2000, segmentBytes: SEGMENT_BYTES, indexIntervalBytes: 4096, indexBytes: 64 * 1024, create: false });
  assert.equal(reopened.nextOffset, 2015);
  assert.equal(reopened.size, seg.size);
  const report = reopened.recover();
  assert.equal(report.nextOffset, 2015);
  assert.ok(report.truncatedBytes > 0, 'the old batches were cut');
  assert.match(report.reason ?? '', new RegExp(`^batch at position ${seg.size}: `), 'cut right after the new batches');
  assert.equal(statSync(join(image, fileName(2000, '.log'))).size, seg.size);
  reopened.close();
  seg.close();
  // A clean close cuts the recycled file to its data too.
  assert.equal(statSync(join(dir, fileName(2000, '.log'))).size, seg.size);
});

test('a .log still mapped by a view is not reused while the view lives', async (t) => {
  const dir = tempDir(t);
  const old = filledSegment(dir, 0, 50);
  const oldInode = inode(dir, fileName(0, '.log'));
  let view: Buffer | undefined = old.read(0, SEGMENT_BYTES);
  const before = Buffer.from(view);
  old.destroy(true);
  // The view holds the mapping, so the file is neither unlinked nor recycled yet.
  assert.ok(existsSync(join(dir, `${fileName(0, '.log')}.deleted`)));
  const next = openSegment(dir, { baseOffset: 500, segmentBytes: SEGMENT_BYTES });
  assert.notEqual(inode(dir, fileName(500, '.log')), oldInode, 'a fresh file, not the viewed one');
  next.append(buildBatch({ lastOffsetDelta: 0, payloadBytes: 4096 }));
  assert.ok(view.equals(before), 'the view still reads the retired batches');
  view = undefined;
  // Once the view is collected the file is offered for recycling.
  assert.ok(await eventually(() => existsSync(join(dir, RECYCLED))));
  assert.equal(inode(dir, RECYCLED), oldInode);
  next.close();
});

test('destroy without recycle (truncation, topic deletion) always unlinks', async (t) => {
  const dir = tempDir(t);
  const old = filledSegment(dir, 0, 50);
  old.destroy();
  assert.ok(await eventually(() => !readdirSync(dir).some((n) => n.endsWith('.deleted'))), 'unlinked');
  assert.ok(!existsSync(join(dir, RECYCLED)));
});

test('a recycled file larger than the new segment.bytes is cut to it', async (t) => {
  const dir = tempDir(t);
  const old = filledSegment(dir, 0, 200);
  old.destroy(true);
  assert.ok(await eventually(() => existsSync(join(dir, RECYCLED))));
  assert.ok(statSync(join(dir, RECYCLED)).size > 256 * 1024);
  const seg = openSegment(dir, { baseOffset: 2000, segmentBytes: 256 * 1024 });
  assert.ok(statSync(join(dir, fileName(2000, '.log'))).size <= 256 * 1024);
  assert.equal(seg.append(buildBatch({ lastOffsetDelta: 0, payloadBytes: 100 })), 2001);
  seg.close();
});
