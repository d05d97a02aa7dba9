/**
 * Native addon micro-benchmarks, each next to its ceiling or its alternative:
 *  - Segment.append of one pre-built 16 KiB batch (validate + CRC-32C + copy into the mapping +
 *    stamp + index), against a plain Buffer copy of the same 16 KiB into as much memory as one
 *    segment holds (the copy alone, to memory), and into a 64 MiB ring that stays in this CPU's
 *    last-level cache (shown, not the goal's ruler: a log's bytes cannot stay in cache); and the
 *    same append on a segment flushed often, which checks the batch where it is and writes it with
 *    pwritev (the broker's path under acks=all), and the same from a SharedArrayBuffer, which
 *    another thread could change: copied to a scratch buffer, the copy checked, then pwritev;
 *  - native crc32c against the TypeScript one, on 16 KiB and 1 MiB;
 *  - Segment.read as a zero-copy view of up to 1 MiB, against the same read copied into a Buffer.
 * Sub-microsecond tasks also run 16 calls per op (`×16`): tinybench's own bookkeeping per op
 * (the `empty task` row, 0.2–0.3 µs here) is a third to a half of one 16 KiB call, and would
 * otherwise be counted as work in the ratios. Both forms are in the table.
 * Segments live in `ctx.tmpDir`, which the caller removes. Rolling to a fresh segment happens in
 * `beforeEach`, outside the timed window, from spares prepared on a worker thread.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Bench } from 'tinybench';
import { native, type NativeSegment } from '../../src/log/native.js';
import { crc32cPortable as crc32cTs } from '../../src/protocol/crc32c.js';

const BATCH_BYTES = 16 * 1024;
const SEGMENT_BYTES = 256 * 1024 * 1024;
const INDEX_BYTES = 1024 * 1024;
const INDEX_INTERVAL_BYTES = 4096;
/**
 * The ceiling's target: as much memory as one segment, written 16 KiB at a time like the log.
 * The append writes each byte to memory once (a segment is larger than a cache, and the copy into
 * it uses streaming stores), so its ruler must too. A smaller ring would be a cache's bandwidth:
 * this machine's L3 holds 260 MiB, and a 64 MiB ring copies at 2–3× memory speed.
 */
const COPY_RING_BYTES = SEGMENT_BYTES;
const CACHED_RING_BYTES = 64 * 1024 * 1024;
const READ_BYTES = 1024 * 1024;
const READ_SEGMENT_BATCHES = 256; // 4 MiB to read from
const LARGE_CRC_BYTES = 1024 * 1024;
/** RIVULET_BENCH_RECYCLE=0 measures appends into fresh files only (no recycled `.log`). */
const RECYCLE = process.env.RIVULET_BENCH_RECYCLE !== '0';
/** Calls per op in the `×16` tasks. */
const REPS = 16;

// RecordBatch v2 header (see native/core/record_batch.h for the layout).
const HEADER_BYTES = 61;
const CRC_START = 21;

/** A valid RecordBatch v2 of exactly `totalBytes`, whose records section is opaque filler. */
function buildBatch(totalBytes: number, records: number): Buffer {
  const buf = Buffer.alloc(totalBytes);
  buf.writeInt32BE(totalBytes - 12, 8); // batchLength
  buf.writeInt8(2, 16); // magic
  buf.writeInt32BE(records - 1, 23); // lastOffsetDelta
  buf.writeBigInt64BE(1_700_000_000_000n, 27); // baseTimestamp
  buf.writeBigInt64BE(1_700_000_000_000n, 35); // maxTimestamp
  buf.writeBigInt64BE(-1n, 43); // producerId
  buf.writeInt16BE(-1, 51); // producerEpoch
  buf.writeInt32BE(-1, 53); // baseSequence
  buf.writeInt32BE(records, 57); // recordCount
  for (let i = HEADER_BYTES; i < totalBytes; i++) buf[i] = (i * 31) & 0xff;
  buf.writeUInt32BE(crc32cTs(buf, 0, CRC_START, totalBytes), 17);
  return buf;
}

