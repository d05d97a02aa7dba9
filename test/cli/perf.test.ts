import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { measureBatch, runsFor } from '../../src/cli/perf/consume-measure.js';
import { HISTOGRAM_MAX_VALUE, Histogram } from '../../src/cli/perf/histogram.js';
import { PerfReporter } from '../../src/cli/perf/reporter.js';
import { TokenBucket } from '../../src/cli/perf/token-bucket.js';
import type { KafkaMessage } from '../../src/client/index.js';
import { rivulet, startBroker, type TestBroker } from './helpers.js';

/** Within the histogram's precision: 1/128 of the value, rounded up to whole units. */
function near(actual: number, expected: number): void {
  const tolerance = Math.max(1, Math.ceil(expected / 128));
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} is not within ${tolerance} of ${expected}`);
}

describe('perf histogram', () => {
  test('small values are exact', () => {
    const h = new Histogram();
    for (let v = 0; v < 100; v++) h.record(v);
    assert.equal(h.count, 100);
    assert.equal(h.percentile(50), 49);
    assert.equal(h.percentile(99), 98);
    assert.equal(h.percentile(100), 99);
    assert.equal(h.percentile(0), 0);
    assert.equal(h.min, 0);
    assert.equal(h.max, 99);
    assert.equal(h.mean, 49.5);
  });

  test('percentiles of 1..1,000,000 are within the bucket precision', () => {
    const h = new Histogram();
    for (let v = 1; v <= 1_000_000; v++) h.record(v);
    near(h.percentile(50), 500_000);
    near(h.percentile(90), 900_000);
    near(h.percentile(99), 990_000);
    near(h.percentile(99.9), 999_000);
    assert.equal(h.percentile(100), 1_000_000);
    assert.equal(h.mean, 500_000.5);
  });

  test('a skewed distribution: the tail percentiles land in the tail', () => {
    const h = new Histogram();
    h.record(1_000, 990); // 99 % at 1 ms
    h.record(50_000, 9); // 0.9 % at 50 ms
    h.record(2_000_000, 1); // 0.1 % at 2 s
    near(h.percentile(50), 1_000);
    near(h.percentile(99), 1_000);
    near(h.percentile(99.5), 50_000);
    near(h.percentile(99.9), 50_000);
    assert.equal(h.percentile(99.95), 2_000_000);
    assert.equal(h.max, 2_000_000);
  });

  test('a percentile never reports more than the largest recorded value', () => {
    const h = new Histogram();
    h.record(1_000_001);
    assert.equal(h.percentile(50), 1_000_001);
    assert.equal(h.percentile(100), 1_000_001);
  });

  test('values past 2^31 and past the maximum, negative and fractional values', () => {
    const h = new Histogram();
    h.record(3 * 2 ** 33);
    near(h.percentile(50), 3 * 2 ** 33);
    h.record(Number.POSITIVE_INFINITY);
    h.record(2 ** 60);
    assert.equal(h.max, HISTOGRAM_MAX_VALUE);
    const g = new Histogram();
    g.record(-5);
    g.record(2.9);
    assert.equal(g.min, 0);
    assert.equal(g.max, 2);
  });

  test('add merges counts, min and max; reset empties', () => {
    const a = new Histogram();
    const b = new Histogram();
    for (let v = 1; v <= 1000; v++) a.record(v);
    for (let v = 1001; v <= 2000; v++) b.record(v);
    a.add(b);
    assert.equal(a.count, 2000);
    near(a.percentile(50), 1000);
    assert.equal(a.min, 1);
    assert.equal(a.max, 2000);
    a.reset();
    assert.equal(a.count, 0);
    assert.equal(a.percentile(99), 0);
    assert.equal(a.mean, 0);
  });

  test('an empty histogram reports zeros', () => {
    const h = new Histogram();
    assert.equal(h.percentile(50), 0);
    assert.equal(h.min, 0);
    assert.equal(h.max, 0);
  });
});

describe('perf token bucket', () => {
  test('waits in proportion to the missing tokens; more than the burst is taken on credit', () => {
    const b = new TokenBucket(1000, 100, 0);
    // Head start: rate / 100 = 10 tokens.
    assert.equal(b.waitMs(10, 0), 0);
    assert.equal(b.waitMs(20, 0), 10);
    assert.equal(b.waitMs(100, 100), 0); // 10 + 100 ms × 1/ms, capped at the burst of 100
    assert.equal(b.waitMs(500, 100), 0); // only the burst is needed before taking 500
  });
});

describe('perf consume: what a batch counts', () => {
  const message = (timestamp: number, valueBytes: number, keyBytes: number | null): KafkaMessage => ({
    key: keyBytes === null ? null : Buffer.alloc(keyBytes),
    value: Buffer.alloc(valueBytes),
    headers: {},
    offset: 0,
    timestamp,
  });

  test('records, bytes, and one latency per record, from runs of equal timestamps', () => {
    const reporter = new PerfReporter('consumed', () => {});
    const now = 1_000;
    const batch = [
      message(990, 10, null),
      message(990, 10, 2),
      message(990, 10, null),
      message(995, 20, null),
      message(995, 20, null),
      message(999, 30, 5),
    ];
    let runs = runsFor(batch.length);
    measureBatch(batch, batch.length, now, reporter, runs);
    assert.equal(reporter.records, 6);
    assert.equal(reporter.bytes, 30 + 2 + 40 + 30 + 5);
    const h = reporter.total;
    assert.equal(h.count, 6);
    assert.equal(h.min, 1_000); // 999 → 1,000: 1 ms, in µs
    assert.equal(h.max, 10_000);
    assert.equal(h.mean, (3 * 10_000 + 2 * 5_000 + 1_000) / 6);

    // Only the first n count; the runs' arrays grow for a larger batch and are reused otherwise.
    measureBatch(batch, 2, now, reporter, runs);
    assert.equal(reporter.records, 8);
    assert.equal(h.count, 8);
    const big = Array.from({ length: 5_000 }, (_, i) => message(900 + (i % 7), 1, null));
    const grown = runsFor(big.length, runs);
    assert.notEqual(grown, runs);
    assert.equal(runsFor(10, grown), grown);
    runs = grown;
    measureBatch(big, big.length, now, reporter, runs);
    assert.equal(reporter.records, 5_008);
    assert.equal(h.count, 5_008);
    assert.equal(runs.count[0], 5_000, 'every record starts a run when each timestamp differs from the last');
    assert.equal(h.max, 100_000);
  });
});

describe('rivulet perf', () => {
  let broker: TestBroker;
  before(async () => {
    broker = await startBroker();
  });
  after(async () => {
    await broker?.close();
  });

  test('produce then consume 20,000 records report the counts, as JSON', async () => {
    const produced = await rivulet(
      [
        'perf',
        'produce',
        '--topic',
        'perf-t',
        '--records',
        '20000',
        '--record-size',
        '100',
        '--partitions',
        '4',
        '--json',
        '-b',
        broker.url,
      ],
      { timeoutMs: 60_000 },
    );
    assert.equal(produced.code, 0, produced.stderr);
    const p = JSON.parse(produced.stdout) as Record<string, unknown> & { latencyMs: Record<string, number> };
    assert.equal(p.command, 'produce');
    assert.equal(p.records, 20_000);
    assert.equal(p.bytes, 2_000_000);
    assert.ok(p.latencyMs.p50! > 0 && p.latencyMs.p50! <= p.latencyMs.p99! && p.latencyMs.p99! <= p.latencyMs.max!);

    const consumed = await rivulet(
      ['perf', 'consume', '--topic', 'perf-t', '--records', '20000', '--json', '-b', broker.url],
      {
        timeoutMs: 60_000,
      },
    );
    assert.equal(consumed.code, 0, consumed.stderr);
    const c = JSON.parse(consumed.stdout) as Record<string, unknown>;
    assert.equal(c.command, 'consume');
    assert.equal(c.records, 20_000);
    assert.equal(c.bytes, 2_000_000);
  });

  test('keys, several connections and a throughput limit still send exactly --records', async () => {
    const res = await rivulet(
      [
        'perf',
        'produce',
        '--topic',
        'perf-keys',
        '--records',
        '5000',
        '--record-size',
        '10',
        '--key-cardinality',
        '7',
        '--connections',
        '3',
        '--throughput',
        '50000',
        '--acks',
        '1',
        '--json',
        '-b',
        broker.url,
      ],
      { timeoutMs: 60_000 },
    );
    assert.equal(res.code, 0, res.stderr);
    assert.equal((JSON.parse(res.stdout) as { records: number }).records, 5000);
  });

  test('--warmup-records sends that many more, unmeasured, before the measured run', async () => {
    const res = await rivulet(
      [
        'perf',
        'produce',
        '--topic',
        'perf-warm',
        '--records',
        '3000',
        '--record-size',
        '10',
        '--warmup-records',
        '2000',
        '--json',
        '-b',
        broker.url,
      ],
      { timeoutMs: 60_000 },
    );
    assert.equal(res.code, 0, res.stderr);
    const p = JSON.parse(res.stdout) as { records: number; settings: Record<string, number> };
    assert.equal(p.records, 3000, 'only the measured records are counted');
    assert.equal(p.settings.warmupRecords, 2000);
    assert.ok(
      p.settings.clientLoopDelayMaxMs! >= p.settings.clientLoopDelayP99Ms! && p.settings.clientLoopDelayP99Ms! >= 0,
    );
    assert.match(res.stderr, /warming up: 2000 records/);
    // Both phases reached the topic.
    const consumed = await rivulet(
      ['perf', 'consume', '--topic', 'perf-warm', '--records', '5000', '--json', '-b', broker.url],
      {
        timeoutMs: 60_000,
      },
    );
    assert.equal(consumed.code, 0, consumed.stderr);
    assert.equal((JSON.parse(consumed.stdout) as { records: number }).records, 5000);
  });

  test("--buffer-memory bounds the records in flight (default: Kafka's 32 MiB)", async () => {
    const run = async (topic: string, extra: string[]) => {
      const res = await rivulet(
        [
          'perf',
          'produce',
          '--topic',
          topic,
          '--records',
          '30000',
          '--record-size',
          '1000',
          ...extra,
          '--json',
          '-b',
          broker.url,
        ],
        { timeoutMs: 60_000 },
      );
      assert.equal(res.code, 0, res.stderr);
      return JSON.parse(res.stdout) as { records: number; settings: Record<string, number> };
    };
    // 2,048,000 bytes are 2,000 records of 1,000 bytes and a record's 24 bytes of overhead.
    const small = await run('perf-buffer-small', ['--buffer-memory', '2048000']);
    assert.equal(small.records, 30_000);
    assert.equal(small.settings.bufferMemory, 2_048_000);
    assert.ok(
      small.settings.peakInFlightRecords! >= 1000 && small.settings.peakInFlightRecords! <= 2000,
      String(small.settings.peakInFlightRecords),
    );
    const dflt = await run('perf-buffer-default', []);
    assert.equal(dflt.settings.bufferMemory, 32 * 1024 * 1024);
    assert.ok(dflt.settings.peakInFlightRecords! >= 1000 && dflt.settings.peakInFlightRecords! <= 30_000);
    const bad = await rivulet([
      'perf',
      'produce',
      '--topic',
      't',
      '--records',
      '1',
      '--record-size',
      '1',
      '--buffer-memory',
      '10',
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--buffer-memory/);
  });

  test('consume as a member of a consumer group reads every record', async () => {
    const produced = await rivulet(
      [
        'perf',
        'produce',
        '--topic',
        'perf-group',
        '--records',
        '3000',
        '--record-size',
        '20',
        '--partitions',
        '3',
        '-b',
        broker.url,
      ],
      { timeoutMs: 60_000 },
    );
    assert.equal(produced.code, 0, produced.stderr);
    const res = await rivulet(
      [
        'perf',
        'consume',
        '--topic',
        'perf-group',
        '--records',
        '3000',
        '--group',
        'perf-g',
        '--json',
        '-b',
        broker.url,
      ],
      { timeoutMs: 90_000 },
    );
    assert.equal(res.code, 0, res.stderr);
    const c = JSON.parse(res.stdout) as { records: number; settings: { group: string } };
    assert.equal(c.records, 3000);
    assert.equal(c.settings.group, 'perf-g');
  });

  test('consume of more records than the topic holds fails after --timeout-ms with the count', async () => {
    await rivulet([
      'perf',
      'produce',
      '--topic',
      'perf-few',
      '--records',
      '10',
      '--record-size',
      '1',
      '-b',
      broker.url,
    ]);
    const res = await rivulet(
      ['perf', 'consume', '--topic', 'perf-few', '--records', '11', '--timeout-ms', '1000', '-b', broker.url],
      {
        timeoutMs: 30_000,
      },
    );
    assert.equal(res.code, 1);
    assert.match(res.stderr, /only 10 of 11 records arrived/);
  });

  test('usage errors: missing options, options of the other mode', async () => {
    const missing = await rivulet(['perf', 'produce', '--topic', 't', '--records', '1']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--record-size is required/);
    const wrong = await rivulet(['perf', 'consume', '--topic', 't', '--records', '1', '--acks', '1']);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /--acks does not apply to perf consume/);
  });
});
