import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  batchBaseOffset,
  buildBatch,
  eventually,
  fileName,
  forceGc,
  openSegment,
  segmentWithBatch,
  tempDir,
} from './helpers.js';

test('a read is a view of the mapping, not a copy', (t) => {
  const seg = openSegment(tempDir(t), { indexIntervalBytes: 1 });
  seg.append(buildBatch());
  const first = seg.read(0, 1000);
  const again = seg.read(0, 1000);
  assert.ok(Buffer.isBuffer(first));
  // Two views of the same bytes share them: a later truncation shows through both.
  seg.truncateTo(0);
  assert.ok(first.every((b) => b === 0));
  assert.ok(again.every((b) => b === 0));
  seg.close();
});

test('a zero-copy view stays valid and readable after close()', (t) => {
  const seg = openSegment(tempDir(t));
  const batch = buildBatch({ lastOffsetDelta: 3, payloadBytes: 5000 });
  seg.append(batch);
  seg.append(batch);
  const view = seg.read(4, 1 << 20);
  seg.close();
  forceGc();
  assert.equal(batchBaseOffset(view), 4);
  assert.deepEqual(view.subarray(8), batch.subarray(8));
  assert.equal(Buffer.from(view).length, batch.length);
});

test('a zero-copy view stays valid after destroy(); the files go once it is collected', async (t) => {
  const { dir, seg, batch } = segmentWithBatch(t, 70_000);
  let view: Buffer | undefined = seg.read(0, 1 << 20);
  seg.destroy();
  for (const suffix of ['.log', '.index', '.timeindex']) {
    assert.equal(existsSync(join(dir, fileName(0, suffix))), false, suffix);
  }
  // The .log is still mapped by the view, so it waits as .deleted.
  assert.ok(existsSync(join(dir, `${fileName(0, '.log')}.deleted`)));
  forceGc();
  assert.deepEqual(view.subarray(8), batch.subarray(8));
  let sum = 0;
  for (const byte of view) sum += byte;
  assert.ok(sum > 0);
  view = undefined;
  assert.ok(await eventually(() => readdirSync(dir).length === 0), `left: ${readdirSync(dir).join(', ')}`);
  seg.destroy(); // idempotent
});

test('destroy() without views deletes the files in the background', async (t) => {
  const dir = tempDir(t);
  const seg = openSegment(dir);
  seg.append(buildBatch());
  seg.destroy();
  assert.ok(await eventually(() => readdirSync(dir).length === 0), `left: ${readdirSync(dir).join(', ')}`);
});

test('destroy() after close() still deletes the files', async (t) => {
  const dir = tempDir(t);
  const seg = openSegment(dir);
  seg.append(buildBatch());
  let view: Buffer | undefined = seg.read(0, 100);
  seg.close();
  seg.destroy();
  assert.ok(existsSync(join(dir, `${fileName(0, '.log')}.deleted`)));
  assert.equal(view.readInt32BE(8) + 12, buildBatch().length);
  view = undefined;
  assert.ok(await eventually(() => readdirSync(dir).length === 0), `left: ${readdirSync(dir).join(', ')}`);
});

test('many views across appends, closes and collections stay consistent', async (t) => {
  const dir = tempDir(t);
  const views: Buffer[] = [];
  for (let round = 0; round < 5; round++) {
    const seg = openSegment(dir, { baseOffset: round * 1000, indexIntervalBytes: 512 });
    for (let i = 0; i < 200; i++) {
      seg.append(buildBatch({ payloadBytes: 64 + (i % 50) }));
      if (i % 17 === 0) views.push(seg.read(round * 1000 + i, 300));
    }
    if (round % 2 === 0) seg.close();
    else seg.destroy();
    forceGc();
  }
  for (const v of views) assert.equal(v.readInt8(16), 2); // every view still shows a batch's magic
  views.length = 0;
  forceGc();
});

test('a view of truncated batches survives seal() and close() (no fault past the cut file)', (t) => {
  const dir = tempDir(t);
  const seg = openSegment(dir);
  for (let i = 0; i < 10; i++) seg.append(buildBatch({ payloadBytes: 2000 }));
  const view = seg.read(3, 1 << 20);
  const size3 = seg.positionOf(3);
  seg.truncateTo(3);
  seg.seal();
  forceGc();
  assert.ok(view.every((b) => b === 0)); // reads the dropped range: zeros, not SIGBUS
  seg.close();
  assert.equal(view.length, 7 * buildBatch({ payloadBytes: 2000 }).length);
  assert.ok(view.every((b) => b === 0));
  const again = openSegment(dir, { create: false });
  assert.equal(again.size, size3);
  assert.equal(again.nextOffset, 3);
  assert.deepEqual(again.recover(), { validBytes: size3, truncatedBytes: 0, nextOffset: 3, reason: null });
  again.close();
});

test('once its views are collected, seal() cuts the file right at the data again', async (t) => {
  const dir = tempDir(t);
  const seg = openSegment(dir);
  for (let i = 0; i < 10; i++) seg.append(buildBatch({ payloadBytes: 2000 }));
  (() => seg.read(3, 1 << 20))(); // a view nobody keeps
  seg.truncateTo(3);
  // Buffer finalizers run from the event loop after the collection that found them dead.
  for (let round = 0; round < 10; round++) {
    forceGc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  seg.seal();
  assert.equal(statSync(join(dir, fileName(0, '.log'))).size, seg.size);
  seg.close();
});
