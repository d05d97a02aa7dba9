/** `rivulet groups` against a real broker, with a group made by an SDK consumer in this process. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rivulet, startBroker, type TestBroker } from './helpers.js';

async function until(cond: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('rivulet groups', () => {
  let broker: TestBroker;
  let b: string[];
  before(async () => {
    broker = await startBroker();
    b = ['--brokers', broker.url];
  });
  after(async () => {
    await broker.close();
  });

  it('usage: help on each subcommand, missing arguments', async () => {
    for (const sub of [[], ['list'], ['describe'], ['reset-offsets'], ['delete']]) {
      const r = await rivulet(['groups', ...sub, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Usage: rivulet groups <subcommand>/);
    }
    let r = await rivulet(['groups', 'reset-offsets', 'g', '--to-earliest', ...b]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /needs --topic/);
    r = await rivulet(['groups', 'reset-offsets', 'g', '--topic', 't', '--to-earliest', '--to-latest', ...b]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /exactly one of/);
    r = await rivulet(['groups', 'describe', ...b]);
    assert.equal(r.code, 2);
    r = await rivulet(['groups', 'list', '--topic', 'x', ...b]);
    assert.equal(r.code, 2);
    r = await rivulet(['groups', 'nope', ...b]);
    assert.equal(r.code, 2);
    r = await rivulet(['--help']);
    assert.match(r.stdout, /\n {2}groups +list, describe/);
  });

  it('list, describe, reset-offsets and delete round trip', async () => {
    const { Rivulet } = await import('../../src/client/index.js');
    const client = new Rivulet({ brokers: [broker.url], clientId: 'cli-test' });
    try {
      const admin = client.admin();
      await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }] });
      const producer = client.producer();
      await producer.send({ topic: 'orders', messages: [0, 1, 2].map((i) => ({ value: `a${i}`, partition: 0 })) });
      await producer.send({ topic: 'orders', messages: [0, 1].map((i) => ({ value: `b${i}`, partition: 1 })) });
      const consumer = client.consumer({ groupId: 'billing', maxWaitMs: 100, heartbeatIntervalMs: 100 });
      consumer.subscribe({ topic: 'orders', fromBeginning: true });
      let seen = 0;
      void consumer.run({ autoCommitIntervalMs: 100, eachMessage: async () => void seen++ });
      await until(async () => {
        const offsets = await admin.fetchOffsets({ groupId: 'billing', topics: ['orders'] });
        return seen === 5 && offsets[0]!.partitions.every((p, i) => p.offset === [3, 2][i]);
      }, 'the consumer to commit everything');
      consumer.pause([{ topic: 'orders' }]); // the next record stays unread: lag 1
      await producer.send({ topic: 'orders', messages: [{ value: 'late', partition: 1 }] });

      let r = await rivulet(['groups', 'list', ...b]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^GROUP +STATE\nbilling +Stable\n$/);

      r = await rivulet(['groups', 'describe', 'billing', ...b]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Group: billing\nState: Stable\nAssignor: sticky\nEpoch: \d+\nMembers: 1\n/);
      assert.match(r.stdout, /\n {2}MEMBER +INSTANCE +CLIENT +HOST +EPOCH +PARTITIONS\n {2}\S+ +- +\S+ +\S+ +\d+ +orders:0,1\n/);
      assert.match(r.stdout, /\n {2}TOPIC +PARTITION +MEMBER +COMMITTED +LOG-END +LAG\n {2}orders +0 +\S+ +3 +3 +0\n {2}orders +1 +\S+ +2 +3 +1\n$/);

      r = await rivulet(['groups', 'describe', 'billing', '--json', ...b]);
      assert.equal(r.code, 0, r.stderr);
      const json = JSON.parse(r.stdout) as { state: string; partitions: { lag: number }[]; members: unknown[] };
      assert.equal(json.state, 'Stable');
      assert.equal(json.members.length, 1);
      assert.deepEqual(
        json.partitions.map((p) => p.lag),
        [0, 1],
      );

      r = await rivulet(['groups', 'reset-offsets', 'billing', '--topic', 'orders', '--to-earliest', ...b]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, "error: group 'billing' has active members: stop its consumers first\n");
      r = await rivulet(['groups', 'delete', 'billing', ...b]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /active members/);

      await consumer.disconnect();
      r = await rivulet(['groups', 'reset-offsets', 'billing', '--topic', 'orders', '--to-earliest', ...b]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^reset offsets of group 'billing' on topic 'orders'\n {2}PARTITION +OFFSET\n {2}0 +0\n {2}1 +0\n$/);
      r = await rivulet(['groups', 'describe', 'billing', ...b]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Group: billing\nState: Empty\n/);
      assert.match(r.stdout, /\n {2}orders +0 +- +0 +3 +3\n {2}orders +1 +- +0 +3 +3\n$/);

      r = await rivulet(['groups', 'reset-offsets', 'billing', '--topic', 'orders', '--to-offset', '2', ...b]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /\n {2}0 +2\n {2}1 +2\n$/);
      r = await rivulet(['groups', 'reset-offsets', 'billing', '--topic', 'orders', '--to-latest', ...b]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /\n {2}0 +3\n {2}1 +3\n$/);
      r = await rivulet(['groups', 'reset-offsets', 'billing', '--topic', 'orders', '--to-datetime', '2001-01-01T00:00:00Z', ...b]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /\n {2}0 +0\n {2}1 +0\n$/);
      assert.deepEqual(
        (await admin.fetchOffsets({ groupId: 'billing', topics: ['orders'] }))[0]!.partitions.map((p) => p.offset),
        [0, 0],
      );

      r = await rivulet(['groups', 'delete', 'billing', ...b]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "deleted group 'billing'\n");
      r = await rivulet(['groups', 'describe', 'billing', ...b]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, "error: unknown group 'billing'\n");
      r = await rivulet(['groups', 'delete', 'billing', ...b]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, "error: unknown group 'billing'\n");
      r = await rivulet(['groups', 'list', ...b]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '');
    } finally {
      await client.close();
    }
  });
});
