/**
 * Small sends share the producer's scratch columns (src/client/send-scratch.ts): nothing of one
 * send may show in the next, a send that fails its checks leaves the scratch usable, and a send
 * started from inside another (a custom partitioner) gets columns of its own.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Producer, Rivulet } from '../../src/client/index.js';
import { type Fixture, readAll, startBroker, text } from './fixture.js';

describe('producer: the scratch shared by small sends', () => {
  let f: Fixture;
  let client: Rivulet;
  before(async () => {
    f = await startBroker();
    client = f.client();
    await client.admin().createTopics({
      topics: [
        { topic: 'scratch', numPartitions: 1 },
        { topic: 'scratch-inner', numPartitions: 1 },
      ],
    });
  });
  after(() => f.stop());

  it('keys and headers of one send never show in the next; a refused send leaves nothing behind', async () => {
    const producer = client.producer();
    await producer.send({
      topic: 'scratch',
      messages: [
        { key: 'k0', value: 'v0', headers: { h: 'a' } },
        { key: 'k1', value: 'v1' },
        { value: 'v2', headers: { h: 'c', g: 'd' } },
      ],
    });
    await producer.send({
      topic: 'scratch',
      messages: [{ value: 'v3' }, { value: 'v4', headers: { h: 'b' } }, { value: 'v5' }],
    });
    await assert.rejects(
      producer.send({
        topic: 'scratch',
        messages: [{ key: 'k6', value: 'v6', headers: { h: 'x' } }, { value: 'v7' }, { value: 42 as never }],
      }),
      { code: 'INVALID_ARGUMENT' },
    );
    // The refused send had put a header at index 0: it must not show on v8.
    await producer.send({ topic: 'scratch', messages: [{ value: 'v8' }, { value: 'v9', headers: { h: 'e' } }] });
    const got = await readAll(client, 'scratch', 0, 8);
    assert.deepEqual(
      got.map((m) => ({
        key: text(m.key),
        value: text(m.value),
        headers: Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, text(v as Uint8Array)])),
      })),
      [
        { key: 'k0', value: 'v0', headers: { h: 'a' } },
        { key: 'k1', value: 'v1', headers: {} },
        { key: null, value: 'v2', headers: { h: 'c', g: 'd' } },
        { key: null, value: 'v3', headers: {} },
        { key: null, value: 'v4', headers: { h: 'b' } },
        { key: null, value: 'v5', headers: {} },
        { key: null, value: 'v8', headers: {} },
        { key: null, value: 'v9', headers: { h: 'e' } },
      ],
    );
    await producer.close();
  });

  it('a send from inside a custom partitioner gets columns of its own', async () => {
    let producer!: Producer;
    const inner: Promise<unknown>[] = [];
    producer = client.producer({
      partitioner: ({ topic, message }) => {
        // Metadata of the inner topic is cached: its send writes its records before this returns.
        if (topic === 'scratch-inner') return 0;
        inner.push(producer.send({ topic: 'scratch-inner', messages: [{ value: `inner-${String(message.value)}` }] }));
        return 0;
      },
    });
    await producer.send({ topic: 'scratch-inner', messages: [{ value: 'warm' }] });
    const outer = ['a', 'b', 'c', 'd'].map((v) => ({ key: `key-${v}`, value: v }));
    await producer.send({ topic: 'scratch', messages: outer });
    await Promise.all(inner);
    const before = 8; // the first test's records
    const got = await readAll(client, 'scratch', 0, before + outer.length);
    assert.deepEqual(
      got.slice(before).map((m) => [text(m.key), text(m.value)]),
      outer.map((m) => [m.key, m.value]),
    );
    const innerGot = await readAll(client, 'scratch-inner', 0, 1 + outer.length);
    assert.deepEqual(
      innerGot.map((m) => text(m.value)),
      ['warm', 'inner-a', 'inner-b', 'inner-c', 'inner-d'],
    );
    await producer.close();
  });
});
