import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Batch, Consumer, KafkaMessage, Rivulet } from '../../src/client/index.js';
import { eventually, type Fixture, sleep, startBroker, text } from './fixture.js';

/** Collects messages through eachMessage until `count` arrived, then disconnects. */
async function collect(consumer: Consumer, count: number): Promise<KafkaMessage[]> {
  const out: KafkaMessage[] = [];
  const running = consumer.run({
    eachMessage: async ({ message }) => {
      out.push(message);
      if (out.length === count) void consumer.disconnect();
    },
  });
  await running;
  return out;
}

describe('consumer', () => {
  let f: Fixture;
  let client: Rivulet;
  const T0 = 1_700_000_000_000;
  before(async () => {
    f = await startBroker();
    client = f.client();
    await client.admin().createTopics({ topics: [{ topic: 'replay', numPartitions: 1 }] });
    const producer = client.producer();
    // Three batches of 10, timestamps T0 + offset * 1000.
    for (let b = 0; b < 3; b++) {
      const messages = Array.from({ length: 10 }, (_, i) => ({
        value: `r${b * 10 + i}`,
        timestamp: T0 + (b * 10 + i) * 1000,
      }));
      await producer.send({ topic: 'replay', messages });
    }
  });
  after(() => f.stop());

  it("replays from 'earliest'", async () => {
    const c = client.consumer({ maxWaitMs: 50 });
    c.assign([{ topic: 'replay', partition: 0, offset: 'earliest' }]);
    const got = await collect(c, 30);
    assert.deepEqual(
      got.map((m) => m.offset),
      Array.from({ length: 30 }, (_, i) => i),
    );
    assert.deepEqual(
      got.map((m) => text(m.value)),
      Array.from({ length: 30 }, (_, i) => `r${i}`),
    );
  });

  it('replays from any offset, inside a batch too (earlier records of the batch are skipped)', async () => {
    for (const start of [0, 7, 10, 15, 29]) {
      const c = client.consumer({ maxWaitMs: 50 });
      c.assign([{ topic: 'replay', partition: 0, offset: start }]);
      const got = await collect(c, 30 - start);
      assert.equal(got[0]!.offset, start, `start ${start}`);
      assert.equal(got.length, 30 - start);
      assert.equal(text(got.at(-1)!.value), 'r29');
    }
  });

  it('replays by timestamp, to the first message at or after it', async () => {
    const c = client.consumer({ maxWaitMs: 50 });
    c.assign([{ topic: 'replay', partition: 0, offset: { timestamp: T0 + 13_500 } }]);
    const got = await collect(c, 16);
    assert.equal(got[0]!.offset, 14);
    assert.equal(got[0]!.timestamp, T0 + 14_000);
    assert.equal(got.at(-1)!.offset, 29);
  });

  it("'latest' and a timestamp past the end wait for new messages", async () => {
    const topic = 'tail';
    await client.admin().createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const producer = client.producer();
    await producer.send({ topic, messages: [{ value: 'old' }] });
    for (const offset of ['latest', { timestamp: Date.now() + 60_000 }] as const) {
      const c = client.consumer({ maxWaitMs: 100 });
      c.assign([{ topic, partition: 0, offset }]);
      const got: KafkaMessage[] = [];
      const running = c.run({ eachMessage: async ({ message }) => void got.push(message) });
      await eventually(() => c.position(topic, 0) >= 0, 5_000, 'the start offset');
      const [sent] = await producer.send({ topic, messages: [{ value: 'new' }] });
      await eventually(() => got.length === 1, 5_000, 'the new message');
      assert.equal(got[0]!.offset, sent!.offset);
      assert.equal(text(got[0]!.value), 'new');
      await c.disconnect();
      await running;
    }
  });

  it('for await iterates over batches; breaking out keeps the position', async () => {
    const c = client.consumer({ maxWaitMs: 50, maxBytesPerPartition: 1 }); // one batch per fetch
    c.assign([{ topic: 'replay', partition: 0, offset: 'earliest' }]);
    const seen: number[] = [];
    let batches = 0;
    for await (const batch of c as AsyncIterable<Batch>) {
      assert.equal(batch.topic, 'replay');
      assert.equal(batch.partition, 0);
      assert.equal(batch.highWatermark, 30);
      seen.push(...batch.messages.map((m) => m.offset));
      batches++;
      if (seen.length >= 10) break;
    }
    assert.ok(batches >= 1);
    assert.equal(c.position('replay', 0), seen.at(-1)! + 1);
    for await (const batch of c as AsyncIterable<Batch>) {
      seen.push(...batch.messages.map((m) => m.offset));
      if (seen.length >= 30) break;
    }
    assert.deepEqual(
      seen,
      Array.from({ length: 30 }, (_, i) => i),
    );
    await c.disconnect();
  });

  it('eachBatch gets whole batches with the high watermark; seek moves on', async () => {
    const c = client.consumer({ maxWaitMs: 50 });
    c.assign([{ topic: 'replay', partition: 0, offset: 25 }]);
    const batches: { first: number; count: number; hw: number }[] = [];
    let sought = false;
    const running = c.run({
      eachBatch: async ({ batch, isRunning }) => {
        assert.ok(isRunning());
        batches.push({ first: batch.messages[0]!.offset, count: batch.messages.length, hw: batch.highWatermark });
        if (!sought) {
          sought = true;
          c.seek({ topic: 'replay', partition: 0, offset: 3 });
        } else {
          void c.disconnect();
        }
      },
    });
    await running;
    assert.deepEqual(batches[0], { first: 25, count: 5, hw: 30 });
    assert.equal(batches[1]!.first, 3);
  });

  it('pause stops a partition, resume continues where it stopped', async () => {
    const topic = 'pausing';
    await client.admin().createTopics({ topics: [{ topic, numPartitions: 2 }] });
    const producer = client.producer();
    await producer.send({
      topic,
      messages: [
        { partition: 0, value: 'p0-a' },
        { partition: 1, value: 'p1-a' },
      ],
    });
    const c = client.consumer({ maxWaitMs: 50 });
    c.assign([
      { topic, partition: 0, offset: 'earliest' },
      { topic, partition: 1, offset: 'earliest' },
    ]);
    const got: string[] = [];
    let resumeP0: (() => void) | undefined;
    const running = c.run({
      eachMessage: async ({ partition, message, pause }) => {
        got.push(text(message.value)!);
        if (partition === 0 && resumeP0 === undefined) resumeP0 = pause();
      },
    });
    await eventually(() => got.length === 2, 5_000, 'both first messages');
    assert.deepEqual(c.paused(), [{ topic, partitions: [0] }]);
    await producer.send({
      topic,
      messages: [
        { partition: 0, value: 'p0-b' },
        { partition: 1, value: 'p1-b' },
      ],
    });
    await eventually(() => got.includes('p1-b'), 5_000, 'p1-b');
    await sleep(200);
    assert.ok(!got.includes('p0-b'), 'a paused partition delivers nothing');
    resumeP0!();
    await eventually(() => got.includes('p0-b'), 5_000, 'p0-b after resume');
    assert.deepEqual(
      got.filter((v) => v.startsWith('p0')),
      ['p0-a', 'p0-b'],
    );
    assert.deepEqual(c.paused(), []);
    await c.disconnect();
    await running;
  });

  it('disconnect stops a long-poll at once and resolves run()', async () => {
    const c = client.consumer({ maxWaitMs: 10_000 });
    c.assign([{ topic: 'replay', partition: 0, offset: 'latest' }]);
    const running = c.run({ eachMessage: async () => {} });
    await eventually(() => c.position('replay', 0) === 30, 5_000, 'the start offset');
    await sleep(50); // the fetch is now waiting at the broker
    const t = Date.now();
    await c.disconnect();
    await running;
    assert.ok(Date.now() - t < 1_000, `took ${Date.now() - t} ms`);
  });

  /**
   * Consumes 'replay' from offset 5 with two retries, handing each offset to `handle` (which the
   * eachMessage handler returns, so a sync throw stays sync), until run() rejects with `error`.
   */
  async function offsetsUntilRejected(
    handle: (offset: number) => Promise<void> | void,
    error: RegExp,
  ): Promise<number[]> {
    const c = f
      .client({ retry: { retries: 2, initialRetryTimeMs: 10, maxRetryTimeMs: 20 } })
      .consumer({ maxWaitMs: 50 });
    c.assign([{ topic: 'replay', partition: 0, offset: 5 }]);
    const offsets: number[] = [];
    await assert.rejects(
      c.run({
        eachMessage: ({ message }) => {
          offsets.push(message.offset);
          return handle(message.offset);
        },
      }),
      error,
    );
    return offsets;
  }

  it('a failing handler gets the same message again, then run() rejects past the retries', async () => {
    const offsets = await offsetsUntilRejected(async (offset) => {
      if (offset === 6) throw new Error('handler failed');
    }, /handler failed/);
    assert.deepEqual(offsets, [5, 6, 6, 6]);
  });

  it('a handler that is not async: its throw is retried the same way, its pause holds inside a batch', async () => {
    const offsets = await offsetsUntilRejected((offset) => {
      if (offset === 6) throw new Error('sync handler failed');
    }, /sync handler failed/);
    assert.deepEqual(offsets, [5, 6, 6, 6]);

    // Offsets 10..19 are one batch: a pause at 12 stops the batch there, resume goes on from 13.
    const p = client.consumer({ maxWaitMs: 50 });
    p.assign([{ topic: 'replay', partition: 0, offset: 10 }]);
    const seen: number[] = [];
    let resume: (() => void) | undefined;
    const running = p.run({
      eachMessage: ({ message, pause }) => {
        seen.push(message.offset);
        if (message.offset === 12) resume = pause();
      },
    });
    await eventually(() => resume !== undefined, 5_000, 'the pause at offset 12');
    await sleep(200);
    assert.deepEqual(seen, [10, 11, 12]);
    assert.equal(p.position('replay', 0), 13);
    resume!();
    await eventually(() => seen.length === 20, 5_000, 'offsets 13..29 after resume');
    assert.deepEqual(
      seen,
      Array.from({ length: 20 }, (_, i) => 10 + i),
    );
    await p.disconnect();
    await running;
  });

  it("offset out of range resets per autoOffsetReset; 'none' fails run()", async () => {
    const c = client.consumer({ maxWaitMs: 50, autoOffsetReset: 'earliest' });
    c.assign([{ topic: 'replay', partition: 0, offset: 1_000 }]);
    const got = await collect(c, 30);
    assert.equal(got[0]!.offset, 0);
    const strict = client.consumer({ maxWaitMs: 50, autoOffsetReset: 'none' });
    strict.assign([{ topic: 'replay', partition: 0, offset: 1_000 }]);
    await assert.rejects(strict.run({ eachMessage: async () => {} }), { code: 'OFFSET_OUT_OF_RANGE' });
  });

  it('partitionsConsumedConcurrently handles partitions side by side, each in order', async () => {
    const topic = 'parallel';
    await client.admin().createTopics({ topics: [{ topic, numPartitions: 3 }] });
    const producer = client.producer();
    await producer.send({
      topic,
      messages: Array.from({ length: 60 }, (_, i) => ({ partition: i % 3, value: String(Math.floor(i / 3)) })),
    });
    const c = client.consumer({ maxWaitMs: 50 });
    c.assign([0, 1, 2].map((partition) => ({ topic, partition, offset: 'earliest' as const })));
    const perPartition: number[][] = [[], [], []];
    let active = 0;
    let maxActive = 0;
    let total = 0;
    await c.run({
      partitionsConsumedConcurrently: 3,
      eachMessage: async ({ partition, message }) => {
        active++;
        maxActive = Math.max(maxActive, active);
        await sleep(1);
        perPartition[partition]!.push(Number(text(message.value)));
        active--;
        if (++total === 60) void c.disconnect();
      },
    });
    for (const list of perPartition)
      assert.deepEqual(
        list,
        Array.from({ length: 20 }, (_, i) => i),
      );
    assert.ok(maxActive > 1, 'partitions ran concurrently');
  });
});
