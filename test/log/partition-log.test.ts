import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { RivuletError } from '../../src/errors.js';
import { resolveTopicConfig, type TopicConfig } from '../../src/log/log-config.js';
import { PartitionLog } from '../../src/log/partition-log.js';
import { decodeViews, makeBatch, numberOf, recordsOf } from '../helpers/batches.js';
import { tempDir } from '../helpers/tmp-dir.js';

const quiet = { info() {}, warn() {} };
const SMALL: Partial<TopicConfig> = { segmentBytes: 64 * 1024, segmentIndexBytes: 16 * 1024, indexIntervalBytes: 512 };

function open(dir: string, overrides: Partial<TopicConfig> = {}, clock?: () => number): PartitionLog {
  const options = clock === undefined ? { logger: quiet } : { logger: quiet, clock };
  return PartitionLog.open(dir, resolveTopicConfig({ ...SMALL, ...overrides }), options);
}

function appendRecords(log: PartitionLog, batches: number, count = 5, pad = 100): void {
  for (let i = 0; i < batches; i++) log.append(makeBatch({ first: log.logEndOffset, count, pad }));
}

describe('group commit', () => {
  test('100 concurrent sync() calls share far fewer native flushes', async (t) => {
    const log = open(tempDir(t));
    t.after(() => log.close());
    const calls: Promise<void>[] = [];
    for (let i = 0; i < 100; i++) {
      log.append(makeBatch({ first: log.logEndOffset, count: 2 }));
      calls.push(log.sync());
    }
    await Promise.all(calls);
    assert.ok(log.syncCount <= 2, `expected at most 2 flushes for 100 calls, got ${log.syncCount}`);
    assert.equal(log.flushedOffset, log.logEndOffset);
    assert.equal(log.logEndOffset, 200);
  });

  test('callers arriving while a flush runs share the next one', async (t) => {
    const log = open(tempDir(t));
    t.after(() => log.close());
    appendRecords(log, 1);
    const first = log.sync();
    appendRecords(log, 1);
    const late = Array.from({ length: 50 }, () => log.sync());
    await Promise.all([first, ...late]);
    assert.equal(log.syncCount, 2);
    assert.equal(log.flushedOffset, 10);
  });

  test('sync with nothing written issues no flush', async (t) => {
    const log = open(tempDir(t));
    t.after(() => log.close());
    await log.sync();
    assert.equal(log.syncCount, 0);
    appendRecords(log, 1);
    await log.sync();
    await log.sync();
    assert.equal(log.syncCount, 1);
  });

  test('flushedOffset covers the segments sealed by rolls since the last sync', async (t) => {
    const log = open(tempDir(t));
    t.after(() => log.close());
    while (log.segmentCount < 4) appendRecords(log, 1, 10, 300);
    assert.ok(log.flushedOffset < log.logEndOffset);
    await log.sync();
    assert.equal(log.flushedOffset, log.logEndOffset);
    assert.equal(log.syncCount, 1);
  });
});

