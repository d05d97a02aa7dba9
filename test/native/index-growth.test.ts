/**
 * A segment's `.index` and `.timeindex` are mapped at indexBytes but their files grow in 64 KiB
 * steps as entries are added (native/core/limits.h, kIndexGrowStepBytes): a new segment, and its
 * prepared spare, hold one small step of index, not the whole `segment.index.bytes`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { native, type NativeSegment } from '../../src/log/native.js';
import { appendUntilNoSpace, buildBatch, fileName, openSegment, tempDir } from './helpers.js';
import { smallFs } from '../helpers/small-fs.js';

const KiB = 1024;
const MiB = 1 << 20;
const STEP = 64 * KiB; // kIndexGrowStepBytes
const DEFAULT_INDEX_BYTES = 10 * MiB; // segment.index.bytes
const INDEX = fileName(0, '.index');
const TIMEINDEX = fileName(0, '.timeindex');

function allocated(path: string): number {
  return statSync(path).blocks * 512;
}

/** Offset -> position of every offset, and offsetForTimestamp of every batch's timestamp. */
function lookups(seg: NativeSegment): { positions: number[]; byTime: number[] } {
  const positions: number[] = [];
  const byTime: number[] = [];
  for (let o = seg.baseOffset; o < seg.nextOffset; o++) {
    positions.push(seg.positionOf(o));
    byTime.push(seg.offsetForTimestamp(1000 + o));
  }
  return { positions, byTime };
}

/** Appends `count` small batches, one offset each, maxTimestamp 1000 + offset. */
function fill(seg: NativeSegment, count: number): void {
  for (let i = 0; i < count; i++) {
    const offset = seg.nextOffset;
    assert.equal(seg.append(buildBatch({ maxTimestamp: 1000 + offset, payloadBytes: 16 + (i % 7) })), offset + 1);
  }
}

test('a new segment and its spare hold one index step each, not segment.index.bytes', async (t) => {
  const dir = tempDir(t);
  const seg = openSegment(dir, { segmentBytes: 1 << 30, indexBytes: DEFAULT_INDEX_BYTES });
  await native.prepareSegment(dir, 1 << 30, DEFAULT_INDEX_BYTES);
  for (const name of [INDEX, TIMEINDEX, '.spare-index.tmp', '.spare-timeindex.tmp']) {
    const path = join(dir, name);
    assert.equal(statSync(path).size, STEP, name);
    assert.ok(
      allocated(path) >= STEP && allocated(path) <= STEP + 64 * KiB,
      `${name}: ${allocated(path)} bytes allocated`,
    );
  }
  // The spare becomes the next segment's index as it is.
  seg.seal();
  seg.close();
  const next = openSegment(dir, { baseOffset: 100, segmentBytes: 1 << 30, indexBytes: DEFAULT_INDEX_BYTES });
  assert.equal(statSync(join(dir, fileName(100, '.index'))).size, STEP);
  assert.equal(statSync(join(dir, fileName(100, '.timeindex'))).size, STEP);
  next.close();
});

test('a spare made whole before indexes grew in steps is trimmed to one step', async (t) => {
  const dir = tempDir(t);
  for (const name of ['.spare-index.tmp', '.spare-timeindex.tmp']) {
    const fd = openSync(join(dir, name), 'w');
    writeSync(fd, Buffer.alloc(1), 0, 1, DEFAULT_INDEX_BYTES - 1);
    closeSync(fd);
  }
  await native.prepareSegment(dir, 1 << 20, DEFAULT_INDEX_BYTES);
  assert.equal(statSync(join(dir, '.spare-index.tmp')).size, STEP);
  assert.equal(statSync(join(dir, '.spare-timeindex.tmp')).size, STEP);
});

