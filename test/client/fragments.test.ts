/**
 * Large produce requests leave the Node client as WebSocket fragments (header, then each batch:
 * Socket.sendParts) instead of one copied buffer. The broker must see exactly the same request,
 * and a fragmented message over its frame limit must fail the request, not hang it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Rivulet } from '../../src/client/index.js';
import { type Fixture, startBroker } from './fixture.js';

describe('fragmented produce requests', () => {
  let f: Fixture;
  let client: Rivulet;
  const sizes: number[] = [];
  before(async () => {
    f = await startBroker({ maxFrameBytes: 2 * 1024 * 1024, maxMessageBytes: 1024 * 1024 });
    client = f.client({ hooks: { onRequest: (r) => r.apiName === 'Produce' && sizes.push(r.bytes) } });
  });
  after(() => f.stop());

  it('batches of several partitions in one request arrive whole and in order', async () => {
    await client.admin().createTopics({ topics: [{ topic: 'frag', numPartitions: 3 }] });
    const producer = client.producer({ lingerMs: 20 });
    const value = (p: number, i: number) => `${p}:${i}:`.padEnd(1000, String.fromCharCode(97 + ((p + i) % 26)));
    const messages = [];
    for (let i = 0; i < 120; i++) for (let p = 0; p < 3; p++) messages.push({ partition: p, value: value(p, i) });
    const res = await producer.send({ topic: 'frag', messages });
    assert.equal(res.length, 360);
    assert.ok(sizes.some((b) => b >= 300_000), `one request carried the three batches (sizes ${sizes.join(', ')})`);
    const consumer = client.consumer({ maxWaitMs: 50 });
    consumer.assign([0, 1, 2].map((partition) => ({ topic: 'frag', partition, offset: 'earliest' as const })));
    const got = new Map<number, string[]>();
    let total = 0;
    for await (const batch of consumer) {
      for (const m of batch.messages) {
        const list = got.get(batch.partition) ?? [];
        list.push(m.value!.toString());
        got.set(batch.partition, list);
        total++;
      }
      if (total >= 360) break;
    }
    for (let p = 0; p < 3; p++) assert.deepEqual(got.get(p), Array.from({ length: 120 }, (_, i) => value(p, i)));
  });

  it('a fragmented message over the broker frame limit fails the request', async () => {
    await client.admin().createTopics({ topics: [{ topic: 'frag-big', numPartitions: 4 }] });
    const producer = client.producer({ lingerMs: 50, retry: { retries: 0 } });
    // Four batches of ~900 KB, each under max.message.bytes, one request of ~3.6 MB > 2 MiB.
    const big = 'x'.repeat(900_000);
    const sent = producer.send({ topic: 'frag-big', messages: [0, 1, 2, 3].map((partition) => ({ partition, value: big })) });
    await assert.rejects(sent, (err: Error & { code?: string }) => typeof err.code === 'string');
    // The broker serves a new connection as before.
    const again = await f.client().producer().send({ topic: 'frag-big', messages: [{ partition: 0, value: 'small' }] });
    assert.equal(again.length, 1);
  });
});
