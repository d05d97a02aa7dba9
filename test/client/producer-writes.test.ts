import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message, Rivulet } from '../../src/client/index.js';
import { produceCounting, readAll, suiteBroker, text } from './fixture.js';

// Records are written into their batches during send(): these hold the SDK to what that promises.
describe('producer: records written during send()', () => {
  const suite = suiteBroker();

  it('messages and their buffers may be reused as soon as send() returns', async () => {
    const { client } = suite;
    await client.admin().createTopics({ topics: [{ topic: 'reuse', numPartitions: 1 }] });
    // The first send to a topic waits for its metadata (not cached yet); the second does not.
    for (const topic of ['reuse', 'reuse']) await reuseRightAfterSend(client, topic);
  });

  async function reuseRightAfterSend(client: Rivulet, topic: string): Promise<void> {
    // A long linger: the batch is still waiting when the caller reuses everything.
    const producer = client.producer({ lingerMs: 10_000 });
    const value = Buffer.from('original-value');
    const key = Buffer.from('original-key');
    const message: Message = {
      key,
      value,
      headers: { h: Buffer.from('original-header') },
      timestamp: 1_700_000_000_000,
    };
    const sent = producer.send({ topic, messages: [message] });
    value.fill(0x78);
    key.fill(0x79);
    message.value = 'replaced';
    message.timestamp = 1;
    (message.headers as Record<string, Buffer>).h!.fill(0x7a);
    await producer.flush();
    const [meta] = await sent;
    const m = (await readAll(client, topic, 0, meta!.offset + 1))[meta!.offset];
    assert.equal(text(m!.value), 'original-value');
    assert.equal(text(m!.key), 'original-key');
    assert.equal(text(m!.headers!.h as Buffer), 'original-header');
    assert.equal(m!.timestamp, 1_700_000_000_000);
    await producer.close();
  }

  it('a batch kept open across sends outgrows its first buffer; every field survives', async () => {
    await suite.client.admin().createTopics({ topics: [{ topic: 'grow', numPartitions: 1 }] });
    const { client: counting, produceRequests } = produceCounting(suite.f);
    const producer = counting.producer({ lingerMs: 10_000 });
    // One small record first (its batch gets a small buffer), then 300 records of 1 KiB: the
    // same open batch has to move to a larger buffer, more than once.
    const first = producer.send({ topic: 'grow', messages: [{ key: 'k0', value: 'tiny', timestamp: 2_000 }] });
    const big = Array.from({ length: 300 }, (_, i) => ({
      key: i % 2 === 0 ? `k${i + 1}` : null,
      value: Buffer.alloc(1024, i % 251),
      // Earlier than the first record: negative deltas from the batch's base timestamp.
      timestamp: 1_000 + i,
      ...(i % 3 === 0 ? { headers: { n: String(i), é: 'ü' } } : {}),
    }));
    const rest = producer.send({ topic: 'grow', messages: big });
    await producer.flush();
    const offsets = [...(await first), ...(await rest)].map((r) => r.offset);
    assert.deepEqual(
      offsets,
      Array.from({ length: 301 }, (_, i) => i),
    );
    assert.equal(produceRequests(), 1, 'one batch, one request');
    const got = await readAll(counting, 'grow', 0, 301);
    assert.equal(text(got[0]!.value), 'tiny');
    assert.equal(got[0]!.timestamp, 2000);
    for (let i = 0; i < 300; i++) {
      const m = got[i + 1]!;
      assert.equal(text(m.key), i % 2 === 0 ? `k${i + 1}` : null);
      assert.ok(Buffer.from(m.value!).equals(Buffer.alloc(1024, i % 251)), `value ${i}`);
      assert.equal(m.timestamp, 1_000 + i);
      if (i % 3 === 0)
        assert.deepEqual(
          { n: text(m.headers!.n as Buffer), é: text(m.headers!.é as Buffer) },
          { n: String(i), é: 'ü' },
        );
      else assert.deepEqual(m.headers, {});
    }
    await counting.close();
  });

  it('string keys and values: ASCII ones written as they are, others (é, emoji, a lone surrogate) as UTF-8', async () => {
    const { client } = suite;
    await client.admin().createTopics({ topics: [{ topic: 'strings', numPartitions: 1 }] });
    const values = [
      'a'.repeat(40),
      `${'a'.repeat(39)}é`,
      'é'.repeat(40),
      `${'x'.repeat(50)}🙂${'y'.repeat(50)}`,
      `${'z'.repeat(40)}\ud800`,
      'b'.repeat(5000),
      'short',
      'é',
      '',
      null,
    ];
    // Keys in turn: none, bytes, an ASCII string, a string that is not ASCII.
    const keyOf = (i: number) => [null, Buffer.from(`k${i}`), `k${i}`, `ключ-${i}`][i % 4]!;
    const producer = client.producer({ lingerMs: 10_000 });
    const messages = values.map((value, i) => ({ key: keyOf(i), value }));
    const sent = producer.send({ topic: 'strings', messages });
    await producer.flush();
    assert.equal((await sent).length, values.length);
    const got = await readAll(client, 'strings', 0, values.length);
    // A lone surrogate has no UTF-8 form: TextEncoder writes U+FFFD, as for every other string.
    const utf8 = (v: string | Buffer | null) =>
      v === null ? null : new TextDecoder().decode(typeof v === 'string' ? new TextEncoder().encode(v) : v);
    assert.deepEqual(
      got.map((m) => text(m.value)),
      values.map(utf8),
    );
    assert.deepEqual(
      got.map((m) => text(m.key)),
      values.map((_, i) => utf8(keyOf(i))),
    );
  });

  it('keyed records over many partitions and acks 0 all land, each where its key says', async () => {
    const { client } = suite;
    await client.admin().createTopics({ topics: [{ topic: 'spread', numPartitions: 16 }] });
    const producer = client.producer();
    const messages = Array.from({ length: 2000 }, (_, i) => ({ key: `key-${i % 97}`, value: `v${i}` }));
    const res = await producer.send({ topic: 'spread', messages });
    const perPartition = new Map<number, string[]>();
    for (let i = 0; i < res.length; i++) {
      const list = perPartition.get(res[i]!.partition) ?? [];
      assert.equal(res[i]!.offset, list.length, `offsets of partition ${res[i]!.partition} run in send order`);
      list.push(`v${i}`);
      perPartition.set(res[i]!.partition, list);
    }
    assert.ok(perPartition.size > 8, 'the keys spread over the partitions');
    for (const [p, values] of perPartition) {
      const got = await readAll(client, 'spread', p, values.length);
      assert.deepEqual(
        got.map((m) => text(m.value)),
        values,
      );
    }
    const fire = client.producer({ acks: 0 });
    const zero = await fire.send({
      topic: 'spread',
      messages: [
        { partition: 3, value: 'a0' },
        { partition: 3, value: 'b0' },
      ],
    });
    assert.deepEqual(
      zero.map((r) => r.offset),
      [-1, -1],
    );
    const before = perPartition.get(3)?.length ?? 0;
    const tail = (await readAll(client, 'spread', 3, before + 2)).slice(before);
    assert.deepEqual(
      tail.map((m) => text(m.value)),
      ['a0', 'b0'],
    );
  });
});