test('the indexes grow in steps as appends add entries; seal, reopen and recovery give the same lookups', (t) => {
  const dir = tempDir(t);
  const options = { segmentBytes: 8 * MiB, indexIntervalBytes: 1, indexBytes: DEFAULT_INDEX_BYTES };
  const seg = openSegment(dir, options);
  // One entry per batch after the first: past two steps of the offset index (8,192 entries each)
  // and three of the time index (5,461 each).
  const batches = 17_000;
  fill(seg, batches);
  const entries = batches - 1;
  const indexSize = statSync(join(dir, INDEX)).size;
  const timeSize = statSync(join(dir, TIMEINDEX)).size;
  assert.equal(indexSize, Math.ceil((entries * 8) / STEP) * STEP);
  assert.equal(timeSize, Math.ceil((entries * 12) / STEP) * STEP);
  assert.ok(allocated(join(dir, INDEX)) >= indexSize && allocated(join(dir, TIMEINDEX)) >= timeSize);
  const before = { next: seg.nextOffset, size: seg.size, max: seg.maxTimestamp, ...lookups(seg) };
  assert.equal(before.positions[5], seg.positionOf(5));
  assert.deepEqual(
    before.byTime,
    before.byTime.map((_, i) => i),
  );

  // A crash: a second segment opens the same files while the first never closed them.
  const crashed = openSegment(dir, { ...options, create: false });
  assert.equal(crashed.nextOffset, before.next);
  assert.equal(crashed.size, before.size);
  assert.deepEqual(lookups(crashed), { positions: before.positions, byTime: before.byTime });
  crashed.close();

  // A clean close cuts the indexes to their entries; reopening appends on, growing them again.
  seg.close();
  assert.equal(statSync(join(dir, INDEX)).size, entries * 8);
  assert.equal(statSync(join(dir, TIMEINDEX)).size, entries * 12);
  const again = openSegment(dir, { ...options, create: false });
  assert.equal(again.nextOffset, before.next);
  assert.equal(again.maxTimestamp, before.max);
  assert.deepEqual(lookups(again), { positions: before.positions, byTime: before.byTime });
  fill(again, 3000);
  assert.equal(statSync(join(dir, INDEX)).size, Math.ceil(((entries + 3000) * 8) / STEP) * STEP);
  const grown = lookups(again);
  assert.deepEqual(grown.positions.slice(0, batches), before.positions);
  assert.deepEqual(
    grown.byTime,
    grown.byTime.map((_, i) => i),
  );
  again.seal();
  assert.equal(statSync(join(dir, INDEX)).size, (entries + 3000) * 8);
  assert.equal(statSync(join(dir, TIMEINDEX)).size, (entries + 3000) * 12);
  assert.deepEqual(lookups(again), grown);
  again.close();
});

test('an index file of any length reopens: entries inside it are kept, the rest rebuilt', (t) => {
  const dir = tempDir(t);
  const options = { segmentBytes: 8 * MiB, indexIntervalBytes: 1, indexBytes: DEFAULT_INDEX_BYTES };
  const seg = openSegment(dir, options);
  fill(seg, 9000);
  const before = lookups(seg);
  seg.close();
  // Cut both files mid-entry, as a crash between growth and write-back might leave them.
  execFileSync('truncate', ['-s', String(1000 * 8 + 3), join(dir, INDEX)]);
  execFileSync('truncate', ['-s', String(700 * 12 + 5), join(dir, TIMEINDEX)]);
  const again = openSegment(dir, { ...options, create: false });
  assert.deepEqual(lookups(again), before);
  // The rebuilt tail grew the files in steps again.
  assert.equal(statSync(join(dir, INDEX)).size % STEP, 0);
  assert.ok(statSync(join(dir, INDEX)).size >= 8998 * 8);
  fill(again, 10);
  again.close();
  assert.equal(statSync(join(dir, INDEX)).size, 9009 * 8);
  assert.equal(statSync(join(dir, TIMEINDEX)).size, 9009 * 12);
});

test('an index that cannot grow on a full disk: append is ENOSPC with nothing appended, and works once there is room', (t) => {
  const mount = smallFs(t, '4m', 'rivulet-index-grow-');
  if (mount === undefined) return;
  // The `.log` holds its first 1 MiB step, more than the batches below reach (no log growth).
  const seg = openSegment(mount, { segmentBytes: 8 * MiB, indexIntervalBytes: 1, indexBytes: DEFAULT_INDEX_BYTES });
  // Fill the disk.
  const fd = openSync(join(mount, 'filler'), 'w');
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
  } finally {
    closeSync(fd);
  }
  // The time index's first step holds 5,461 entries: entry 5,461 (before batch 5,462) needs more.
  const batch = buildBatch({ payloadBytes: 16 });
  const appended = appendUntilNoSpace(seg, batch, 5462, "the time index's first step");
  assert.equal(appended, 5462);
  assert.equal(seg.nextOffset, appended);
  assert.equal(seg.size, appended * batch.length);
  assert.equal(statSync(join(mount, TIMEINDEX)).size, STEP);
  assert.equal(seg.read(0, 1 << 30).length, seg.size);
  assert.equal(seg.positionOf(appended - 1), (appended - 1) * batch.length);
  rmSync(join(mount, 'filler'));
  assert.equal(seg.append(batch), appended + 1);
  assert.equal(statSync(join(mount, TIMEINDEX)).size, 2 * STEP);
  assert.equal(seg.positionOf(appended), appended * batch.length);
  seg.close();
  assert.equal(statSync(join(mount, TIMEINDEX)).size, appended * 12);
});
