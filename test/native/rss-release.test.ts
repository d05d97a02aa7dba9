/**
 * A segment's written pages leave the process's RSS (not the page cache): behind the writer once
 * they are far enough behind (core/write_ahead.h), and all of them once the segment is sealed.
 * Measured on the segment's own mappings, read from /proc/self/smaps by file name.
 */
import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildBatch, eventually, fileName, openSegment, tempDir } from './helpers.js';

const MiB = 1 << 20;

/**
 * Sum of the smaps fields matching `field` (in bytes) over the mappings of `path` in this process;
 * only its read-write mapping when `writableOnly`.
 */
function smapsBytes(path: string, field: RegExp, writableOnly = false): number {
  let total = 0;
  let inFile = false;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) {
      inFile = line.endsWith(` ${path}`) && (!writableOnly || line.split(' ')[1]!.startsWith('rw'));
    } else if (inFile && field.test(line)) total += Number(/(\d+) kB/.exec(line)![1]) * 1024;
  }
  return total;
}

/** Resident bytes of every mapping of `path` in this process (both the read-write and read-only one). */
const mappedRss = (path: string): number => smapsBytes(path, /^Rss:/);

test('written pages are unmapped behind the writer and after the seal; the data reads back', async (t) => {
  const dir = tempDir(t);
  const seg = openSegment(dir, { segmentBytes: 256 * MiB });
  const path = join(dir, fileName(0, '.log'));
  const batch = buildBatch({ lastOffsetDelta: 0, payloadBytes: 64 * 1024 });
  const count = Math.floor((160 * MiB) / batch.length);
  for (let i = 0; i < count; i++) seg.append(batch);
  const written = seg.size;
  // Far behind the writer only the last stretch (and what is prefaulted ahead) stays mapped.
  assert.ok(
    await eventually(() => mappedRss(path) < written / 2),
    `behind the writer: ${mappedRss(path)} bytes still mapped of ${written} written`,
  );
  seg.seal();
  assert.ok(await eventually(() => mappedRss(path) < 4 * MiB), `after seal: ${mappedRss(path)} bytes still mapped`);
  // Nothing was lost: reading maps the pages again.
  const view = seg.read(count - 1, MiB);
  assert.ok(view.equals(seg.read(count - 1, MiB)));
  assert.equal(view.length, batch.length);
  assert.equal(view.subarray(61).compare(batch.subarray(61)), 0);
  assert.ok(mappedRss(path) >= batch.length - 4096, 'the read mapped its pages again');
  seg.close();
});

/** Whether the page at `offset` of the read-write mapping of `path` is mapped (from /proc/self/pagemap). */
function writablePageMapped(path: string, offset: number): boolean {
  const line = readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .find((l) => l.endsWith(` ${path}`) && l.split(' ')[1]!.startsWith('rw'));
  assert.ok(line, `a read-write mapping of ${path}`);
  const start = BigInt(`0x${line.split('-')[0]}`);
  const page = (start + BigInt(offset)) / 4096n;
  const entry = Buffer.alloc(8);
  const fd = openSync('/proc/self/pagemap', 'r');
  try {
    readSync(fd, entry, 0, 8, Number(page * 8n));
  } finally {
    closeSync(fd);
  }
  return entry.readBigUInt64LE(0) >> 63n === 1n;
}

test('a flush first unmaps the written pages from the writer, so writeback need not write-protect them', async (t) => {
  const dir = tempDir(t);
  const seg = openSegment(dir, { segmentBytes: 64 * MiB });
  const path = join(dir, fileName(0, '.log'));
  for (let i = 0; i < 32; i++) seg.append(buildBatch({ lastOffsetDelta: 0, payloadBytes: 64 * 1024 }));
  assert.ok(writablePageMapped(path, 0), 'written pages are mapped writable');
  await seg.flush();
  assert.ok(!writablePageMapped(path, 0), 'after the flush the first page is no longer mapped writable');
  assert.ok(!writablePageMapped(path, seg.size - (seg.size % 4096) - 4096), 'nor the last whole page');
  // Appending goes on (the writer maps its next pages again) and everything reads back.
  const next = seg.append(buildBatch({ lastOffsetDelta: 0, payloadBytes: 100 }));
  assert.equal(next, 33);
  assert.equal(seg.read(0, 64 * MiB).length, seg.size);
  seg.close();
});

/** Dirty bytes (shared and private) of the read-write mapping of `path`. */
const writableDirty = (path: string): number => smapsBytes(path, /^(Shared|Private)_Dirty:/, true);

test('while flushes come, pages ahead of the writer are read in clean, not dirtied', async (t) => {
  const dir = tempDir(t);
  const seg = openSegment(dir, { segmentBytes: 64 * MiB });
  const path = join(dir, fileName(0, '.log'));
  const batch = buildBatch({ lastOffsetDelta: 0, payloadBytes: 32 * 1024 });
  // acks=all-like traffic: a flush after every few appends, so the write-ahead sees flushes.
  for (let i = 0; i < 64; i++) {
    seg.append(batch);
    if (i % 4 === 3) await seg.flush();
  }
  await seg.flush();
  // After the last flush nothing written is dirty. Writing past the write-ahead's next kick
  // (256 KiB) makes it map more pages ahead; read in, they stay clean: only what was written is
  // dirty (faulted for writing, the new pages ahead would be dirty zeros too).
  for (let i = 0; i < 12; i++) seg.append(batch);
  const writtenSinceFlush = 12 * batch.length;
  await new Promise((resolve) => setTimeout(resolve, 100));
  const dirty = writableDirty(path);
  assert.ok(
    dirty <= writtenSinceFlush + 64 * 1024,
    `dirty ${dirty} B with ${writtenSinceFlush} B written since the flush`,
  );
  seg.close();
});