function random(length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = 0x9e3779b9;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A new segment of the benchmark's sizes in `dir`. */
function segmentOptions(dir: string, baseOffset: number) {
  return {
    dir,
    baseOffset,
    segmentBytes: SEGMENT_BYTES,
    indexIntervalBytes: INDEX_INTERVAL_BYTES,
    indexBytes: INDEX_BYTES,
    create: true,
  };
}

/**
 * One active segment in `dir`, replaced when full: the old one is destroyed (deleted in the
 * background) and the next one's files come from spares prepared while this one filled. With
 * `flushEvery`, the segment is also flushed (untimed) every that many appends, so it counts as
 * flushed often and its appends are written with pwrite (Segment::WritesByCopy).
 */
async function appender(dir: string, batch: Buffer, flushEvery = 0) {
  mkdirSync(dir, { recursive: true });
  const options = (baseOffset: number) => segmentOptions(dir, baseOffset);
  await native.prepareSegment(dir, SEGMENT_BYTES, INDEX_BYTES);
  let segment: NativeSegment = new native.Segment(options(0));
  let prepared: Promise<void> = native.prepareSegment(dir, SEGMENT_BYTES, INDEX_BYTES);
  // Steady state, untimed: one segment is filled and deleted first, as in a broker that has been
  // running under retention: each deleted segment's `.log` is recycled (its pages still cached)
  // and a later segment is written into it, rather than into memory this process never touched
  // (on a VM each first touch of a page can also be a fault in the host, several times the cost
  // of zeroing it). RIVULET_BENCH_RECYCLE=0 measures the fresh-file case.
  while (segment.size + batch.length <= SEGMENT_BYTES) segment.append(batch);
  let sinceFlush = 0;
  // Room for a whole `×16` op, so no op straddles a roll.
  const roll = async () => {
    sinceFlush += 1;
    if (flushEvery > 0 && sinceFlush >= flushEvery) {
      sinceFlush = 0;
      await segment.flush();
    }
    if (segment.size + REPS * batch.length <= SEGMENT_BYTES) return;
    const next = segment.nextOffset;
    // As retention does: the `.log` is recycled for a later segment while its pages are cached.
    segment.destroy(RECYCLE);
    await prepared;
    segment = new native.Segment(options(next));
    prepared = native.prepareSegment(dir, SEGMENT_BYTES, INDEX_BYTES);
    if (flushEvery > 0) await segment.flush();
  };
  await roll();
  if (flushEvery > 0) await segment.flush();
  return { append: () => segment.append(batch), roll };
}

export async function addNativeCases(bench: Bench, ctx: { tmpDir: string }): Promise<void> {
  const dir = ctx.tmpDir;
  const batch = buildBatch(BATCH_BYTES, 16);
  const plain = await appender(join(dir, 'plain'), batch);
  // Flushed every 1,024 appends (16 MiB): well within the second that keeps the segment on the
  // pwrite path.
  const flushed = await appender(join(dir, 'flushed'), batch, 1024);
  const sharedBatch = Buffer.from(new SharedArrayBuffer(batch.length));
  batch.copy(sharedBatch);
  const flushedShared = await appender(join(dir, 'flushed-shared'), sharedBatch, 1024);

  /** A copy of the batch into successive 16 KiB slots of a ring of `bytes`, touched beforehand. */
  const ringCopier = (bytes: number) => {
    const ring = Buffer.alloc(bytes);
    let pos = 0;
    return () => {
      ring.set(batch, pos);
      pos += BATCH_BYTES;
      if (pos + BATCH_BYTES > bytes) pos = 0;
    };
  };
  const copyOnce = ringCopier(COPY_RING_BYTES);
  const copyCached = ringCopier(CACHED_RING_BYTES);

  // Read: a separate segment with 4 MiB of batches, read from a rotating offset.
  const reads = new native.Segment({ ...segmentOptions(dir, 1_000_000_000), segmentBytes: 8 * 1024 * 1024 });
  for (let i = 0; i < READ_SEGMENT_BATCHES; i++) reads.append(batch);
  let readOffset = reads.baseOffset;
  const nextReadOffset = () => {
    const offset = readOffset;
    readOffset += 16 * 16; // 16 batches of 16 offsets each: 256 KiB further
    if (readOffset >= reads.nextOffset) readOffset = reads.baseOffset;
    return offset;
  };

  const crcSmall = random(BATCH_BYTES);
  const crcLarge = random(LARGE_CRC_BYTES);

  bench
    .add(
      `native Segment.append: one 16 KiB batch (validate, CRC-32C, copy, stamp, index)`,
      plain.append,
      { beforeEach: plain.roll },
    )
    .add(`ceiling: Buffer copy of the same 16 KiB into a segment-sized ring`, copyOnce)
    .add(`cache-resident copy: the same 16 KiB into a 64 MiB ring`, copyCached)
    .add(
      `native Segment.append ×16: 16 batches of 16 KiB per op (bytes/op = ${REPS * BATCH_BYTES})`,
      () => {
        for (let i = 0; i < REPS; i++) plain.append();
      },
      { beforeEach: plain.roll },
    )
    .add(
      `native Segment.append while flushed often (checked in place, pwritev): one 16 KiB batch`,
      flushed.append,
      { beforeEach: flushed.roll },
    )
    .add(
      `native Segment.append while flushed often, from a SharedArrayBuffer (copy, check, pwritev): one 16 KiB batch`,
      flushedShared.append,
      { beforeEach: flushedShared.roll },
    )
    .add(`ceiling ×16: Buffer copy of the same 16 KiB into a segment-sized ring, 16 per op (bytes/op = ${REPS * BATCH_BYTES})`, () => {
      for (let i = 0; i < REPS; i++) copyOnce();
    })
    .add(`cache-resident copy ×16: the same into a 64 MiB ring, 16 per op (bytes/op = ${REPS * BATCH_BYTES})`, () => {
      for (let i = 0; i < REPS; i++) copyCached();
    })
    .add(`native crc32c (${native.crc32cImpl()}): 16 KiB`, () => native.crc32c(crcSmall))
    .add(`TypeScript crc32c: 16 KiB`, () => crc32cTs(crcSmall))
    .add(`native crc32c ×16: 16 KiB, 16 per op (bytes/op = ${REPS * BATCH_BYTES})`, () => {
      for (let i = 0; i < REPS; i++) native.crc32c(crcSmall);
    })
    .add(`TypeScript crc32c ×16: 16 KiB, 16 per op (bytes/op = ${REPS * BATCH_BYTES})`, () => {
      for (let i = 0; i < REPS; i++) crc32cTs(crcSmall);
    })
    .add(`native crc32c (${native.crc32cImpl()}): 1 MiB`, () => native.crc32c(crcLarge))
    .add(`TypeScript crc32c: 1 MiB`, () => crc32cTs(crcLarge))
    .add(`native Segment.read: zero-copy view of up to 1 MiB`, () => reads.read(nextReadOffset(), READ_BYTES))
    .add(`copying read: Buffer.from(view) of up to 1 MiB`, () => Buffer.from(reads.read(nextReadOffset(), READ_BYTES)))
    .add(`empty task: tinybench's own cost per op`, () => {});
}
