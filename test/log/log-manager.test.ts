import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { RivuletError } from '../../src/errors.js';
import { LogManager } from '../../src/log/log-manager.js';
import { makeBatch, numberOf, recordsOf } from '../helpers/batches.js';
import { tempDir } from '../helpers/tmp-dir.js';

const SMALL = { 'segment.bytes': String(64 * 1024), 'segment.index.bytes': String(16 * 1024) };

function recordingLogger() {
  const warnings: string[] = [];
  return { warnings, logger: { info() {}, warn: (m: string) => void warnings.push(m) } };
}

function openManager(dataDir: string, extra: Partial<Parameters<typeof LogManager.open>[0]> = {}): LogManager {
  return LogManager.open({ dataDir, retentionCheckIntervalMs: 0, logger: recordingLogger().logger, ...extra });
}

function code(c: string) {
  return (err: unknown) => err instanceof RivuletError && err.code === c;
}

describe('LogManager', () => {
  test('createTopic makes one directory per partition inside the data dir and persists the topic', async (t) => {
    const dataDir = tempDir(t);
    const m = openManager(dataDir);
    t.after(() => m.close());
    const topic = m.createTopic('orders', 3, SMALL);
    assert.equal(topic.name, 'orders');
    assert.equal(topic.partitions.length, 3);
    assert.equal(topic.config.segmentBytes, 64 * 1024);
    assert.equal(topic.internal, false);
    for (let p = 0; p < 3; p++) assert.ok(existsSync(join(dataDir, `orders-${p}`)));
    const meta = JSON.parse(readFileSync(join(dataDir, 'topics.json'), 'utf8'));
    assert.deepEqual(meta.topics.orders, { partitions: 3, configs: SMALL });
    assert.equal(m.partition('orders', 2), topic.partitions[2]);
    assert.equal(m.partition('orders', 3), undefined);
    assert.equal(m.topic('nope'), undefined);
    assert.deepEqual(
      m.topics().map((x) => x.name),
      ['orders'],
    );
    assert.ok(!readdirSync(dataDir).some((f) => f.endsWith('.tmp')), 'no temporary file is left');
  });

  test('createTopic errors: exists, bad partition count, illegal name, bad config; nothing is created', async (t) => {
    const dataDir = tempDir(t);
    const m = openManager(dataDir);
    t.after(() => m.close());
    m.createTopic('a', 1);
    assert.throws(() => m.createTopic('a', 1), code('TOPIC_ALREADY_EXISTS'));
    for (const n of [0, -1, 1.5, Number.NaN, 10_001])
      assert.throws(() => m.createTopic('b', n), code('INVALID_PARTITIONS'));
    for (const name of ['..', '.', 'a/b', '', 'x'.repeat(250)]) {
      assert.throws(() => m.createTopic(name, 1), code('INVALID_TOPIC_EXCEPTION'));
    }
    assert.throws(() => m.createTopic('c', 1, { 'retention.ms': 'never' }), code('INVALID_CONFIG'));
    assert.throws(() => m.createTopic('c', 1, { 'no.such.config': '1' }), code('INVALID_CONFIG'));
    assert.deepEqual(readdirSync(dataDir).sort(), ['.lock', 'a-0', 'topics.json']);
    assert.deepEqual(
      m.topics().map((x) => x.name),
      ['a'],
    );
  });

  test("a name colliding with another through '.' and '_' is refused", async (t) => {
    const m = openManager(tempDir(t));
    t.after(() => m.close());
    m.createTopic('a.b', 1);
    assert.throws(() => m.createTopic('a_b', 1), code('INVALID_TOPIC_EXCEPTION'));
  });

  test('internal topics (names starting with __) are allowed and marked', async (t) => {
    const m = openManager(tempDir(t));
    t.after(() => m.close());
    assert.equal(m.createTopic('__consumer_offsets', 2).internal, true);
  });

  test('reopen: topics, partition counts, configs and data are as they were', async (t) => {
    const dataDir = tempDir(t);
    const m = openManager(dataDir);
    m.createTopic('orders', 2, { ...SMALL, 'retention.ms': '3600000' });
    m.createTopic('events', 1);
    const log = m.partition('orders', 1)!;
    while (log.segmentCount < 3) log.append(makeBatch({ first: log.logEndOffset, count: 5, pad: 400 }));
    const end = log.logEndOffset;
    await m.close();
    assert.equal(log.flushedOffset, end, 'close syncs before closing');

    const again = openManager(dataDir);
    t.after(() => again.close());
    assert.deepEqual(
      again.topics().map((x) => [x.name, x.partitions.length]),
      [
        ['events', 1],
        ['orders', 2],
      ],
    );
    assert.equal(again.topic('orders')!.config.retentionMs, 3_600_000);
    const reopened = again.partition('orders', 1)!;
    assert.equal(reopened.logEndOffset, end);
    recordsOf(reopened.read(0, 1 << 22)).forEach((r, i) => {
      assert.equal(numberOf(r.value), i);
    });
    assert.equal(again.openSegmentCount, 1 + 3 + 1);
  });

  test('deleteTopic removes its directories and metadata; earlier views stay readable; the name can be reused', async (t) => {
    const dataDir = tempDir(t);
    const m = openManager(dataDir);
    t.after(() => m.close());
    m.createTopic('gone', 2, SMALL);
    const log = m.partition('gone', 0)!;
    log.append(makeBatch({ first: 0, count: 5 }));
    const views = log.read(0, 1024);
    await m.deleteTopic('gone');
    assert.equal(m.topic('gone'), undefined);
    assert.deepEqual(readdirSync(dataDir).sort(), ['.lock', 'topics.json']);
    assert.equal(recordsOf(views).length, 5);
    await assert.rejects(m.deleteTopic('gone'), code('UNKNOWN_TOPIC_OR_PARTITION'));
    const fresh = m.createTopic('gone', 1);
    assert.equal(fresh.partitions[0]!.logEndOffset, 0);
  });

  test('createPartitions grows a topic, and refuses a count that is not larger', async (t) => {
    const dataDir = tempDir(t);
    const m = openManager(dataDir);
    m.createTopic('t', 2);
    assert.throws(() => m.createPartitions('t', 2), code('INVALID_PARTITIONS'));
    assert.throws(() => m.createPartitions('t', 1), code('INVALID_PARTITIONS'));
    assert.throws(() => m.createPartitions('missing', 3), code('UNKNOWN_TOPIC_OR_PARTITION'));
    assert.equal(m.createPartitions('t', 5).partitions.length, 5);
    await m.close();
    const again = openManager(dataDir);
    t.after(() => again.close());
    assert.equal(again.topic('t')!.partitions.length, 5);
  });

  test('alterTopicConfig is incremental: named keys set, null back to default; partitions and restarts see it', async (t) => {
    const dataDir = tempDir(t);
    const m = openManager(dataDir, { defaults: { retentionBytes: 1_000_000 } });
    m.createTopic('t', 2, { 'retention.ms': '1000', 'cleanup.policy': 'compact' });
    const described = m.alterTopicConfig('t', [
      { name: 'retention.ms', value: null },
      { name: 'max.message.bytes', value: '2000' },
    ]);
    const by = Object.fromEntries(described.map((d) => [d.name, d]));
    assert.deepEqual(by['retention.ms'], {
      name: 'retention.ms',
      value: '604800000',
      isDefault: true,
      source: 'DEFAULT_CONFIG',
    });
    assert.equal(by['max.message.bytes']!.source, 'DYNAMIC_TOPIC_CONFIG');
    assert.equal(by['cleanup.policy']!.value, 'compact');
    assert.deepEqual(by['retention.bytes'], {
      name: 'retention.bytes',
      value: '1000000',
      isDefault: false,
      source: 'STATIC_BROKER_CONFIG',
    });
    for (const p of m.topic('t')!.partitions) assert.equal(p.config.maxMessageBytes, 2000);
    assert.throws(
      () => m.partition('t', 0)!.append(makeBatch({ first: 0, count: 2, pad: 2000 })),
      code('MESSAGE_TOO_LARGE'),
    );
    assert.throws(() => m.alterTopicConfig('t', { 'segment.bytes': '1' }), code('INVALID_CONFIG'));
    assert.equal(m.topic('t')!.config.segmentBytes, 1024 * 1024 * 1024, 'a refused alteration changes nothing');
    assert.throws(() => m.describeTopicConfig('nope'), code('UNKNOWN_TOPIC_OR_PARTITION'));
    await m.close();
    const again = openManager(dataDir, { defaults: { retentionBytes: 1_000_000 } });
    t.after(() => again.close());
    assert.deepEqual(again.describeTopicConfig('t'), described);
  });

  test('a partition directory no topic claims is left alone at startup, and replaced when the topic is created', async (t) => {
    const dataDir = tempDir(t);
    mkdirSync(join(dataDir, 'stale-0'));
    writeFileSync(join(dataDir, 'stale-0', 'marker'), 'x');
    mkdirSync(join(dataDir, 'old-0.1700000000000-delete'));
    const { warnings, logger } = recordingLogger();
    const m = LogManager.open({ dataDir, retentionCheckIntervalMs: 0, logger });
    t.after(() => m.close());
    assert.ok(existsSync(join(dataDir, 'stale-0', 'marker')));
    assert.ok(warnings.some((w) => /belongs to no topic/.test(w)));
    assert.ok(!existsSync(join(dataDir, 'old-0.1700000000000-delete')), 'a -delete leftover is removed');
    m.createTopic('stale', 1);
    assert.ok(!existsSync(join(dataDir, 'stale-0', 'marker')));
    assert.equal(m.partition('stale', 0)!.logEndOffset, 0);
  });

  test('a damaged topics.json stops the start instead of serving no topics', (t) => {
    const dataDir = tempDir(t);
    writeFileSync(join(dataDir, 'topics.json'), '{"version": 1, "topics": ');
    assert.throws(() => openManager(dataDir), /topics\.json/);
  });

  test('close is idempotent and later calls are refused', async (t) => {
    const m = openManager(tempDir(t));
    m.createTopic('t', 1);
    await Promise.all([m.close(), m.close()]);
    await m.close();
    assert.throws(() => m.createTopic('u', 1), code('BROKER_SHUTTING_DOWN'));
  });

  test('openSegmentCount counts the segments of every partition', async (t) => {
    const m = openManager(tempDir(t));
    t.after(() => m.close());
    assert.equal(m.openSegmentCount, 0);
    m.createTopic('a', 3);
    m.createTopic('b', 2);
    assert.equal(m.openSegmentCount, 5);
  });
});
