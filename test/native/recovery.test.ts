import assert from 'node:assert/strict';
import { openSync, readFileSync, rmSync, statSync, truncateSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { NativeSegment } from '../../src/log/native.js';
import { buildBatch, fileName, growStepBytes, openSegment, patterned, tempDir } from './helpers.js';

const LOG = fileName(0, '.log');

function fill(seg: NativeSegment, count: number, interval = 1): number[] {
  const positions: number[] = [];
  for (let i = 0; i < count; i++) {
    positions.push(seg.size);
    seg.append(buildBatch({ lastOffsetDelta: i % 3, maxTimestamp: 1000 + i, payloadBytes: 30 + ((i * 13) % 200) }));
  }
  void interval;
  return positions;
}

function patchFile(path: string, position: number, bytes: Uint8Array): void {
  const fd = openSync(path, 'r+');
  writeSync(fd, bytes, 0, bytes.length, position);
  closeSync(fd);
}

function lookupTable(seg: NativeSegment): number[] {
  const out: number[] = [];
  for (let o = seg.baseOffset; o < seg.nextOffset; o++) out.push(seg.positionOf(o));
  return out;
}

test('reopen gives the same offsets, sizes, lookups and max timestamp', (t) => {
  const dir = tempDir(t);
  const seg = openSegment(dir, { indexIntervalBytes: 300 });
  fill(seg, 120);
  const before = { next: seg.nextOffset, size: seg.size, max: seg.maxTimestamp, table: lookupTable(seg) };
  const ts = seg.offsetForTimestamp(1050);
  seg.close();
  const again = openSegment(dir, { create: false, indexIntervalBytes: 300 });
  assert.equal(again.nextOffset, before.next);
  assert.equal(again.size, before.size);
  assert.equal(again.maxTimestamp, before.max);
  assert.deepEqual(lookupTable(again), before.table);
  assert.equal(again.offsetForTimestamp(1050), ts);
  assert.deepEqual(again.recover(), {
    validBytes: before.size,
    truncatedBytes: 0,
    nextOffset: before.next,
    reason: null,
  });
  // A reopened last segment is active: appends continue where they stopped.
  assert.equal(again.active, true);
  assert.equal(again.append(buildBatch()), before.next + 1);
  again.close();
});

test('recover a flipped byte in the last batch', (t) => {
  const dir = tempDir(t);
  const seg = openSegment(dir, { indexIntervalBytes: 100 });
  const positions = fill(seg, 30);
  const lastStart = positions[29] as number;
  const size = seg.size;
  const nextOfLast = lookupTable(seg).indexOf(lastStart) + 0; // first offset of the last batch
  seg.close();
  const path = join(dir, LOG);
  const bytes = readFileSync(path);
  patchFile(path, lastStart + 70, Buffer.from([(bytes[lastStart + 70] as number) ^ 0x01]));
  const again = openSegment(dir, { create: false, indexIntervalBytes: 100 });
  // Never serves the damaged batch, even before recover() runs.
  assert.equal(again.size, lastStart);
  assert.equal(again.nextOffset, nextOfLast);
  assert.equal(again.read(nextOfLast, 1 << 20).length, 0);
  const report = again.recover();
  assert.equal(report.validBytes, lastStart);
  assert.equal(report.truncatedBytes, size - lastStart);
  assert.equal(report.nextOffset, nextOfLast);
  assert.match(report.reason ?? '', /position \d+: CRC-32C mismatch/);
  assert.equal(statSync(path).size, lastStart); // the sealed file is cut at the valid end
  assert.equal(again.append(buildBatch()), nextOfLast + 1);
  again.close();
});

test('recover a torn tail (file cut in the middle of a batch)', (t) => {
  const dir = tempDir(t);
  const seg = openSegment(dir);
  const positions = fill(seg, 10);
  const next = seg.nextOffset;
  const lastStart = positions[9] as number;
  const firstOfLast = lookupTable(seg).indexOf(lastStart);
  seg.close();
  truncateSync(join(dir, LOG), lastStart + 40);
  const again = openSegment(dir, { create: false });
  const report = again.recover();
  assert.deepEqual(
    { ...report, reason: undefined },
    { validBytes: lastStart, truncatedBytes: 40, nextOffset: firstOfLast, reason: undefined },
  );
  assert.match(report.reason ?? '', /overruns/);
  assert.ok(firstOfLast < next);
  again.close();
});

test('recover trailing zeros of a grown segment after a crash: nothing is lost', (t) => {
  const dir = tempDir(t);
  const crashed = openSegment(dir, { indexIntervalBytes: 200 });
  fill(crashed, 50);
  const state = { next: crashed.nextOffset, size: crashed.size, table: lookupTable(crashed) };
  // No close: the files stay as grown (whole steps, zeros past the data), as after a crash.
  const again = openSegment(dir, { create: false, indexIntervalBytes: 200 });
  const fileBytes = statSync(join(dir, LOG)).size;
  assert.ok(fileBytes > state.size && fileBytes < 1 << 20);
  assert.equal(fileBytes % growStepBytes(1 << 20), 0);
  assert.deepEqual(again.recover(), {
    validBytes: state.size,
    truncatedBytes: 0,
    nextOffset: state.next,
    reason: null,
  });
  assert.deepEqual(lookupTable(again), state.table);
  again.close();
});

test('recover garbage after the data of a grown segment; it is gone from the file', (t) => {
  const dir = tempDir(t);
  const crashed = openSegment(dir, { indexIntervalBytes: 1 });
  fill(crashed, 20);
  const state = { next: crashed.nextOffset, size: crashed.size };
  // A torn append: half a batch header and some record bytes, as if the crash hit mid-write.
  const torn = buildBatch({ payloadBytes: 3000 }).subarray(0, 2000);
  patchFile(join(dir, LOG), state.size, torn);
  const again = openSegment(dir, { create: false, indexIntervalBytes: 1 });
  const grownTo = statSync(join(dir, LOG)).size;
  assert.equal(again.size, state.size);
  const report = again.recover();
  assert.equal(report.validBytes, state.size);
  assert.equal(report.truncatedBytes, 2000);
  // The header claims 3061 bytes, which the grown file has room for: the CRC catches it.
  assert.match(report.reason ?? '', /CRC-32C mismatch/);
  const onDisk = readFileSync(join(dir, LOG));
  assert.equal(onDisk.length, grownTo); // still allocated as far as it had grown
  assert.ok(onDisk.subarray(state.size, state.size + 4096).every((b) => b === 0));
  assert.equal(again.recover().truncatedBytes, 0); // idempotent
  again.close();
});

test('a stale valid batch after the cut never comes back', (t) => {
  const dir = tempDir(t);
  const crashed = openSegment(dir);
  fill(crashed, 5);
  const size = crashed.size;
  // Bytes after the end that look like a perfectly valid batch with the next offset.
  const stale = buildBatch({ baseOffset: crashed.nextOffset });
  const zeroedHeader = Buffer.alloc(100);
  patchFile(join(dir, LOG), size, zeroedHeader);
  patchFile(join(dir, LOG), size + 100, stale);
  const again = openSegment(dir, { create: false });
  assert.equal(again.size, size);
  // Appending a 100-byte batch would end exactly where the stale one starts.
  assert.equal(again.append(buildBatch({ payloadBytes: 39 })), crashed.nextOffset + 1);
  const third = openSegment(dir, { create: false });
  assert.equal(third.size, size + 100);
  assert.equal(third.nextOffset, crashed.nextOffset + 1);
  third.close();
});

test('index entries pointing at lost log pages are dropped and rebuilt', (t) => {
  const dir = tempDir(t);
  const crashed = openSegment(dir, { indexIntervalBytes: 1 });
  const positions = fill(crashed, 40);
  const table = lookupTable(crashed);
  // The index reached the disk, the end of the log did not.
  const cut = positions[25] as number;
  const path = join(dir, LOG);
  truncateSync(path, cut);
  truncateSync(path, 1 << 20);
  const again = openSegment(dir, { create: false, indexIntervalBytes: 1 });
  assert.equal(again.size, cut);
  assert.deepEqual(
    lookupTable(again),
    table.filter((p) => p < cut),
  );
  assert.equal(again.recover().truncatedBytes, 0);
  again.close();
});

test('missing or short index files are rebuilt on open', (t) => {
  const dir = tempDir(t);
  const seg = openSegment(dir, { indexIntervalBytes: 500 });
  fill(seg, 100);
  const table = lookupTable(seg);
  const ts = [1000, 1033, 1099].map((x) => seg.offsetForTimestamp(x));
  seg.close();
  rmSync(join(dir, fileName(0, '.index')));
  truncateSync(join(dir, fileName(0, '.timeindex')), 30); // two and a half entries
  const again = openSegment(dir, { create: false, indexIntervalBytes: 500 });
  assert.deepEqual(lookupTable(again), table);
  assert.deepEqual(
    [1000, 1033, 1099].map((x) => again.offsetForTimestamp(x)),
    ts,
  );
  assert.ok(statSync(join(dir, fileName(0, '.index'))).size > 0);
  again.close();
  const third = openSegment(dir, { create: false, indexIntervalBytes: 500 });
  assert.deepEqual(lookupTable(third), table);
  third.close();
});

test('garbage in an index file is never trusted', (t) => {
  const dir = tempDir(t);
  const seg = openSegment(dir, { indexIntervalBytes: 100 });
  fill(seg, 60);
  const table = lookupTable(seg);
  seg.close();
  const index = join(dir, fileName(0, '.index'));
  const size = statSync(index).size;
  patchFile(index, size - 24, patterned(24, 3)); // the last three entries
  const again = openSegment(dir, { create: false, indexIntervalBytes: 100 });
  assert.deepEqual(lookupTable(again), table);
  assert.equal(again.recover().truncatedBytes, 0);
  again.close();
});

test('appending to a reopened segment without recover() still removes the torn tail first', (t) => {
  const dir = tempDir(t);
  const crashed = openSegment(dir);
  fill(crashed, 8);
  const size = crashed.size;
  const next = crashed.nextOffset;
  patchFile(join(dir, LOG), size, patterned(3000, 9));
  const again = openSegment(dir, { create: false });
  assert.equal(again.size, size);
  const batch = buildBatch({ payloadBytes: 100 });
  assert.equal(again.append(batch), next + 1);
  const onDisk = readFileSync(join(dir, LOG));
  assert.ok(onDisk.subarray(size + batch.length, size + 3000).every((b) => b === 0));
  again.close();
  const third = openSegment(dir, { create: false });
  assert.equal(third.nextOffset, next + 1);
  assert.equal(third.recover().truncatedBytes, 0);
  third.close();
});

test('a reopened sealed segment grows back to segmentBytes when appended to', (t) => {
  const dir = tempDir(t);
  const seg = openSegment(dir, { segmentBytes: 64 * 1024 });
  fill(seg, 5);
  seg.close();
  assert.equal(statSync(join(dir, LOG)).size, seg.size);
  const again = openSegment(dir, { create: false, segmentBytes: 64 * 1024 });
  const batch = buildBatch({ payloadBytes: 1000 });
  let appended = 0;
  while (again.append(batch) !== -1) appended++;
  assert.equal(statSync(join(dir, LOG)).size, 64 * 1024);
  assert.ok(appended > 50);
  again.close();
});
