/**
 * Zero-copy views are slices of one ArrayBuffer per segment mapping (src/log/native.ts, read):
 * what that shares, what it exposes, and that it spares V8 a collection per 64 MiB of views.
 */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { test } from 'node:test';
import { buildBatch, fileName, forceGc, openSegment, tempDir } from './helpers.js';

test('views of a segment share one ArrayBuffer over its mapping; byteOffset is the position in the .log', (t) => {
  const seg = openSegment(tempDir(t), { indexIntervalBytes: 1 });
  for (let i = 0; i < 10; i++) seg.append(buildBatch({ lastOffsetDelta: 1, payloadBytes: 100 + i }));
  const a = seg.read(0, 1);
  const b = seg.read(7, 1 << 20);
  assert.equal(a.buffer, b.buffer);
  assert.equal(a.buffer.byteLength, 1 << 20); // the whole mapping: segmentBytes
  assert.equal(a.byteOffset, 0);
  assert.equal(b.byteOffset, seg.positionOf(7));
  assert.equal(b.byteOffset + b.length, seg.size);
  assert.equal(b.readBigInt64BE(0), 6n); // the batch holding offset 7 starts at 6
  seg.close();
  assert.equal(a.readInt8(16), 2); // after close, the ArrayBuffer lives on in its views
});

test("reading a view's whole .buffer never faults, even past the end of a cut file", (t) => {
  const dir = tempDir(t);
  const seg = openSegment(dir);
  const batch = buildBatch({ payloadBytes: 9000 });
  for (let i = 0; i < 5; i++) seg.append(batch);
  const view = seg.read(2, 1 << 20);
  const whole = new Uint8Array(view.buffer);
  seg.truncateTo(3); // drops batches 3 and 4: the view's tail turns to zeros
  seg.seal(); // cuts the file right at the data: past it, the mapping reads zeros
  assert.equal(statSync(join(dir, fileName(0, '.log'))).size, seg.size);
  let sum = 0;
  for (let i = seg.size; i < whole.length; i++) sum += whole[i] as number;
  assert.equal(sum, 0);
  assert.deepEqual(view.subarray(8, batch.length), batch.subarray(8)); // batch 2 is still there
  assert.ok(view.subarray(batch.length).every((b) => b === 0));
  seg.close();
  forceGc();
  assert.equal(whole[16], 2); // magic of batch 0, after close
});

test('a reopened sealed segment grows back under its views: new batches show, nothing faults', (t) => {
  const dir = tempDir(t);
  const first = openSegment(dir);
  first.append(buildBatch({ payloadBytes: 5000 }));
  first.close();
  const seg = openSegment(dir, { create: false });
  const before = seg.read(0, 1 << 20);
  const whole = new Uint8Array(before.buffer);
  assert.equal(whole[seg.size + 4096], 0); // past the sealed file's end: zeros
  assert.equal(seg.append(buildBatch({ payloadBytes: 7000 })), 2); // grows the file back
  const after = seg.read(1, 1 << 20);
  assert.equal(after.buffer, before.buffer);
  assert.equal(after.readBigInt64BE(0), 1n);
  assert.equal(whole[after.byteOffset + 16], 2); // the new batch, through the old ArrayBuffer
  seg.close();
});

test('reading 1 GiB of views does not force a full collection every 64 MiB', async (t) => {
  const seg = openSegment(tempDir(t), { segmentBytes: 8 << 20 });
  const batch = buildBatch({ payloadBytes: 64 * 1024 - 61 });
  while (seg.append(batch) !== -1);
  let major = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if ((entry as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        major++;
      }
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  let bytes = 0;
  for (let i = 0; bytes < 1 << 30; i++) {
    const view = seg.read((i * 16) % 112, 1 << 20);
    bytes += view.length;
  }
  await new Promise((resolve) => setTimeout(resolve, 50)); // gc entries are delivered asynchronously
  observer.disconnect();
  // One Buffer per view would count 1 GiB of external memory: about 16 full collections.
  assert.ok(major <= 3, `${major} full collections`);
  seg.close();
});
