import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { StorageError } from '../../src/log/storage-error.js';
import { buildBatch, fileName, growStepBytes, native, openSegment, tempDir } from './helpers.js';
import { smallFs } from '../helpers/small-fs.js';

const SPARES = ['.spare-log.tmp', '.spare-index.tmp', '.spare-timeindex.tmp'];

test('prepareSegment creates spares holding the first growth step, which the next create takes', async (t) => {
  const dir = tempDir(t);
  const step = growStepBytes(1 << 20);
  await native.prepareSegment(dir, 1 << 20, 64 * 1024);
  assert.deepEqual(readdirSync(dir).sort(), [...SPARES].sort());
  assert.equal(statSync(join(dir, '.spare-log.tmp')).size, step);
  assert.equal(statSync(join(dir, '.spare-index.tmp')).size, 64 * 1024);
  // Allocated, not sparse: the blocks exist (st_blocks counts 512-byte units).
  assert.ok(statSync(join(dir, '.spare-log.tmp')).blocks * 512 >= step);
  const seg = openSegment(dir, { baseOffset: 7 });
  assert.deepEqual(readdirSync(dir).sort(), [fileName(7, '.index'), fileName(7, '.log'), fileName(7, '.timeindex')]);
  assert.equal(statSync(join(dir, fileName(7, '.log'))).size, step);
  assert.equal(seg.append(buildBatch()), 8);
  seg.close();
});

test('a spare of other sizes is fitted to the segment', async (t) => {
  const dir = tempDir(t);
  await native.prepareSegment(dir, 4096, 1024);
  const seg = openSegment(dir, { segmentBytes: 1 << 16, indexBytes: 120 });
  assert.equal(statSync(join(dir, fileName(0, '.log'))).size, growStepBytes(1 << 16));
  assert.equal(statSync(join(dir, fileName(0, '.index'))).size, 120);
  seg.close();
});

test('without spares, create allocates the first growth step on the spot', (t) => {
  const dir = tempDir(t);
  const seg = openSegment(dir);
  assert.equal(statSync(join(dir, fileName(0, '.log'))).size, growStepBytes(1 << 20));
  assert.ok(statSync(join(dir, fileName(0, '.log'))).blocks * 512 >= growStepBytes(1 << 20));
  seg.close();
});

test('prepareSegment twice keeps one set of spares; a failed create leaves no segment files', async (t) => {
  const dir = tempDir(t);
  await Promise.all([native.prepareSegment(dir, 8192, 1024), native.prepareSegment(dir, 8192, 1024)]);
  assert.deepEqual(readdirSync(dir).sort(), [...SPARES].sort());
  openSegment(dir).close();
  assert.throws(
    () => openSegment(dir),
    (err) => err instanceof StorageError && err.code === 'EINVAL',
  );
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.startsWith('.spare')),
    [],
  );
});

test('prepareSegment rejects misuse and missing directories', async (t) => {
  const dir = tempDir(t);
  await assert.rejects(native.prepareSegment(5 as never, 1 << 20, 4096), TypeError);
  await assert.rejects(native.prepareSegment(dir, 10, 4096), RangeError);
  await assert.rejects(native.prepareSegment(dir, 1 << 20, 1.5), RangeError);
  await assert.rejects(native.prepareSegment(join(dir, 'nope'), 1 << 20, 4096), (err) => {
    assert.ok(err instanceof StorageError);
    assert.equal(err.code, 'EIO');
    assert.equal(err.errno, 2);
    return true;
  });
});

test('flush resolves, and is safe when close() or destroy() runs while it is in flight', async (t) => {
  const dir = tempDir(t);
  const seg = openSegment(dir);
  seg.append(buildBatch({ payloadBytes: 10_000 }));
  await seg.flush();
  seg.append(buildBatch());
  const inFlight = [seg.flush(), seg.flush(), seg.flush()];
  seg.close();
  await Promise.all(inFlight);
  const other = openSegment(dir, { baseOffset: 100 });
  other.append(buildBatch());
  const pending = other.flush();
  other.destroy();
  await pending;
  assert.equal(existsSync(join(dir, fileName(100, '.log'))), false);
});

test('a full disk is ENOSPC at create/prepare time, never a fault while appending', async (t) => {
  const mount = smallFs(t, '2m', 'rivulet-enospc-');
  if (mount === undefined) return;
  const dir = join(mount, 'partition');
  const { mkdirSync, rmSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true });
  const free = statSync(dir).blksize; // just to touch the fs
  assert.ok(free > 0);
  await assert.rejects(
    native.prepareSegment(dir, 1 << 30, 4096),
    (err) => err instanceof StorageError && err.code === 'ENOSPC',
  );
  assert.deepEqual(readdirSync(dir), []);
  assert.throws(
    () => openSegment(dir, { segmentBytes: 1 << 30 }),
    (err) => err instanceof StorageError && err.code === 'ENOSPC',
  );
  assert.deepEqual(readdirSync(dir), []);
  // Growing a reopened sealed segment on a full disk: ENOSPC for that append only.
  const small = openSegment(dir, { segmentBytes: 1 << 20, indexBytes: 4096 });
  small.append(buildBatch());
  small.close();
  const filler = join(dir, 'filler');
  const { writeFileSync } = await import('node:fs');
  assert.throws(() => writeFileSync(filler, Buffer.alloc(4 << 20)), /ENOSPC/); // leaves the disk full
  const reopened = openSegment(dir, { segmentBytes: 1 << 20, indexBytes: 4096, create: false });
  assert.throws(
    () => reopened.append(buildBatch()),
    (err) => err instanceof StorageError && err.code === 'ENOSPC',
  );
  assert.equal(reopened.nextOffset, 1);
  rmSync(filler);
  assert.equal(reopened.append(buildBatch()), 2); // not sticky: the disk has room again
  reopened.destroy();
  // A segment that fits: appends fill it to the end without faulting.
  const seg = openSegment(dir, { segmentBytes: 256 * 1024, indexBytes: 4096 });
  const batch = buildBatch({ payloadBytes: 4000 });
  while (seg.append(batch) !== -1);
  assert.ok(seg.size > 250_000);
  seg.close();
});
