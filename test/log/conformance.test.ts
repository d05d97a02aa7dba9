/**
 * The storage conformance suite: one set of behaviours, run across configuration permutations
 * (segment size, index interval, flush policy).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RivuletError } from '../../src/errors.js';
import { resolveTopicConfig, type TopicConfig } from '../../src/log/log-config.js';
import { PartitionLog } from '../../src/log/partition-log.js';
import { BASE_TIMESTAMP, decodeViews, makeBatch, numberOf, recordsOf } from '../helpers/batches.js';
import { tempDir } from '../helpers/tmp-dir.js';

const quiet = { info() {}, warn() {} };

interface Permutation {
  segmentBytes: number;
  indexIntervalBytes: number;
  /** Await sync() after every this many appends; 0 never syncs. */
  syncEvery: number;
}

const PERMUTATIONS: Permutation[] = [];
for (const segmentBytes of [64 * 1024, 256 * 1024]) {
  for (const indexIntervalBytes of [64, 4096]) {
    for (const syncEvery of [0, 8]) PERMUTATIONS.push({ segmentBytes, indexIntervalBytes, syncEvery });
  }
}

interface Written {
  first: number;
  count: number;
  timestamp: number;
}

function configOf(p: Permutation): TopicConfig {
  return resolveTopicConfig({
    segmentBytes: p.segmentBytes,
    indexIntervalBytes: p.indexIntervalBytes,
    segmentIndexBytes: 64 * 1024,
  });
}

/** Appends batches of 1..7 records and varying sizes until the log has `segments` segments. */
async function fill(log: PartitionLog, p: Permutation, segments: number): Promise<Written[]> {
  const written: Written[] = [];
  for (let i = 0; log.segmentCount < segments; i++) {
    const first = log.logEndOffset;
    const count = 1 + (i % 7);
    const timestamp = BASE_TIMESTAMP + i * 10;
    const r = log.append(makeBatch({ first, count, timestamp, pad: (i * 37) % 400 }));
    assert.equal(r.baseOffset, first);
    assert.equal(r.lastOffset, first + count - 1);
    assert.equal(r.appendTime, -1);
    written.push({ first, count, timestamp });
    if (p.syncEvery > 0 && i % p.syncEvery === p.syncEvery - 1) {
      await log.sync();
      assert.equal(log.flushedOffset, log.logEndOffset);
    }
  }
  return written;
}

/** Reads the whole log in pieces of `maxBytes`, checking that every record is where it belongs. */
function readAll(log: PartitionLog, from: number, maxBytes: number): number {
  let next = from;
  let reads = 0;
  while (next < log.logEndOffset) {
    const views = log.read(next, maxBytes);
    assert.ok(views.length > 0, `read at ${next} returned nothing`);
    const batches = decodeViews(views);
    if (batches.length > 1) {
      const total = views.reduce((n, v) => n + v.length, 0);
      assert.ok(total <= maxBytes, `read of ${total} bytes beyond maxBytes ${maxBytes}`);
    }
    for (const b of batches) {
      for (const r of b.records) {
        if (r.offset < next) continue; // the batch holding `next` may start before it
        assert.equal(r.offset, next, 'offsets are dense');
        assert.equal(numberOf(r.value), r.offset);
        next++;
      }
    }
    reads++;
  }
  assert.equal(next, log.logEndOffset);
  return reads;
}

