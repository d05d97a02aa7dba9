import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Rivulet, RivuletError } from '../../src/client/index.js';
import { murmur2 } from '../../src/protocol/murmur2.js';
import { type Fixture, produceCounting, readAll, startBroker, text } from './fixture.js';

// Kafka's own murmur2 vectors (clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java).
const KAFKA_MURMUR2: [string, number][] = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
];

describe('producer', () => {
  let f: Fixture;
  let client: Rivulet;
  before(async () => {
    f = await startBroker();
    client = f.client();
  });
  after(() => f.stop());

  it('a keyed send lands on the partition Kafka picks (murmur2 vectors)', async () => {
    const admin = client.admin();
    await admin.createTopics({ topics: [{ topic: 'keyed', numPartitions: 7 }] });
    const producer = client.producer();
    for (const [key, hash] of KAFKA_MURMUR2) {
      assert.equal(murmur2(new TextEncoder().encode(key)), hash, `murmur2(${key})`);
      const [meta] = await producer.send({ topic: 'keyed', messages: [{ key, value: `v-${key}` }] });
      assert.equal(meta!.partition, (hash & 0x7fffffff) % 7, `partition of key ${key}`);
    }
    // Buffer keys hash the same as string keys.
    const [m] = await producer.send({ topic: 'keyed', messages: [{ key: Buffer.from('foobar'), value: 'x' }] });
    assert.equal(m!.partition, (-790332482 & 0x7fffffff) % 7);
  });

  it('send resolves one offset per message, in order, across partitions', async () => {
    await client.admin().createTopics({ topics: [{ topic: 'order', numPartitions: 3 }] });
    const producer = client.producer();
    const messages = Array.from({ length: 30 }, (_, i) => ({ partition: i % 3, value: `m${i}` }));
    const res = await producer.send({ topic: 'order', messages });
    assert.equal(res.length, 30);
    for (let i = 0; i < 30; i++) {
      assert.equal(res[i]!.topic, 'order');
      assert.equal(res[i]!.partition, i % 3);
      assert.equal(res[i]!.offset, Math.floor(i / 3));
    }
    const again = await producer.send({ topic: 'order', messages: [{ partition: 1, value: 'next' }] });
    assert.deepEqual(again, [{ topic: 'order', partition: 1, offset: 10 }]);
  });

  it('several producers on several partitions at once keep per-partition order', async () => {
    const partitions = 4;
    await client.admin().createTopics({ topics: [{ topic: 'concurrent', numPartitions: partitions }] });
    const producers = [client.producer(), client.producer({ lingerMs: 5 }), client.producer({ maxInFlight: 1 })];
    const perProducer = 200;
    await Promise.all(
      producers.map(async (p, pi) => {
        const sends: Promise<unknown>[] = [];
        for (let i = 0; i < perProducer; i++) {
          sends.push(p.send({ topic: 'concurrent', messages: [{ partition: i % partitions, value: `${pi}:${i}` }] }));
        }
        await Promise.all(sends);
      }),
    );
    let total = 0;
    for (let part = 0; part < partitions; part++) {
      const expected = (perProducer / partitions) * producers.length;
      const messages = await readAll(client, 'concurrent', part, expected);
      assert.equal(messages.length, expected);
      total += messages.length;
      const last = new Map<string, number>();
      for (const m of messages) {
        const [pi, i] = text(m.value)!.split(':');
        const prev = last.get(pi!) ?? -1;
        assert.ok(Number(i) > prev, `producer ${pi} on partition ${part}: ${i} after ${prev}`);
        last.set(pi!, Number(i));
      }
    }
    assert.equal(total, perProducer * producers.length);
  });

  it('keyless records stick to one partition per batch', async () => {
    await client.admin().createTopics({ topics: [{ topic: 'sticky', numPartitions: 5 }] });
    const producer = client.producer();
    const res = await producer.send({
      topic: 'sticky',
      messages: Array.from({ length: 50 }, (_, i) => ({ value: `v${i}` })),
    });
    assert.equal(new Set(res.map((r) => r.partition)).size, 1);
    assert.deepEqual(
      res.map((r) => r.offset),
      Array.from({ length: 50 }, (_, i) => i),
    );
  });

  it('gzip batches round-trip end to end, headers and keys included', async () => {
    const producer = client.producer({ compression: 'gzip' });
    await client.admin().createTopics({ topics: [{ topic: 'gzip', numPartitions: 1 }] });
    const value = 'compressible '.repeat(50);
    const messages = Array.from({ length: 100 }, (_, i) => ({
      key: `k${i}`,
      value: `${i} ${value}`,
      headers: { trace: `t${i}`, bin: Buffer.from([i]), multi: ['a', 'b'] },
      timestamp: 1_700_000_000_000 + i,
    }));
    const res = await producer.send({ topic: 'gzip', messages });
    assert.deepEqual(
      res.map((r) => r.offset),
      Array.from({ length: 100 }, (_, i) => i),
    );
    const got = await readAll(client, 'gzip', 0, 100);
    assert.equal(got.length, 100);
    got.forEach((m, i) => {
      assert.equal(m.offset, i);
      assert.equal(text(m.key), `k${i}`);
      assert.equal(text(m.value), `${i} ${value}`);
      assert.equal(m.timestamp, 1_700_000_000_000 + i);
      assert.ok(Buffer.isBuffer(m.value));
      assert.equal(m.headers.trace!.toString(), `t${i}`);
      assert.deepEqual([...(m.headers.bin as Buffer)], [i]);
      assert.deepEqual((m.headers.multi as Buffer[]).map(String), ['a', 'b']);
    });
  });

  it('sendBatch sends several topics; acks 0 resolves with offset -1', async () => {
    const admin = client.admin();
    await admin.createTopics({
      topics: [
        { topic: 'batch-a', numPartitions: 1 },
        { topic: 'batch-b', numPartitions: 1 },
      ],
    });
    const producer = client.producer();
    const res = await producer.sendBatch({
      topicMessages: [
        { topic: 'batch-a', messages: [{ value: 'a0' }, { value: 'a1' }] },
        { topic: 'batch-b', messages: [{ value: 'b0' }] },
      ],
    });
    assert.deepEqual(res, [
      { topic: 'batch-a', partition: 0, offset: 0 },
      { topic: 'batch-a', partition: 0, offset: 1 },
      { topic: 'batch-b', partition: 0, offset: 0 },
    ]);
    const zero = await producer.send({ topic: 'batch-a', acks: 0, messages: [{ value: 'fire' }, { value: 'forget' }] });
    assert.deepEqual(
      zero.map((r) => r.offset),
      [-1, -1],
    );
    const one = await producer.send({ topic: 'batch-a', acks: 1, messages: [{ value: 'a4' }] });
    assert.equal(one[0]!.offset, 4);
  });

  it('lingerMs gathers separate sends into one batch; flush sends at once', async () => {
    await client.admin().createTopics({ topics: [{ topic: 'linger', numPartitions: 1 }] });
    const { client: counting, produceRequests } = produceCounting(f);
    const producer = counting.producer({ lingerMs: 10_000 });
    const sends = Array.from({ length: 20 }, (_, i) =>
      producer.send({ topic: 'linger', messages: [{ value: `l${i}` }] }),
    );
    await producer.flush();
    const res = await Promise.all(sends);
    assert.deepEqual(
      res.map((r) => r[0]!.offset),
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.equal(produceRequests(), 1);
  });

  it('a batch the broker refuses fails alone; later batches of the partition land once, in order', async () => {
    await client.admin().createTopics({
      topics: [{ topic: 'refused', numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '1000' }] }],
    });
    const producer = client.producer({ maxInFlight: 5 });
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    const sends: Promise<unknown>[] = [];
    for (let round = 0; round < 3; round++) {
      sends.push(producer.send({ topic: 'refused', messages: [{ value: `small-${round}-a` }] }));
      await tick();
      sends.push(producer.send({ topic: 'refused', messages: [{ value: 'x'.repeat(2_000) }] }));
      await tick();
      sends.push(producer.send({ topic: 'refused', messages: [{ value: `small-${round}-b` }] }));
      await tick();
    }
    const results = await Promise.allSettled(sends);
    results.forEach((r, i) => {
      if (i % 3 === 1) {
        assert.equal(r.status, 'rejected');
        assert.equal((r as PromiseRejectedResult).reason.code, 'MESSAGE_TOO_LARGE');
      } else {
        assert.equal(r.status, 'fulfilled', `send ${i}: ${(r as PromiseRejectedResult).reason}`);
      }
    });
    const values = (await readAll(client, 'refused', 0, 6)).map((m) => text(m.value));
    assert.deepEqual(values, ['small-0-a', 'small-0-b', 'small-1-a', 'small-1-b', 'small-2-a', 'small-2-b']);
    // And the producer goes on normally afterwards.
    const [r] = await producer.send({ topic: 'refused', messages: [{ value: 'after' }] });
    assert.equal(r!.offset, 6);
  });

  it('after a batch is refused as too large, later batches of the topic are cut to fit, on every partition', async () => {
    await client.admin().createTopics({
      topics: [{ topic: 'smaller', numPartitions: 4, configEntries: [{ name: 'max.message.bytes', value: '65536' }] }],
    });
    let bumps = 0; // each split restarts the producer's sequences under a new epoch
    const counting = f.client({
      hooks: {
        onRequest: (info) => {
          if (info.apiName === 'InitProducerId') bumps++;
        },
      },
    });
    const producer = counting.producer(); // batchBytes 1 MiB, far above the topic's 64 KiB
    const value = (round: number, i: number) => `${round}-${i}-${'x'.repeat(200)}`;
    const send = (round: number, partition: (i: number) => number) =>
      producer.send({
        topic: 'smaller',
        messages: Array.from({ length: 2000 }, (_, i) => ({ value: value(round, i), partition: partition(i) })),
      });
    // ~460 KB to partition 0 in one batch: refused, then split until the parts fit.
    const first = await send(0, () => 0);
    assert.deepEqual(
      first.map((r) => r.offset),
      Array.from({ length: 2000 }, (_, i) => i),
    );
    const afterFirst = bumps;
    assert.ok(afterFirst > 1, 'the first batch was refused');
    // Then partitions 1..3, which have not been refused anything themselves.
    for (let round = 1; round <= 3; round++) {
      const results = await send(round, () => round);
      assert.deepEqual(
        results.map((r) => [r.partition, r.offset]),
        Array.from({ length: 2000 }, (_, i) => [round, i]),
      );
    }
    assert.equal(bumps, afterFirst, 'no batch was refused again');
    for (let p = 0; p <= 3; p++) {
      const values = (await readAll(client, 'smaller', p, 2000)).map((m) => text(m.value));
      assert.deepEqual(
        values,
        Array.from({ length: 2000 }, (_, i) => value(p, i)),
        `partition ${p}`,
      );
    }
    await counting.close();
  });

  it('invalid input is refused before anything is sent', async () => {
    const producer = client.producer();
    await assert.rejects(
      producer.send({ topic: 'order', messages: [{ value: 'ok' }, { value: 42 as unknown as string }] }),
      (err: RivuletError) => err.code === 'INVALID_ARGUMENT' && err.path === 'messages/1/value',
    );
    await assert.rejects(
      producer.send({ topic: 'order', messages: [{ value: 'x', partition: 3 }] }),
      (err: RivuletError) => err.code === 'INVALID_ARGUMENT' && /0\.\.2/.test(err.message),
    );
    await assert.rejects(
      producer.send({ topic: 'order', acks: 2 as 1, messages: [{ value: 'x' }] }),
      (err: RivuletError) => err.code === 'INVALID_ARGUMENT',
    );
  });

  it('a closed producer refuses sends; close flushes what was queued', async () => {
    await client.admin().createTopics({ topics: [{ topic: 'closing', numPartitions: 1 }] });
    const producer = client.producer({ lingerMs: 10_000 });
    const pending = producer.send({ topic: 'closing', messages: [{ value: 'last' }] });
    await producer.close();
    assert.deepEqual(await pending, [{ topic: 'closing', partition: 0, offset: 0 }]);
    await assert.rejects(producer.send({ topic: 'closing', messages: [{ value: 'x' }] }), { code: 'CLIENT_CLOSED' });
  });
});
