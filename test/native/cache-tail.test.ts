/**
 * cache.tail.bytes: behind an active segment's writer, data further back than the tail leaves
 * the page cache once it is on disk (core/write_ahead.h, "Dropping behind"); without the setting
 * the page cache keeps it. Seen from outside: reading a dropped page again is a read from the
 * disk, counted in this process's `read_bytes` (/proc/self/io), and it returns the same bytes.
 *
 * The segment lives under the project directory, not the system's temp dir: a tmpfs /tmp holds
 * pages the kernel cannot drop.
 */
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { NativeSegment } from '../../src/log/native.js';
import { buildBatch, eventually, fileName, openSegment } from './helpers.js';

const MiB = 1 << 20;
const PAGE = 4096;

function diskReadBytes(): number {
  return Number(/read_bytes: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1]);
}

function diskDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(process.cwd(), '.rivulet-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Appends 64 KiB batches up to `bytes`, flushing every 4 MiB so the pages are clean. */
async function write(seg: NativeSegment, bytes: number): Promise<Buffer> {
  const batch = buildBatch({ lastOffsetDelta: 0, payloadBytes: 64 * 1024 - 61 });
  while (seg.size < bytes) {
    seg.append(batch);
    if (seg.size % (4 * MiB) < batch.length) await seg.flush();
  }
  await seg.flush();
  return batch;
}

/** `page` (at `position` of a log of back-to-back copies of `batch`) holds the batch's bytes, baseOffsets aside. */
function assertBatchBytes(page: Buffer, position: number, batch: Buffer): void {
  for (let i = 0; i < page.length; i++) {
    const inBatch = (position + i) % batch.length;
    if (inBatch >= 8 && page[i] !== batch[inBatch]) assert.fail(`byte ${position + i} differs from the batch's`);
  }
}

/** Disk bytes read to read one page at `position` of `path` (after the page-cache lookup). */
function readPage(path: string, position: number): { diskBytes: number; page: Buffer } {
  const fd = openSync(path, 'r');
  try {
    const page = Buffer.alloc(PAGE);
    const before = diskReadBytes();
    assert.equal(readSync(fd, page, 0, PAGE, position), PAGE);
    return { diskBytes: diskReadBytes() - before, page };
  } finally {
    closeSync(fd);
  }
}

/**
 * Some page of the first 32 MiB of the log at `path` is read from disk, and holds the batches'
 * bytes. The drop runs on the background thread, so this probes until it has happened: each probe
 * reads a page not read before (a read brings its page back), one in each 1 MiB stretch in turn.
 */
async function assertHeadDropped(path: string, batch: Buffer): Promise<void> {
  let probe = 0;
  const dropped = await eventually(() => {
    if (probe >= 32) return false;
    const at = probe++ * MiB + 2 * PAGE;
    const { diskBytes, page } = readPage(path, at);
    assertBatchBytes(page, at, batch);
    return diskBytes >= PAGE;
  }, 10_000);
  assert.ok(dropped, 'no page of the first 32 MiB was read from disk: nothing was dropped');
}

test('with cache.tail.bytes, written data far behind the writer leaves the page cache and reads back', async (t) => {
  const dir = diskDir(t);
  const seg = openSegment(dir, { segmentBytes: 128 * MiB, cacheTailBytes: 0 });
  t.after(() => seg.close());
  const batch = await write(seg, 72 * MiB);
  const path = join(dir, fileName(0, '.log'));
  await assertHeadDropped(path, batch);
  // Whole batches read back through the segment's own mapping, stamped.
  const view = seg.read(1, batch.length);
  assert.equal(view.length, batch.length);
  assert.equal(view.readBigInt64BE(0), 1n);
  assert.ok(view.subarray(8).equals(batch.subarray(8)));
});

test('cache.tail.bytes set on a segment being written takes effect at once', async (t) => {
  const dir = diskDir(t);
  const seg = openSegment(dir, { segmentBytes: 128 * MiB });
  t.after(() => seg.close());
  await write(seg, 8 * MiB);
  seg.setCacheTailBytes(0);
  const batch = await write(seg, 72 * MiB);
  const path = join(dir, fileName(0, '.log'));
  await assertHeadDropped(path, batch);
  assert.throws(() => seg.setCacheTailBytes(-2), RangeError);
});

test('without cache.tail.bytes the page cache keeps what was written', async (t) => {
  const dir = diskDir(t);
  const seg = openSegment(dir, { segmentBytes: 128 * MiB });
  t.after(() => seg.close());
  await write(seg, 72 * MiB);
  const path = join(dir, fileName(0, '.log'));
  await new Promise((resolve) => setTimeout(resolve, 300));
  let diskBytes = 0;
  for (let i = 0; i < 32; i++) diskBytes += readPage(path, i * MiB + 2 * PAGE).diskBytes;
  assert.equal(diskBytes, 0);
});

test('cacheTailBytes is checked: an integer from -1', (t) => {
  const dir = diskDir(t);
  assert.throws(() => openSegment(dir, { cacheTailBytes: -2 }), RangeError);
  assert.throws(() => openSegment(dir, { cacheTailBytes: 1.5 }));
  assert.throws(() => openSegment(dir, { cacheTailBytes: '1' as unknown as number }), TypeError);
});
