import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { NativeSegment } from '../../src/log/native.js';
import { buildBatch, fileName, openSegment, tempDir } from './helpers.js';

const LOG = fileName(0, '.log');
const INDEX = fileName(0, '.index');
const TIME_INDEX = fileName(0, '.timeindex');

/** Appends `count` batches of 1–3 offsets; returns each batch's position and base offset. */
function fill(seg: NativeSegment, count: number): Array<{ position: number; offset: number }> {
  const out: Array<{ position: number; offset: number }> = [];
  for (let i = 0; i < count; i++) {
    out.push({ position: seg.size, offset: seg.nextOffset });
    seg.append(buildBatch({ lastOffsetDelta: i % 3, maxTimestamp: 1000 + i, payloadBytes: 30 + ((i * 13) % 200) }));
  }
  return out;
}

function flipByte(path: string, position: number): void {
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.from([0xa5]), 0, 1, position);
  closeSync(fd);
}

/** [relativeOffset, position] of each `.index` entry. */
function offsetEntries(path: string): Array<[number, number]> {
  const b = readFileSync(path);
  const out: Array<[number, number]> = [];
  for (let at = 0; at + 8 <= b.length; at += 8) out.push([b.readUInt32BE(at), b.readUInt32BE(at + 4)]);
  return out;
}

function lookups(seg: NativeSegment): number[] {
  const out: number[] = [];
  for (let o = seg.baseOffset; o < seg.nextOffset; o++) out.push(seg.positionOf(o));
  return out;
}

test('recover(true) on an intact sealed segment changes nothing and rebuilds the same index entries', (t) => {
  const dir = tempDir(t);
  const seg = openSegment(dir, { indexIntervalBytes: 300 });
  t.after(() => seg.close());
  fill(seg, 80);
  seg.seal();
  const before = {
    size: seg.size,
    next: seg.nextOffset,
    max: seg.maxTimestamp,
    log: statSync(join(dir, LOG)).size,
    index: readFileSync(join(dir, INDEX)),
    timeIndex: readFileSync(join(dir, TIME_INDEX)),
    lookups: lookups(seg),
  };
  assert.ok(before.index.length >= 8 * 10, 'the segment has index entries');
  assert.deepEqual(seg.recover(true), {
    validBytes: before.size,
    truncatedBytes: 0,
    nextOffset: before.next,
    reason: null,
  });
  assert.equal(seg.size, before.size);
  assert.equal(seg.nextOffset, before.next);
  assert.equal(seg.maxTimestamp, before.max);
  assert.equal(seg.active, false);
  assert.equal(statSync(join(dir, LOG)).size, before.log);
  assert.deepEqual(readFileSync(join(dir, INDEX)), before.index);
  assert.deepEqual(readFileSync(join(dir, TIME_INDEX)), before.timeIndex);
  assert.deepEqual(lookups(seg), before.lookups);
});

test('recover(true) on a sealed segment with a bad batch in the middle cuts there, truncates the file and the indexes', (t) => {
  const dir = tempDir(t);
  const seg = openSegment(dir, { indexIntervalBytes: 300 });
  t.after(() => seg.close());
  const batches = fill(seg, 80);
  seg.seal();
  const intactIndex = offsetEntries(join(dir, INDEX));
  const bad = batches[50]!;
  // Inside the CRC'd part of the header, well before the last index entry: the ordinary
  // recovery (from the last index entry) would not see it.
  assert.ok(intactIndex.at(-1)![1] > bad.position);
  flipByte(join(dir, LOG), bad.position + 30);
  assert.equal(seg.recover().truncatedBytes, 0, 'the scan from the last index entry misses it');

  const sizeBefore = seg.size;
  const r = seg.recover(true);
  assert.equal(r.validBytes, bad.position);
  assert.equal(r.truncatedBytes, sizeBefore - bad.position);
  assert.equal(r.nextOffset, bad.offset);
  assert.match(r.reason ?? '', new RegExp(`batch at position ${bad.position}`));
  assert.equal(seg.size, bad.position);
  assert.equal(seg.nextOffset, bad.offset);
  assert.equal(seg.maxTimestamp, 1000 + 49);
  assert.equal(seg.active, false);
  assert.equal(statSync(join(dir, LOG)).size, bad.position, 'the sealed .log is cut to the new size');
  // The indexes name only batches before the cut: the intact entries below it, nothing more.
  const entries = offsetEntries(join(dir, INDEX));
  assert.deepEqual(
    entries,
    intactIndex.filter(([, position]) => position < bad.position),
  );
  assert.equal(statSync(join(dir, INDEX)).size, entries.length * 8, 'the sealed .index is cut to its entries');
  assert.equal(statSync(join(dir, TIME_INDEX)).size, entries.length * 12, 'so is the .timeindex');
  const times = readFileSync(join(dir, TIME_INDEX));
  for (let at = 0; at < times.length; at += 12) assert.ok(times.readUInt32BE(at + 8) < bad.offset);
  // Every remaining offset is found where its batch is.
  for (const b of batches.slice(0, 50)) assert.equal(seg.positionOf(b.offset), b.position);
  assert.equal(seg.positionOf(bad.offset), -1);
  assert.equal(seg.read(0, 1 << 20).length, bad.position);
});

test('recover(true) rejects a non-boolean argument', (t) => {
  const dir = tempDir(t);
  const seg = openSegment(dir);
  t.after(() => seg.close());
  assert.throws(() => seg.recover(1 as unknown as boolean), TypeError);
});
