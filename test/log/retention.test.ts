import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveTopicConfig, type TopicConfig } from '../../src/log/log-config.js';
import { LogManager } from '../../src/log/log-manager.js';
import { PartitionLog } from '../../src/log/partition-log.js';
import { type SegmentSummary, selectExpiredSegments } from '../../src/log/retention.js';
import { BASE_TIMESTAMP, makeBatch, numberOf, recordsOf } from '../helpers/batches.js';
import { tempDir } from '../helpers/tmp-dir.js';

const quiet = { info() {}, warn() {} };
const DAY = 86_400_000;

function open(dir: string, overrides: Partial<TopicConfig>): PartitionLog {
  return PartitionLog.open(
    dir,
    resolveTopicConfig({ segmentBytes: 64 * 1024, segmentIndexBytes: 16 * 1024, ...overrides }),
    { logger: quiet },
  );
}

/** Fills `segments` segments; batch i has timestamp BASE_TIMESTAMP + i * 1000. */
function fill(log: PartitionLog, segments: number): void {
  for (let i = 0; log.segmentCount < segments; i++) {
    log.append(makeBatch({ first: log.logEndOffset, count: 5, pad: 300, timestamp: BASE_TIMESTAMP + i * 1000 }));
  }
}

describe('retention (pure selection)', () => {
  const segs: SegmentSummary[] = [
    { baseOffset: 0, nextOffset: 10, size: 100, maxTimestamp: 1000 },
    { baseOffset: 10, nextOffset: 20, size: 100, maxTimestamp: 2000 },
    { baseOffset: 20, nextOffset: 30, size: 100, maxTimestamp: 3000 },
    { baseOffset: 30, nextOffset: 35, size: 50, maxTimestamp: 500 }, // active, oldest timestamp of all
  ];
  const policy = { retentionMs: -1, retentionBytes: -1, cleanupPolicy: 'delete' as const };

  test('-1 disables both limits', () => {
    assert.deepEqual(selectExpiredSegments(segs, policy, 0, 1e12), []);
  });
  test('by time: segments whose max timestamp is before now − retention.ms, never the active one', () => {
    assert.deepEqual(selectExpiredSegments(segs, { ...policy, retentionMs: 1000 }, 0, 2500), ['retention.ms']);
    assert.deepEqual(selectExpiredSegments(segs, { ...policy, retentionMs: 1000 }, 0, 3500), [
      'retention.ms',
      'retention.ms',
    ]);
    assert.deepEqual(selectExpiredSegments(segs, { ...policy, retentionMs: 0 }, 0, 1e12), [
      'retention.ms',
      'retention.ms',
      'retention.ms',
    ]);
  });
  test('by size: oldest first while the rest still reaches the limit', () => {
    assert.deepEqual(selectExpiredSegments(segs, { ...policy, retentionBytes: 250 }, 0, 0), ['retention.bytes']);
    // As Kafka: a segment goes only if the rest still reaches the limit, so 249 deletes one segment.
    assert.deepEqual(selectExpiredSegments(segs, { ...policy, retentionBytes: 249 }, 0, 0), ['retention.bytes']);
    assert.deepEqual(selectExpiredSegments(segs, { ...policy, retentionBytes: 150 }, 0, 0), [
      'retention.bytes',
      'retention.bytes',
    ]);
    assert.equal(selectExpiredSegments(segs, { ...policy, retentionBytes: 0 }, 0, 0).length, 3);
  });
  test('below the log start: whole segments only', () => {
    assert.deepEqual(selectExpiredSegments(segs, policy, 15, 0), ['log-start-offset']);
    assert.deepEqual(selectExpiredSegments(segs, policy, 20, 0), ['log-start-offset', 'log-start-offset']);
  });
  test('a compact-only topic keeps its segments (compaction is not built yet)', () => {
    assert.deepEqual(selectExpiredSegments(segs, { ...policy, retentionMs: 0, cleanupPolicy: 'compact' }, 0, 1e12), []);
    assert.equal(
      selectExpiredSegments(segs, { ...policy, retentionMs: 0, cleanupPolicy: 'compact,delete' }, 0, 1e12).length,
      3,
    );
  });
});

