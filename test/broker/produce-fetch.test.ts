import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiKeys } from '../../src/protocol/api.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { batchOf, decodeRaws, type RawClient, valueText } from './helpers/raw-client.js';
import { type Harness, httpGet, metricValue, sleep, startBroker } from './helpers/fixture.js';

describe('produce and fetch', () => {
  let h: Harness;
  before(async () => {
    h = await startBroker();
  });
  after(() => h.stop());

  it('acks=1 and acks=all answer with offsets; the records fetch back in order', async () => {
    await h.client.createTopic('basic');
    const a = await h.client.produceOne('basic', 0, batchOf(['a0', 'a1', 'a2']), 1);
    assert.equal(a.errorCode, 0);
    assert.equal(a.baseOffset, 0);
    const b = await h.client.produceOne('basic', 0, batchOf(['b0', 'b1']), -1);
    assert.equal(b.baseOffset, 3);
    const records = await h.client.readAll('basic', 0);
    assert.deepEqual(records.map(valueText), ['a0', 'a1', 'a2', 'b0', 'b1']);
    assert.deepEqual(
      records.map((r) => r.offset),
      [0, 1, 2, 3, 4],
    );
  });

  it('acks=0 gets no answer, and the records are appended', async () => {
    await h.client.createTopic('fire');
    const id = h.client.nextCorrelationId();
    let answered = false;
    h.client.expect(id).then(
      () => {
        answered = true;
      },
      () => {}, // rejected when the connection closes at the end
    );
    const batch = batchOf(['x', 'y']);
    const { encodeRequest } = await import('../../src/protocol/frame.js');
    h.client.sendRaw(
      encodeRequest(
        ApiKeys.Produce,
        0,
        id,
        { acks: 0, topics: [{ name: 'fire', partitions: [{ index: 0, bytes: batch.length }] }] },
        [batch],
      ),
    );
    // Requests on one connection are handled in order: this answer comes after the produce ran.
    assert.equal(await h.client.logEndOffset('fire', 0), 2);
    await sleep(50);
    assert.equal(answered, false);
  });

  it('auto-creates a topic on its first produce', async () => {
    const r = await h.client.produceOne('auto-created', 0, batchOf(['first']), -1);
    assert.equal(r.errorCode, 0);
    assert.deepEqual((await h.client.readAll('auto-created', 0)).map(valueText), ['first']);
  });

  it('one request carries many topics and partitions, each answered in place', async () => {
    await h.client.createTopic('multi-a', 2);
    await h.client.createTopic('multi-b', 1);
    const batches = [batchOf(['a0']), batchOf(['a1-1', 'a1-2']), batchOf(['b0'])];
    const r = await h.client.request(
      ApiKeys.Produce,
      {
        acks: -1,
        topics: [
          {
            name: 'multi-a',
            partitions: [
              { index: 0, bytes: batches[0]!.length },
              { index: 1, bytes: batches[1]!.length },
            ],
          },
          {
            name: 'multi-b',
            partitions: [
              { index: 0, bytes: batches[2]!.length },
              { index: 7, bytes: 0 },
            ],
          },
        ],
      },
      { payload: batches },
    );
    assert.equal(r.errorCode, 0);
    assert.deepEqual(
      r.body.topics[0].partitions.map((p: { errorCode: number }) => p.errorCode),
      [0, 0],
    );
    assert.equal(r.body.topics[1].partitions[0].errorCode, 0);
    assert.equal(r.body.topics[1].partitions[1].errorCode, 3, 'unknown partition, the others still appended');
    assert.deepEqual((await h.client.readAll('multi-a', 1)).map(valueText), ['a1-1', 'a1-2']);
    assert.deepEqual((await h.client.readAll('multi-b', 0)).map(valueText), ['b0']);
  });

  it('several producers on several partitions at once keep per-partition order', async () => {
    const partitions = 3;
    await h.client.createTopic('concurrent', partitions);
    const producers = await Promise.all([1, 2, 3, 4].map(() => h.connect()));
    const perProducer = 25;
    await Promise.all(
      producers.map(async (c, pi) => {
        const inflight: Promise<unknown>[] = [];
        for (let i = 0; i < perProducer; i++) {
          for (let p = 0; p < partitions; p++)
            inflight.push(c.produceOne('concurrent', p, batchOf([`p${pi}-${i}`]), i % 2 === 0 ? -1 : 1));
        }
        const results = (await Promise.all(inflight)) as Array<{ errorCode: number }>;
        assert.ok(results.every((r) => r.errorCode === 0));
      }),
    );
    for (let p = 0; p < partitions; p++) {
      const values = (await h.client.readAll('concurrent', p)).map(valueText);
      assert.equal(values.length, producers.length * perProducer);
      for (let pi = 0; pi < producers.length; pi++) {
        const mine = values.filter((v) => v.startsWith(`p${pi}-`));
        assert.deepEqual(
          mine,
          Array.from({ length: perProducer }, (_, i) => `p${pi}-${i}`),
          `producer ${pi} partition ${p}`,
        );
      }
    }
  });

  it('replays from any offset', async () => {
    await h.client.createTopic('replay');
    for (let b = 0; b < 10; b++)
      await h.client.produceOne('replay', 0, batchOf(Array.from({ length: 10 }, (_, i) => `v${b * 10 + i}`)), 1);
    for (const from of [0, 37, 50, 99]) {
      const records = await h.client.readAll('replay', 0, from);
      assert.equal(records[0]!.offset, from);
      assert.equal(valueText(records[0]!), `v${from}`);
      assert.equal(records.length, 100 - from);
    }
    assert.deepEqual(await h.client.fetchRecords('replay', 0, 100), [], 'at the log end: nothing, no error');
  });

  it('ListOffsets: earliest, latest and by timestamp', async () => {
    await h.client.createTopic('times');
    for (const [i, ts] of [1_000, 2_000, 3_000].entries()) {
      await h.client.produceOne(
        'times',
        0,
        encodeRecordBatch([{ value: `t${i}a` }, { value: `t${i}b` }], { timestamp: ts }),
        1,
      );
    }
    const at = async (timestamp: number) =>
      (await h.client.listOffset('times', 0, timestamp)).body.topics[0].partitions[0];
    assert.equal((await at(-2)).offset, 0);
    assert.equal((await at(-1)).offset, 6);
    assert.deepEqual([(await at(500)).offset, (await at(2_000)).offset, (await at(2_500)).offset], [0, 2, 4]);
    assert.equal((await at(2_000)).timestamp, 2_000);
    assert.deepEqual(await at(9_999), { index: 0, errorCode: 0, errorMessage: null, timestamp: -1, offset: -1 });
    const unknown = await h.client.listOffset('nope', 0, -1);
    assert.equal(unknown.body.topics[0].partitions[0].errorCode, 3);
    // Replay from a time: ListOffsets, then fetch from the offset it gives.
    const from = (await at(2_500)).offset;
    assert.deepEqual((await h.client.readAll('times', 0, from)).map(valueText), ['t2a', 't2b']);
  });

  it('fetch honours partitionMaxBytes and maxBytes but always returns one whole batch', async () => {
    await h.client.createTopic('sizes', 2);
    const batch = batchOf(['x'.repeat(1000)]);
    for (let i = 0; i < 10; i++) {
      await h.client.produceOne('sizes', 0, batch, 1);
      await h.client.produceOne('sizes', 1, batch, 1);
    }
    const one = await h.client.fetch('sizes', 0, 0, { partitionMaxBytes: 10 });
    assert.equal(decodeRaws(one.raws).length, 1, 'a batch over the limit still comes, alone');
    const some = await h.client.fetch('sizes', 0, 0, { partitionMaxBytes: batch.length * 3 + 10 });
    assert.equal(decodeRaws(some.raws).length, 3);
    const both = await h.client.request(ApiKeys.Fetch, {
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: batch.length * 4 + 10,
      topics: [
        {
          name: 'sizes',
          partitions: [
            { index: 0, fetchOffset: 0 },
            { index: 1, fetchOffset: 0 },
          ],
        },
      ],
    });
    assert.equal(decodeRaws(both.raws).length, 4, 'maxBytes bounds the whole response');
    const parts = both.body.topics[0].partitions;
    assert.equal(
      parts[0].chunks.reduce((a: number, b: number) => a + b, 0),
      both.raws.slice(0, parts[0].chunks.length).reduce((a, b) => a + b.length, 0),
    );
    assert.equal(parts[0].highWatermark, 10);
  });

  it('long-poll: answered as soon as data arrives, well before maxWaitMs', async () => {
    await h.client.createTopic('poll');
    const consumer = await h.connect();
    const maxWaitMs = 5_000;
    const started = performance.now();
    const pending = consumer.fetch('poll', 0, 0, { maxWaitMs, minBytes: 1 });
    let answeredEarly = false;
    pending.then(() => {
      answeredEarly = true;
    });
    await sleep(150);
    assert.equal(answeredEarly, false, 'not answered before there is data');
    await h.client.produceOne('poll', 0, batchOf(['wake']), 1);
    const r = await pending;
    const elapsed = performance.now() - started;
    assert.ok(elapsed < maxWaitMs / 2, `answered in ${elapsed} ms, well before maxWaitMs`);
    assert.deepEqual(decodeRaws(r.raws).map(valueText), ['wake']);
  });

  it('long-poll: not answered before minBytes, answered at maxWaitMs with what there is', async () => {
    await h.client.createTopic('poll-min');
    const consumer = await h.connect();
    const maxWaitMs = 600;
    const started = performance.now();
    const pending = consumer.fetch('poll-min', 0, 0, { maxWaitMs, minBytes: 100_000 });
    await sleep(50);
    await h.client.produceOne('poll-min', 0, batchOf(['small']), 1);
    const r = await pending;
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= maxWaitMs - 50, `answered after ${elapsed} ms: minBytes was not reached, so it waited`);
    assert.deepEqual(decodeRaws(r.raws).map(valueText), ['small']);
    // Enough bytes wake it before maxWaitMs.
    const big = consumer.fetch('poll-min', 0, 1, { maxWaitMs: 5_000, minBytes: 3_000 });
    const t0 = performance.now();
    await h.client.produceOne('poll-min', 0, batchOf(['y'.repeat(2_000)]), 1);
    await sleep(20);
    await h.client.produceOne('poll-min', 0, batchOf(['z'.repeat(2_000)]), 1);
    const rb = await big;
    assert.ok(performance.now() - t0 < 2_500);
    assert.equal(decodeRaws(rb.raws).length, 2);
  });

  it('many concurrent acks=all producers share fdatasyncs (group commit)', async () => {
    await h.client.createTopic('durable');
    const producers = await Promise.all([1, 2, 3, 4, 5].map(() => h.connect()));
    const before = metricValue((await httpGet(h.broker, '/metrics')).text, 'rivulet_fdatasync_total')!;
    const perProducer = 40;
    const results = await Promise.all(
      producers.flatMap((c: RawClient, pi) =>
        Array.from({ length: perProducer }, (_, i) => c.produceOne('durable', 0, batchOf([`${pi}-${i}`]), -1)),
      ),
    );
    assert.ok(results.every((r) => r.errorCode === 0));
    const requests = producers.length * perProducer;
    const syncs = metricValue((await httpGet(h.broker, '/metrics')).text, 'rivulet_fdatasync_total')! - before;
    assert.ok(syncs >= 1, 'acks=all syncs');
    assert.ok(syncs <= requests / 4, `${syncs} fdatasyncs for ${requests} acks=all requests`);
  });
});

