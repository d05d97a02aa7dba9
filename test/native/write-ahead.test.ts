/**
 * The write-ahead (native/core/write_ahead.h): a background thread faults in the pages ahead of an
 * active segment's writer. It must never change what a reader sees or where recovery finds the end
 * of the data, and it must survive the segment being cut, closed or deleted under it.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { NativeSegment } from '../../src/log/native.js';
import { buildBatch, fileName, growStepBytes, openSegment, tempDir } from './helpers.js';

// Smaller than the prefault window, so the whole file (as far as it has grown) is faulted in.
const SEGMENT_BYTES = 4 << 20;
const LOG = fileName(0, '.log');

// MADV_POPULATE_WRITE (Linux 5.14) maps the pages, which /proc/self/smaps shows; elsewhere the
// write-ahead only reads pages into the page cache and there is nothing to wait for.
const [major = 0, minor = 0] = release().split('.').map(Number);
const mapsPages = process.platform === 'linux' && (major > 5 || (major === 5 && minor >= 14));

/** Bytes of this process's mappings of `path` that are resident (Linux: /proc/self/smaps). */
function residentBytes(path: string): number {
  let total = 0;
  let inside = false;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) inside = line.endsWith(` ${path}`);
    else if (inside && line.startsWith('Rss:')) total += Number(/(\d+) kB/.exec(line)?.[1] ?? 0) * 1024;
  }
  return total;
}

/** Waits until the whole file, as far as it has grown, is resident in this process's mappings. */
async function waitForPrefault(path: string): Promise<void> {
  if (!mapsPages) return;
  const deadline = Date.now() + 10_000;
  while (residentBytes(path) < statSync(path).size) {
    assert.ok(Date.now() < deadline, `the pages of ${path} were not prefaulted`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function fill(seg: NativeSegment, count: number): void {
  for (let i = 0; i < count; i++) {
    seg.append(buildBatch({ lastOffsetDelta: i % 4, maxTimestamp: 1000 + i, payloadBytes: 500 + ((i * 977) % 6000) }));
  }
}

test('prefaulted pages past the data never show: reads stop at the real end, the file holds zeros there', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, LOG);
  const seg = openSegment(dir, { segmentBytes: SEGMENT_BYTES });
  fill(seg, 40);
  const size = seg.size;
  await waitForPrefault(path);
  assert.equal(seg.read(seg.nextOffset, 1 << 20).length, 0);
  assert.equal(seg.positionOf(seg.nextOffset), -1);
  assert.equal(seg.read(0, 1 << 30).length, size);
  const file = readFileSync(path);
  // Grown in whole steps, ahead of the data, never to the whole segment for this little data.
  assert.ok(file.length > size && file.length < SEGMENT_BYTES);
  assert.equal(file.length % growStepBytes(SEGMENT_BYTES), 0);
  assert.ok(file.subarray(size).every((b) => b === 0));
  // More appends land where the data ends, on pages that were prefaulted.
  fill(seg, 10);
  assert.equal(seg.read(0, 1 << 30).length, seg.size);
  const end = seg.size;
  seg.close();
  assert.equal(statSync(path).size, end);
});

test('a crash with prefaulted but unwritten pages: reopening finds the real end and cuts nothing', async (t) => {
  const dir = tempDir(t);
  const crashed = openSegment(dir, { segmentBytes: SEGMENT_BYTES, indexIntervalBytes: 1000 });
  fill(crashed, 60);
  const state = { next: crashed.nextOffset, size: crashed.size, max: crashed.maxTimestamp };
  await waitForPrefault(join(dir, LOG));
  // No close: the file stays as grown, its prefaulted pages dirty zeros, as after a crash.
  const again = openSegment(dir, { create: false, segmentBytes: SEGMENT_BYTES, indexIntervalBytes: 1000 });
  assert.equal(again.size, state.size);
  assert.equal(again.nextOffset, state.next);
  assert.equal(again.maxTimestamp, state.max);
  assert.deepEqual(again.recover(), {
    validBytes: state.size,
    truncatedBytes: 0,
    nextOffset: state.next,
    reason: null,
  });
  assert.equal(again.append(buildBatch({ lastOffsetDelta: 1 })), state.next + 2);
  again.close();
  const third = openSegment(dir, { create: false, segmentBytes: SEGMENT_BYTES, indexIntervalBytes: 1000 });
  assert.equal(third.nextOffset, state.next + 2);
  third.close();
});

test('segments cut, sealed, closed and deleted while their pages are being prefaulted', async (t) => {
  const dir = tempDir(t);
  const views: Buffer[] = [];
  for (let round = 0; round < 60; round++) {
    const baseOffset = round * 1000;
    const seg = openSegment(dir, { baseOffset, segmentBytes: 2 << 20 });
    fill(seg, round % 7);
    const viewed = round % 3 === 0 && seg.size > 0;
    if (viewed) views.push(seg.read(baseOffset, 1 << 20));
    switch (round % 4) {
      case 0:
        seg.close();
        break;
      case 1:
        seg.destroy();
        break;
      case 2:
        seg.truncateTo(baseOffset);
        fill(seg, 2);
        seg.seal();
        // Cut right at the data, unless a view of the dropped batches still maps them.
        if (!viewed) assert.equal(statSync(join(dir, fileName(baseOffset, '.log'))).size, seg.size);
        seg.destroy();
        break;
      default:
        seg.seal();
        seg.close();
        break;
    }
    if (round % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  // Views outlive their segments; a truncated one reads zeros, never a fault.
  for (const view of views) assert.ok(view[16] === 2 || view.every((b) => b === 0));
});