for (const p of PERMUTATIONS) {
  const name = `segment.bytes=${p.segmentBytes} index.interval.bytes=${p.indexIntervalBytes} sync=${p.syncEvery === 0 ? 'never' : `every ${p.syncEvery}`}`;
  describe(`storage conformance (${name})`, () => {
    test('round trip across many segment rolls', async (t) => {
      const log = PartitionLog.open(tempDir(t), configOf(p), { logger: quiet });
      t.after(() => log.close());
      const written = await fill(log, p, 6);
      assert.ok(log.segmentCount >= 6);
      const infos = log.segmentInfos();
      for (let i = 1; i < infos.length; i++) assert.equal(infos[i]!.baseOffset, infos[i - 1]!.nextOffset);
      assert.equal(infos.at(-1)!.active, true);
      assert.equal(log.logEndOffset, written.at(-1)!.first + written.at(-1)!.count);
      readAll(log, 0, 16 * 1024);
      readAll(log, 0, 1); // one batch per read
    });

    test('lookup of every offset finds the batch that holds it', async (t) => {
      const log = PartitionLog.open(tempDir(t), configOf(p), { logger: quiet });
      t.after(() => log.close());
      const written = await fill(log, p, 4);
      for (const w of written) {
        for (let o = w.first; o < w.first + w.count; o++) {
          const [batch] = decodeViews(log.read(o, 1));
          assert.equal(batch!.baseOffset, w.first, `offset ${o}`);
          assert.equal(batch!.recordCount, w.count);
        }
      }
    });

    test('time lookup returns the first batch at or after the timestamp', async (t) => {
      const log = PartitionLog.open(tempDir(t), configOf(p), { logger: quiet });
      t.after(() => log.close());
      const written = await fill(log, p, 4);
      for (const w of written) {
        assert.equal(log.offsetForTimestamp(w.timestamp), w.first, `exact timestamp ${w.timestamp}`);
        assert.equal(log.offsetForTimestamp(w.timestamp - 5), w.first, `between batches before ${w.timestamp}`);
      }
      assert.equal(log.offsetForTimestamp(0), 0, 'a timestamp before everything gives the log start');
      assert.equal(log.offsetForTimestamp(written.at(-1)!.timestamp + 1), null, 'after everything: null');
    });

    test('read crossing a segment boundary continues into the next segment', async (t) => {
      const log = PartitionLog.open(tempDir(t), configOf(p), { logger: quiet });
      t.after(() => log.close());
      await fill(log, p, 3);
      const [first, second] = log.segmentInfos();
      const start = first!.nextOffset - 1; // the last record of the first segment
      const views = log.read(start, p.segmentBytes);
      assert.ok(views.length >= 2, 'views from two segments');
      const records = recordsOf(views);
      const offsets = records.map((r) => r.offset).filter((o) => o >= start);
      assert.equal(offsets[0], start);
      assert.ok(offsets.includes(second!.baseOffset));
      for (let i = 1; i < offsets.length; i++) assert.equal(offsets[i], offsets[i - 1]! + 1);
      assert.ok(views.reduce((n, v) => n + v.length, 0) <= p.segmentBytes, 'a crossing read stays within maxBytes');
    });

    test('read at the log end returns [], outside the log is OFFSET_OUT_OF_RANGE with details', async (t) => {
      const log = PartitionLog.open(tempDir(t), configOf(p), { logger: quiet });
      t.after(() => log.close());
      assert.deepEqual(log.read(0, 1024), [], 'an empty log reads [] at 0');
      await fill(log, p, 2);
      const end = log.logEndOffset;
      assert.deepEqual(log.read(end, 1024), []);
      assert.throws(
        () => log.read(end + 1, 1024),
        (err: unknown) =>
          err instanceof RivuletError &&
          err.code === 'OFFSET_OUT_OF_RANGE' &&
          err.details?.logStartOffset === 0 &&
          err.details?.logEndOffset === end,
      );
      assert.throws(() => log.read(-1, 1024), { code: 'INVALID_ARGUMENT' });
      assert.throws(() => log.read(2 ** 53, 1024), { code: 'INVALID_ARGUMENT' });
    });

    test('restart (close and reopen) gives the same offsets and data, and appends continue', async (t) => {
      const dir = tempDir(t);
      const log = PartitionLog.open(dir, configOf(p), { logger: quiet });
      await fill(log, p, 4);
      const before = {
        start: log.logStartOffset,
        end: log.logEndOffset,
        segments: log.segmentInfos(),
        data: Buffer.concat(log.read(0, 64 * 1024 * 1024)),
      };
      await log.close();
      const again = PartitionLog.open(dir, configOf(p), { logger: quiet });
      t.after(() => again.close());
      assert.equal(again.recovery?.truncatedBytes, 0, 'a clean close leaves nothing to cut');
      assert.equal(again.logStartOffset, before.start);
      assert.equal(again.logEndOffset, before.end);
      assert.deepEqual(again.segmentInfos(), before.segments);
      assert.ok(Buffer.concat(again.read(0, 64 * 1024 * 1024)).equals(before.data));
      const r = again.append(makeBatch({ first: before.end, count: 3 }));
      assert.equal(r.baseOffset, before.end);
      readAll(again, 0, 32 * 1024);
    });
  });
}