describe('restart', () => {
  it('keeps every acknowledged record, and the next offsets follow on', async () => {
    const h = await startBroker();
    try {
      await h.client.createTopic('keep', 2);
      const expected: string[][] = [[], []];
      for (let i = 0; i < 30; i++) {
        const p = i % 2;
        const r = await h.client.produceOne('keep', p, batchOf([`k${i}`]), i % 3 === 0 ? 1 : -1);
        assert.equal(r.errorCode, 0);
        expected[p]!.push(`k${i}`);
      }
      await h.restart();
      for (const p of [0, 1]) assert.deepEqual((await h.client.readAll('keep', p)).map(valueText), expected[p]);
      const next = await h.client.produceOne('keep', 0, batchOf(['after']), -1);
      assert.equal(next.baseOffset, 15);
    } finally {
      await h.stop();
    }
  });

  it('flush interval and os modes answer acks=all after the append and keep records over a clean restart', async () => {
    for (const flush of ['interval:20', 'os']) {
      const h = await startBroker({ flush });
      try {
        for (let i = 0; i < 5; i++)
          assert.equal((await h.client.produceOne('modes', 0, batchOf([`${flush}-${i}`]), -1)).errorCode, 0);
        await h.restart();
        assert.equal((await h.client.readAll('modes', 0)).length, 5, flush);
      } finally {
        await h.stop();
      }
    }
  });
});