describe('retention on a partition log', () => {
  test('retention by time deletes old closed segments, never the active one, and moves the log start', async (t) => {
    const log = open(tempDir(t), { retentionMs: DAY });
    t.after(() => log.close());
    fill(log, 5);
    const [first, second] = log.segmentInfos();
    const end = log.logEndOffset;
    // Only the first segment's newest record is older than now − retention.ms.
    const r = log.applyRetention(first!.maxTimestamp + DAY + 1);
    assert.equal(r.deleted.length, 1);
    assert.deepEqual(r.deleted[0], {
      baseOffset: first!.baseOffset,
      nextOffset: first!.nextOffset,
      size: first!.size,
      maxTimestamp: first!.maxTimestamp,
      reason: 'retention.ms',
    });
    assert.equal(log.logStartOffset, second!.baseOffset);
    assert.equal(r.logStartOffset, second!.baseOffset);
    assert.throws(() => log.read(0, 100), { code: 'OFFSET_OUT_OF_RANGE' });
    assert.equal(recordsOf(log.read(second!.baseOffset, 100))[0]!.offset, second!.baseOffset);
    // Everything expired: all closed segments go, the active one stays.
    const all = log.applyRetention(BASE_TIMESTAMP + 1000 * DAY);
    assert.equal(all.deleted.length, 3);
    assert.equal(log.segmentCount, 1);
    assert.equal(log.logEndOffset, end);
    assert.equal(log.logStartOffset, log.segmentInfos()[0]!.baseOffset);
    assert.equal(log.applyRetention(BASE_TIMESTAMP + 1000 * DAY).deleted.length, 0);
  });

  test('retention by size deletes the oldest closed segments beyond retention.bytes', async (t) => {
    const dir = tempDir(t);
    const log = open(dir, { retentionBytes: -1, retentionMs: -1 });
    t.after(() => log.close());
    fill(log, 5);
    const infos = log.segmentInfos();
    const total = log.size;
    log.updateConfig(
      resolveTopicConfig({
        segmentBytes: 64 * 1024,
        segmentIndexBytes: 16 * 1024,
        retentionMs: -1,
        retentionBytes: total - infos[0]!.size,
      }),
    );
    const r = log.applyRetention();
    assert.deepEqual(
      r.deleted.map((d) => [d.baseOffset, d.reason]),
      [[0, 'retention.bytes']],
    );
    assert.equal(log.size, total - infos[0]!.size);
    log.updateConfig(
      resolveTopicConfig({ segmentBytes: 64 * 1024, segmentIndexBytes: 16 * 1024, retentionMs: -1, retentionBytes: 0 }),
    );
    log.applyRetention();
    assert.equal(log.segmentCount, 1, 'the active segment is never deleted, even over the limit');
    assert.equal(log.logStartOffset, infos.at(-1)!.baseOffset);
  });

  test('a zero-copy Buffer read before its segment is deleted by retention stays readable, also after close', async (t) => {
    const log = open(tempDir(t), { retentionMs: DAY });
    fill(log, 3);
    const views = log.read(0, 32 * 1024);
    const copy = Buffer.concat(views.map((v) => Buffer.from(v)));
    const r = log.applyRetention(BASE_TIMESTAMP + 1000 * DAY);
    assert.equal(r.deleted.length, 2);
    assert.ok(Buffer.concat(views).equals(copy));
    await log.close();
    assert.ok(Buffer.concat(views).equals(copy));
    recordsOf(views).forEach((rec, i) => {
      assert.equal(numberOf(rec.value), i);
    });
  });

  test('the log manager runs retention in the background on its check interval', async (t) => {
    const dataDir = tempDir(t);
    const manager = LogManager.open({ dataDir, retentionCheckIntervalMs: 20, logger: quiet });
    t.after(() => manager.close());
    manager.createTopic('old', 1, { 'retention.ms': String(DAY), 'segment.bytes': String(64 * 1024) });
    const log = manager.partition('old', 0)!;
    fill(log, 4); // timestamps from 2024: long expired by the wall clock
    const deadline = Date.now() + 5000;
    while (log.segmentCount > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(log.segmentCount, 1);
    assert.equal(log.logStartOffset, log.segmentInfos()[0]!.baseOffset);
  });
});