describe('append', () => {
  test('a batch set in one buffer gets consecutive offsets; a sub-range of a buffer appends alone', async (t) => {
    const log = open(tempDir(t));
    t.after(() => log.close());
    const a = makeBatch({ first: 0, count: 3 });
    const b = makeBatch({ first: 3, count: 4 });
    const set = Buffer.concat([Buffer.from('junk'), a, b, Buffer.from('junk')]);
    const r = log.append(set, 4, a.length + b.length);
    assert.deepEqual(r, { baseOffset: 0, lastOffset: 6, appendTime: -1, batchCount: 2 });
    const records = recordsOf(log.read(0, 1 << 20));
    assert.deepEqual(
      records.map((x) => [x.offset, numberOf(x.value)]),
      [0, 1, 2, 3, 4, 5, 6].map((n) => [n, n]),
    );
  });

  test('a corrupt batch in a set appends nothing (CORRUPT_MESSAGE)', async (t) => {
    const log = open(tempDir(t));
    t.after(() => log.close());
    const good = makeBatch({ first: 0, count: 3 });
    const bad = Buffer.from(makeBatch({ first: 3, count: 3 }));
    bad[bad.length - 2]! ^= 0xff;
    assert.throws(() => log.append(Buffer.concat([good, bad])), { code: 'CORRUPT_MESSAGE' });
    assert.equal(log.logEndOffset, 0);
    assert.throws(() => log.append(Buffer.from(good).subarray(0, 40)), { code: 'CORRUPT_MESSAGE' });
    assert.equal(log.append(good).baseOffset, 0, 'the log still accepts appends');
  });

  test('a batch over max.message.bytes is MESSAGE_TOO_LARGE', async (t) => {
    const log = open(tempDir(t), { maxMessageBytes: 1000 });
    t.after(() => log.close());
    assert.throws(() => log.append(makeBatch({ first: 0, count: 2, pad: 1000 })), { code: 'MESSAGE_TOO_LARGE' });
    assert.equal(log.logEndOffset, 0);
  });

  test('a batch set bigger than a segment is RECORD_LIST_TOO_LARGE', async (t) => {
    const log = open(tempDir(t), { segmentBytes: 4096 });
    t.after(() => log.close());
    const set = Buffer.concat(Array.from({ length: 10 }, (_, i) => makeBatch({ first: i, count: 1, pad: 500 })));
    assert.throws(() => log.append(set), { code: 'RECORD_LIST_TOO_LARGE' });
    assert.equal(log.logEndOffset, 0);
    assert.equal(log.segmentCount, 1);
  });

  test('a full segment rolls, the set goes whole into the next one', async (t) => {
    const log = open(tempDir(t), { segmentBytes: 8192 });
    t.after(() => log.close());
    while (log.segmentCount === 1) appendRecords(log, 1, 4, 200);
    const [first, second] = log.segmentInfos();
    assert.equal(second!.baseOffset, first!.nextOffset);
    assert.ok(first!.size <= 8192);
    assert.equal(second!.active, true);
    assert.equal(first!.active, false);
  });

  test('segment.ms rolls a non-empty active segment by age, not an empty one', async (t) => {
    let now = 1_000_000;
    const log = open(tempDir(t), { segmentMs: 1000 }, () => now);
    t.after(() => log.close());
    now += 5000;
    appendRecords(log, 1);
    assert.equal(log.segmentCount, 1, 'an empty segment does not roll by age');
    now += 999;
    appendRecords(log, 1);
    assert.equal(log.segmentCount, 1);
    now += 1;
    appendRecords(log, 1);
    assert.equal(log.segmentCount, 2);
    assert.equal(log.segmentInfos()[1]!.baseOffset, 10);
  });

  test('LogAppendTime stamps the broker time into every batch with a valid CRC', async (t) => {
    const log = open(tempDir(t), { messageTimestampType: 'LogAppendTime' }, () => 1_700_000_000_000);
    t.after(() => log.close());
    const r = log.append(Buffer.concat([makeBatch({ first: 0, count: 2 }), makeBatch({ first: 2, count: 2 })]));
    assert.equal(r.appendTime, 1_700_000_000_000);
    const batches = decodeViews(log.read(0, 1 << 20)); // decoding verifies the CRCs
    assert.equal(batches.length, 2);
    for (const b of batches) {
      assert.equal(b.maxTimestamp, 1_700_000_000_000);
      assert.equal(b.attributes & 0x08, 0x08);
    }
    assert.equal(log.offsetForTimestamp(1_700_000_000_000), 0);
  });

  test('LogAppendTime refuses a batch whose CRC is already wrong instead of re-signing it', async (t) => {
    const log = open(tempDir(t), { messageTimestampType: 'LogAppendTime' });
    t.after(() => log.close());
    const bad = Buffer.from(makeBatch({ first: 0, count: 2 }));
    bad[bad.length - 1]! ^= 1;
    assert.throws(() => log.append(bad), { code: 'CORRUPT_MESSAGE' });
  });

  test('append, read and sync after close are refused; close is idempotent', async (t) => {
    const log = open(tempDir(t));
    appendRecords(log, 1);
    await Promise.all([log.close(), log.close()]);
    assert.throws(
      () => appendRecords(log, 1),
      (e: unknown) => e instanceof RivuletError,
    );
    assert.throws(
      () => log.read(0, 100),
      (e: unknown) => e instanceof RivuletError,
    );
    await assert.rejects(log.sync(), (e: unknown) => e instanceof RivuletError);
  });
});

