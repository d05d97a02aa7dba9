/**
 * A segment's `.log` is mapped at segmentBytes but its file grows in steps ahead of the writer
 * (native/core/limits.h): a new segment reserves one step of disk, not the whole segment, and a
 * full disk is still an ENOSPC from append, never a fault inside the mapping.
 */
import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { StorageError } from '../../src/log/storage-error.js';
import { appendUntilNoSpace, buildBatch, fileName, growStepBytes, openSegment, patterned, tempDir } from './helpers.js';
import { smallFs } from '../helpers/small-fs.js';

const LOG = fileName(0, '.log');
const MiB = 1 << 20;

test('a 256 MiB segment holds one step of disk after a small append, and grows as appends advance', (t) => {
  const dir = tempDir(t);
  const path = join(dir, LOG);
  const segmentBytes = 256 * MiB;
  const step = growStepBytes(segmentBytes);
  assert.equal(step, 16 * MiB);
  const seg = openSegment(dir, { segmentBytes });
  seg.append(buildBatch({ payloadBytes: 1000 }));
  const small = statSync(path);
  assert.ok(small.size <= 2 * step, `${small.size} bytes after one small append`);
  assert.ok(small.blocks * 512 <= 2 * step + MiB);
  assert.ok(small.blocks * 512 >= seg.size); // allocated, not sparse, under the data
  // One batch larger than what is allocated: append grows the file itself before writing.
  const large = buildBatch({ payloadBytes: 40 * MiB });
  seg.append(large);
  const grown = statSync(path).size;
  assert.ok(grown >= seg.size && grown < segmentBytes);
  assert.equal(grown % step, 0);
  assert.ok(statSync(path).blocks * 512 >= seg.size);
  // Fill to the end: every append fits until the one that would pass segmentBytes.
  const chunk = buildBatch({ payloadBytes: 4 * MiB });
  let appends = 0;
  while (seg.append(chunk) !== -1) appends++;
  assert.ok(appends > 40);
  assert.ok(seg.size > segmentBytes - chunk.length && seg.size <= segmentBytes);
  assert.equal(statSync(path).size, segmentBytes); // never past the segment
  assert.equal(seg.read(seg.nextOffset - 1, 1).length, chunk.length);
  const last = seg.read(seg.nextOffset - 1, 1);
  assert.deepEqual(last.subarray(61), chunk.subarray(61)); // the records, as written
  seg.close();
  assert.equal(statSync(path).size, seg.size);
});

test('recovery after a crash with a partly grown file: nothing lost, nothing invented', (t) => {
  const dir = tempDir(t);
  const path = join(dir, LOG);
  const step = growStepBytes(1 << 20);
  const crashed = openSegment(dir, { indexIntervalBytes: 1000 });
  for (let i = 0; i < 30; i++) crashed.append(buildBatch({ maxTimestamp: 1000 + i, payloadBytes: 5000 + i }));
  const state = { next: crashed.nextOffset, size: crashed.size, max: crashed.maxTimestamp };
  assert.ok(state.size > step); // past the first step
  // No close: the file ends at a step boundary past the data, as a crash leaves it. A torn batch
  // after the data, as if the crash hit mid-append.
  const before = statSync(path).size;
  assert.ok(before > state.size && before < 1 << 20 && before % step === 0);
  const fd = openSync(path, 'r+');
  writeSync(fd, patterned(700, 5), 0, 700, state.size);
  closeSync(fd);
  const again = openSegment(dir, { create: false, indexIntervalBytes: 1000 });
  assert.equal(again.size, state.size);
  assert.equal(again.nextOffset, state.next);
  assert.equal(again.maxTimestamp, state.max);
  const report = again.recover();
  assert.equal(report.validBytes, state.size);
  assert.equal(report.truncatedBytes, 700); // the torn bytes, not the allocated zeros after them
  // The file keeps its allocation (the appends go on within it), with zeros after the data.
  const onDisk = readFileSync(path);
  assert.equal(onDisk.length, before);
  assert.ok(onDisk.subarray(state.size).every((b) => b === 0));
  // Appending to the reopened segment goes on from the file's size, and grows it again.
  for (let i = 0; i < 60; i++) again.append(buildBatch({ payloadBytes: 5000 }));
  assert.equal(again.nextOffset, state.next + 60);
  assert.ok(statSync(path).size >= again.size);
  assert.equal(statSync(path).size % step, 0);
  again.close();
  assert.equal(statSync(path).size, again.size); // a clean close cuts the file to the data
  const third = openSegment(dir, { create: false, indexIntervalBytes: 1000 });
  assert.equal(third.nextOffset, state.next + 60);
  assert.equal(third.recover().truncatedBytes, 0);
  third.close();
});

test('growing on a full disk: append is ENOSPC, nothing appended, and works again once there is room', (t) => {
  const mount = smallFs(t, '24m', 'rivulet-grow-');
  if (mount === undefined) return;
  const segmentBytes = 64 * MiB;
  const step = growStepBytes(segmentBytes); // 8 MiB
  const path = join(mount, LOG);
  const seg = openSegment(mount, { segmentBytes, indexBytes: 4096 });
  // Leave less than one step free: the file cannot grow past its first step.
  const filler = join(mount, 'filler');
  writeFileSync(filler, Buffer.alloc(8 * MiB));
  const batch = buildBatch({ payloadBytes: MiB - 61 });
  const appended = appendUntilNoSpace(seg, batch, step / batch.length, 'the allocated step');
  assert.equal(appended, step / batch.length); // every append that fit in the first step
  // Nothing of the refused append: offsets, size and data as before; the file as allocated.
  assert.equal(seg.nextOffset, appended);
  assert.equal(seg.size, appended * batch.length);
  assert.equal(statSync(path).size, step);
  assert.equal(seg.read(0, 1 << 30).length, seg.size);
  assert.throws(
    () => seg.append(batch),
    (err) => err instanceof StorageError && err.code === 'ENOSPC',
  );
  // Not sticky: once space is freed the next append grows the file and succeeds.
  rmSync(filler);
  assert.equal(seg.append(batch), appended + 1);
  assert.ok(statSync(path).size >= seg.size);
  assert.deepEqual(seg.read(appended, 1 << 30).subarray(61), batch.subarray(61));
  seg.close();
  assert.equal(statSync(path).size, seg.size);
});
