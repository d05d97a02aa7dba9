/**
 * The producer's pool of encoded-batch buffers (src/client/batch-buffers.ts): a buffer goes back
 * only once its batch is acknowledged after a single send. A retried, split or failed batch keeps
 * its bytes; acks=0 never uses the pool. Against a real broker, with the bytes that actually went
 * out captured at the socket.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BatchBufferPool, MIN_CLASS_BYTES } from '../../src/client/batch-buffers.js';
import {
  type Batch,
  nodeSocketFactory,
  type Producer,
  type Rivulet,
  type SocketFactory,
} from '../../src/client/index.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { eventually, type Fixture, startBroker, text } from './fixture.js';

/** The pool of a producer (a test's look inside: Producer.sender is private). */
function poolOf(p: Producer): BatchBufferPool {
  return (p as unknown as { sender: { buffers: BatchBufferPool } }).sender.buffers;
}

interface SentBatch {
  buffer: ArrayBufferLike;
  /** The bytes as they were when handed to the socket. */
  copy: Uint8Array;
}

/** A Node socket factory that records every batch sent as a fragment (produce payloads ≥ 64 KiB). */
function capturing(sent: SentBatch[]): SocketFactory {
  return async (url, timeoutMs, handlers) => {
    const socket = await nodeSocketFactory(url, timeoutMs, handlers);
    const sendParts = socket.sendParts!.bind(socket);
    return {
      send: (data) => socket.send(data),
      sendParts: (parts) => {
        for (const part of parts.slice(1)) sent.push({ buffer: part.buffer, copy: part.slice() });
        sendParts(parts);
      },
      close: (code, reason) => socket.close(code, reason),
      terminate: () => socket.terminate(),
      get bufferedAmount() {
        return socket.bufferedAmount;
      },
    };
  };
}

async function readValues(client: Rivulet, topic: string, partition: number, count: number): Promise<string[]> {
  const consumer = client.consumer({ maxWaitMs: 50 });
  consumer.assign([{ topic, partition, offset: 'earliest' }]);
  const out: string[] = [];
  for await (const batch of consumer as AsyncIterable<Batch>) {
    for (const m of batch.messages) out.push(text(m.value)!);
    if (out.length >= count) break;
  }
  await consumer.disconnect();
  return out;
}

describe('batch buffer pool', () => {
  it('a buffer given back is taken again, for sizes of its class only', () => {
    const pool = new BatchBufferPool(1 << 20);
    const a = pool.take(10_000);
    assert.equal(a.length, 16 * 1024);
    pool.give(a.subarray(0, 10_000));
    assert.equal(pool.idleBytes, 16 * 1024);
    assert.notEqual(pool.take(100).buffer, a.buffer, 'another class');
    assert.equal(pool.take(9_000).buffer, a.buffer);
    assert.equal(pool.idleBytes, 0);
    assert.equal(pool.take(1).length, MIN_CLASS_BYTES);
  });

  it('a buffer given back twice, or not from the pool, is not taken back', () => {
    const pool = new BatchBufferPool(1 << 20);
    const a = pool.take(5_000);
    pool.give(a);
    pool.give(a);
    pool.give(new Uint8Array(8 * 1024));
    assert.equal(pool.idleBytes, 8 * 1024);
    const b = pool.take(5_000);
    const c = pool.take(5_000);
    assert.equal(b.buffer, a.buffer);
    assert.notEqual(c.buffer, a.buffer, 'one buffer handed to two batches');
  });

  it('free buffers beyond the byte cap are dropped', () => {
    const pool = new BatchBufferPool(64 * 1024);
    const taken = [pool.take(40_000), pool.take(40_000), pool.take(40_000)];
    for (const t of taken) pool.give(t);
    assert.equal(pool.idleBytes, 64 * 1024);
    pool.clear();
    assert.equal(pool.idleBytes, 0);
  });

  it('a batch encoded into a used buffer is the same as into a fresh one', () => {
    const records = [
      { key: 'k', value: 'héllo wörld '.repeat(10), headers: { h: 'v' } },
      { key: null, value: new Uint8Array(300).fill(7), timestamp: 5 },
      { value: null },
    ];
    const opts = { timestamp: 1_000, producerId: 3, producerEpoch: 1, baseSequence: 9 };
    const dirty = new Uint8Array(64 * 1024).fill(0xa5);
    const reused = encodeRecordBatch(records, { ...opts, allocate: () => dirty });
    assert.equal(reused.buffer, dirty.buffer);
    assert.deepEqual(reused, encodeRecordBatch(records, opts));
    assert.throws(() => encodeRecordBatch(records, { ...opts, allocate: () => new Uint8Array(10) }), RangeError);
  });
});

