import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigResourceTypes, type Rivulet, type RivuletError } from '../../src/client/index.js';
import { type Fixture, startBroker } from './fixture.js';

describe('admin', () => {
  let f: Fixture;
  let client: Rivulet;
  before(async () => {
    f = await startBroker();
    client = f.client();
  });
  after(() => f.stop());

  it('creates, lists, describes and deletes topics', async () => {
    const admin = client.admin();
    assert.equal(
      await admin.createTopics({
        topics: [
          { topic: 'admin-a', numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '3600000' }] },
          { topic: 'admin-b' },
        ],
      }),
      true,
    );
    assert.equal(await admin.createTopics({ topics: [{ topic: 'admin-a', numPartitions: 3 }] }), false, 'already exists');
    assert.deepEqual((await admin.listTopics()).filter((t) => t.startsWith('admin-')).sort(), ['admin-a', 'admin-b']);

    const meta = await admin.fetchTopicMetadata({ topics: ['admin-a'] });
    assert.equal(meta.topics.length, 1);
    assert.equal(meta.topics[0]!.name, 'admin-a');
    assert.deepEqual(
      meta.topics[0]!.partitions.map((p) => p.partitionId),
      [0, 1, 2],
    );
    for (const p of meta.topics[0]!.partitions) {
      assert.equal(p.partitionErrorCode, 0);
      assert.ok(p.leader >= 0);
      assert.deepEqual(p.replicas, [p.leader]);
      assert.deepEqual(p.isr, [p.leader]);
    }
    const cluster = await admin.describeCluster();
    assert.equal(cluster.brokers.length, 1);

    await admin.deleteTopics({ topics: ['admin-b'] });
    assert.ok(!(await admin.listTopics()).includes('admin-b'));
    await assert.rejects(admin.fetchTopicMetadata({ topics: ['admin-b'] }), (err: RivuletError) => {
      assert.equal(err.code, 'UNKNOWN_TOPIC_OR_PARTITION');
      assert.equal(err.path, 'topics/0');
      return true;
    });
  });

  it('refuses an illegal topic name with the broker’s reason', async () => {
    await assert.rejects(client.admin().createTopics({ topics: [{ topic: 'bad name!' }] }), (err: RivuletError) => {
      assert.equal(err.code, 'INVALID_TOPIC_EXCEPTION');
      assert.equal(err.retriable, false);
      assert.equal(err.path, 'topics/0');
      return true;
    });
  });

  it('describes and alters topic configs (incrementally)', async () => {
    const admin = client.admin();
    await admin.createTopics({ topics: [{ topic: 'configs', numPartitions: 1 }] });
    const before = await admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: 'configs', configNames: ['retention.ms', 'cleanup.policy'] }],
    });
    assert.equal(before.resources.length, 1);
    const names = before.resources[0]!.configEntries.map((e) => e.configName).sort();
    assert.deepEqual(names, ['cleanup.policy', 'retention.ms']);

    const altered = await admin.alterConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: 'configs', configEntries: [{ name: 'retention.ms', value: '60000' }] }],
    });
    assert.equal(altered.resources[0]!.errorCode, 0);
    const after = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'configs' }] });
    const byName = new Map(after.resources[0]!.configEntries.map((e) => [e.configName, e]));
    assert.equal(byName.get('retention.ms')!.configValue, '60000');
    assert.equal(byName.get('retention.ms')!.isDefault, false);
    assert.equal(byName.get('cleanup.policy')!.configValue, 'delete', 'keys not named are kept');

    await assert.rejects(
      admin.alterConfigs({
        resources: [{ type: ConfigResourceTypes.TOPIC, name: 'configs', configEntries: [{ name: 'retention.ms', value: 'soon' }] }],
      }),
      { code: 'INVALID_CONFIG' },
    );
    const brokerConfigs = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.BROKER, name: '0' }] });
    assert.ok(brokerConfigs.resources[0]!.configEntries.length > 0);
  });

  it('fetchTopicOffsets, fetchTopicOffsetsByTimestamp and createPartitions', async () => {
    const admin = client.admin();
    await admin.createTopics({ topics: [{ topic: 'offsets', numPartitions: 2 }] });
    const producer = client.producer();
    const T0 = 1_600_000_000_000;
    for (let i = 0; i < 5; i++) {
      await producer.send({ topic: 'offsets', messages: [{ partition: 0, value: `v${i}`, timestamp: T0 + i * 1000 }] });
    }
    await producer.send({ topic: 'offsets', messages: [{ partition: 1, value: 'x', timestamp: T0 }] });
    assert.deepEqual(await admin.fetchTopicOffsets('offsets'), [
      { partition: 0, offset: 5, high: 5, low: 0 },
      { partition: 1, offset: 1, high: 1, low: 0 },
    ]);
    assert.deepEqual(await admin.fetchTopicOffsetsByTimestamp('offsets', T0 + 2500), [
      { partition: 0, offset: 3 },
      { partition: 1, offset: 1 },
    ]);
    // Inside one batch too: the answer is the record, not the batch.
    await producer.send({
      topic: 'offsets',
      messages: [10, 20, 30].map((s) => ({ partition: 1, value: `t${s}`, timestamp: T0 + s * 1000 })),
    });
    assert.deepEqual(await admin.fetchTopicOffsetsByTimestamp('offsets', T0 + 15_000), [
      { partition: 0, offset: 5 },
      { partition: 1, offset: 2 },
    ]);
    assert.deepEqual(await admin.fetchTopicOffsetsByTimestamp('offsets', T0), [
      { partition: 0, offset: 0 },
      { partition: 1, offset: 0 },
    ]);

    assert.deepEqual(await admin.fetchTopicOffsets('offsets'), [
      { partition: 0, offset: 5, high: 5, low: 0 },
      { partition: 1, offset: 4, high: 4, low: 0 },
    ]);
    // Another client's producer caches the topic with 2 partitions.
    const elsewhere = f.client().producer();
    await elsewhere.send({ topic: 'offsets', messages: [{ partition: 1, value: 'y' }] });
    assert.equal(await admin.createPartitions({ topicPartitions: [{ topic: 'offsets', count: 4 }] }), true);
    const meta = await admin.fetchTopicMetadata({ topics: ['offsets'] });
    assert.equal(meta.topics[0]!.partitions.length, 4);
    // The producer's metadata is refreshed when it next needs it; the new partitions take records.
    const [r] = await producer.send({ topic: 'offsets', messages: [{ partition: 3, value: 'new' }] });
    assert.deepEqual(r, { topic: 'offsets', partition: 3, offset: 0 });
    const [r2] = await elsewhere.send({ topic: 'offsets', messages: [{ partition: 2, value: 'new' }] });
    assert.deepEqual(r2, { topic: 'offsets', partition: 2, offset: 0 }, 'a stale cache is refreshed for a new partition');
    await assert.rejects(admin.createPartitions({ topicPartitions: [{ topic: 'offsets', count: 2 }] }), {
      code: 'INVALID_PARTITIONS',
    });
  });
});