describe('truncation and DeleteRecords', () => {
  test('truncateTo inside the active segment drops the tail; appends continue there', async (t) => {
    const log = open(tempDir(t));
    t.after(() => log.close());
    appendRecords(log, 4); // batches at 0, 5, 10, 15
    await log.sync();
    log.truncateTo(10);
    assert.equal(log.logEndOffset, 10);
    assert.equal(log.flushedOffset, 10);
    assert.equal(log.append(makeBatch({ first: 10, count: 1 })).baseOffset, 10);
    assert.deepEqual(
      recordsOf(log.read(0, 1 << 20)).map((r) => numberOf(r.value)),
      [...Array(11).keys()],
    );
  });

  test('truncateTo into a sealed segment removes the newer segments and starts a new active one', async (t) => {
    const log = open(tempDir(t));
    t.after(() => log.close());
    while (log.segmentCount < 4) appendRecords(log, 1, 5, 400);
    const second = log.segmentInfos()[1]!;
    const cut = second.baseOffset + 5; // a batch boundary inside the second segment
    log.truncateTo(cut);
    assert.equal(log.logEndOffset, cut);
    assert.equal(log.segmentCount, 3);
    log.append(makeBatch({ first: cut, count: 5 }));
    const records = recordsOf(log.read(0, 1 << 22));
    assert.equal(records.length, cut + 5);
    records.forEach((r, i) => {
      assert.equal(r.offset, i);
    });
  });

  test('truncateTo a segment base removes that segment too', async (t) => {
    const log = open(tempDir(t));
    t.after(() => log.close());
    while (log.segmentCount < 3) appendRecords(log, 1, 5, 400);
    const second = log.segmentInfos()[1]!;
    log.truncateTo(second.baseOffset);
    assert.equal(log.logEndOffset, second.baseOffset);
    assert.equal(log.segmentCount, 2);
    assert.equal(log.segmentInfos()[1]!.size, 0);
  });

  test('deleteRecordsBefore moves the log start, deletes whole segments below it and survives a restart', async (t) => {
    const dir = tempDir(t);
    const log = open(dir);
    while (log.segmentCount < 4) appendRecords(log, 1, 5, 400);
    const third = log.segmentInfos()[2]!;
    const start = third.baseOffset + 5;
    const r = log.deleteRecordsBefore(start);
    assert.equal(r.logStartOffset, start);
    assert.equal(r.deleted.length, 2);
    assert.ok(r.deleted.every((d) => d.reason === 'log-start-offset'));
    assert.equal(log.logStartOffset, start);
    assert.throws(() => log.read(start - 1, 100), { code: 'OFFSET_OUT_OF_RANGE' });
    assert.equal(recordsOf(log.read(start, 100)).at(-1)!.offset >= start, true);
    assert.throws(() => log.deleteRecordsBefore(log.logEndOffset + 1), { code: 'OFFSET_OUT_OF_RANGE' });
    await log.close();
    const again = open(dir);
    t.after(() => again.close());
    assert.equal(again.logStartOffset, start);
  });
});

describe('delete', () => {
  test('delete() removes every file and the directory; earlier views stay readable', async (t) => {
    const root = tempDir(t);
    const dir = join(root, 'orders-0');
    const log = open(dir);
    while (log.segmentCount < 3) appendRecords(log, 1, 5, 400);
    const views = log.read(0, 1 << 22);
    const before = Buffer.concat(views.map((v) => Buffer.from(v)));
    const end = log.logEndOffset;
    await log.delete();
    assert.equal(existsSync(dir), false);
    assert.deepEqual(readdirSync(root), []);
    assert.ok(Buffer.concat(views).equals(before));
    assert.equal(recordsOf(views).length, end);
  });
});