describe('producer batch buffers against a broker', () => {
  let f: Fixture;
  let client: Rivulet;
  const sent: SentBatch[] = [];
  let dropNextProduce = 0;
  before(async () => {
    f = await startBroker();
    client = f.client({
      socketFactory: capturing(sent),
      hooks: {
        onResponse: (info) => {
          if (info.apiName !== 'Produce' || dropNextProduce === 0) return 'deliver';
          dropNextProduce--;
          return 'drop';
        },
      },
    });
  });
  after(() => f.stop());

  it('a batch buffer is reused once its batch is acknowledged', async () => {
    await client.admin().createTopics({ topics: [{ topic: 'reuse', numPartitions: 1 }] });
    const producer = client.producer();
    const value = (i: number, j: number) => `${i}:${j}:`.padEnd(1000, String.fromCharCode(97 + ((i + j) % 26)));
    sent.length = 0;
    for (let i = 0; i < 4; i++) {
      await producer.send({
        topic: 'reuse',
        messages: Array.from({ length: 100 }, (_, j) => ({ value: value(i, j) })),
      });
    }
    assert.equal(sent.length, 4);
    for (const s of sent) assert.equal(s.buffer, sent[0]!.buffer, 'each send reused the first one’s buffer');
    assert.equal(poolOf(producer).allocated, 1);
    assert.equal(poolOf(producer).reused, 3);
    const got = await readValues(client, 'reuse', 0, 400);
    assert.deepEqual(
      got,
      Array.from({ length: 400 }, (_, k) => value(Math.floor(k / 100), k % 100)),
    );
    await producer.close();
  });

  it('a retried batch goes out again with the very bytes it first had, and its buffer is not reused', async () => {
    await client.admin().createTopics({ topics: [{ topic: 'retried', numPartitions: 2 }] });
    const producer = client.producer();
    const value = (p: number, i: number, j: number) =>
      `${p}:${i}:${j}:`.padEnd(1000, String.fromCharCode(97 + ((p + i + j) % 26)));
    const batch = (p: number, i: number) =>
      Array.from({ length: 100 }, (_, j) => ({ partition: p, value: value(p, i, j) }));
    sent.length = 0;
    dropNextProduce = 1; // the broker appends it; the client never hears so and sends it again
    const first = producer.send({ topic: 'retried', messages: batch(0, 0) });
    await eventually(() => sent.length === 1, 5_000, 'the first batch sent');
    // Meanwhile other batches are acknowledged and their buffers reused.
    for (let i = 0; i < 4; i++) await producer.send({ topic: 'retried', messages: batch(1, i) });
    await first;
    const dropped = sent[0]!;
    const again = sent.filter((s) => s.buffer === dropped.buffer);
    assert.equal(again.length, 2, 'sent twice from its buffer, never handed to another batch');
    assert.deepEqual(again[1]!.copy, dropped.copy);
    await producer.send({ topic: 'retried', messages: batch(0, 1) });
    assert.notEqual(sent[sent.length - 1]!.buffer, dropped.buffer, 'the retried batch’s buffer did not go back');
    assert.deepEqual(
      await readValues(client, 'retried', 0, 200),
      [...batch(0, 0), ...batch(0, 1)].map((m) => m.value),
    );
    assert.deepEqual(
      await readValues(client, 'retried', 1, 400),
      [0, 1, 2, 3].flatMap((i) => batch(1, i).map((m) => m.value)),
    );
    await producer.close();
  });

  it('a split batch keeps its buffer: its halves are encoded from its bytes', async () => {
    await client.admin().createTopics({
      topics: [{ topic: 'split', numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '1000' }] }],
    });
    const producer = client.producer();
    const values = ['a'.repeat(600), 'b'.repeat(600)];
    // One batch of two records is too large for the topic: it goes as two halves, of the pool's
    // smallest class, the class the whole batch had. Were its buffer given back, a half would be
    // encoded into the very bytes its records are read from.
    const res = await producer.send({ topic: 'split', messages: values.map((value) => ({ value })) });
    assert.deepEqual(
      res.map((r) => r.offset),
      [0, 1],
    );
    assert.deepEqual(await readValues(client, 'split', 0, 2), values);
    const pool = poolOf(producer);
    // The whole batch, then both halves (encoded together when the epoch is bumped); the halves'
    // buffers come back, the whole batch's does not.
    assert.equal(pool.allocated, 3);
    assert.equal(pool.idleBytes, 2 * MIN_CLASS_BYTES);
    await producer.close();
  });

  it('a failed batch keeps its buffer; acks=0 batches never use the pool', async () => {
    await client.admin().createTopics({
      topics: [{ topic: 'failed', numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '1000' }] }],
    });
    const producer = client.producer();
    const pool = poolOf(producer);
    await assert.rejects(producer.send({ topic: 'failed', messages: [{ value: 'x'.repeat(2_000) }] }), {
      code: 'MESSAGE_TOO_LARGE',
    });
    assert.equal(pool.allocated, 1);
    assert.equal(pool.idleBytes, 0);
    await producer.send({ topic: 'failed', messages: [{ value: 'ok' }] });
    assert.equal(pool.allocated, 2);
    assert.equal(pool.idleBytes, MIN_CLASS_BYTES);
    await producer.send({ topic: 'failed', messages: [{ value: 'fire and forget' }], acks: 0 });
    assert.equal(pool.allocated + pool.reused, 2);
    await producer.send({ topic: 'failed', messages: [{ value: 'ok again' }] });
    assert.equal(pool.reused, 1);
    assert.deepEqual(await readValues(client, 'failed', 0, 3), ['ok', 'fire and forget', 'ok again']);
    await producer.close();
  });
});
