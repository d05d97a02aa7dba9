import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiKeys } from '../../src/protocol/api.js';
import { CORE_APIS } from '../../src/protocol/apis/index.js';
import { ErrorCodes } from '../../src/protocol/error-codes.js';
import { type Harness, startBroker } from './helpers/fixture.js';

const TOPIC = 2;
const BROKER = 4;

describe('admin apis', () => {
  let h: Harness;
  before(async () => {
    h = await startBroker();
  });
  after(() => h.stop());

  it('ApiVersions lists every core api with its versions', async () => {
    const r = await h.client.request(ApiKeys.ApiVersions, {});
    assert.equal(r.errorCode, 0);
    const keys = r.body.apiKeys.map((a: { apiKey: number }) => a.apiKey);
    assert.deepEqual(
      keys,
      CORE_APIS.map((a) => a.key).sort((a, b) => a - b),
    );
    assert.match(r.body.brokerVersion, /^\d+\.\d+\.\d+/);
  });

  it('creates topics and refuses duplicates, illegal names, bad counts, replication > 1 and bad configs', async () => {
    const r = await h.client.request(ApiKeys.CreateTopics, {
      topics: [
        { name: 'orders', numPartitions: 3 },
        { name: 'orders', numPartitions: 3 },
        { name: 'bad name', numPartitions: 1 },
        { name: 'zero', numPartitions: 0 },
        { name: 'replicated', numPartitions: 1, replicationFactor: 3 },
        { name: 'badconfig', numPartitions: 1, configs: [{ name: 'retention.ms', value: 'soon' }] },
        { name: 'defaulted', numPartitions: -1 },
      ],
    });
    assert.equal(r.errorCode, 0);
    const codes = r.body.topics.map((t: { errorCode: number }) => t.errorCode);
    assert.deepEqual(codes, [
      0,
      ErrorCodes.TOPIC_ALREADY_EXISTS,
      ErrorCodes.INVALID_TOPIC_EXCEPTION,
      ErrorCodes.INVALID_PARTITIONS,
      ErrorCodes.INVALID_REPLICATION_FACTOR,
      ErrorCodes.INVALID_CONFIG,
      0,
    ]);
    assert.equal(r.body.topics[0].numPartitions, 3);
    assert.equal(r.body.topics[6].numPartitions, 1, 'numPartitions -1 takes the broker default');
    assert.match(r.body.topics[5].errorMessage, /retention\.ms/);
  });

  it('validateOnly checks without creating', async () => {
    const r = await h.client.request(ApiKeys.CreateTopics, {
      topics: [{ name: 'dry', numPartitions: 2 }],
      validateOnly: true,
    });
    assert.equal(r.body.topics[0].errorCode, 0);
    const m = await h.client.request(ApiKeys.Metadata, { topics: ['dry'] });
    assert.equal(m.body.topics[0].errorCode, ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('Metadata lists all topics with this broker leading every partition', async () => {
    const r = await h.client.request(ApiKeys.Metadata, { topics: null });
    assert.equal(r.errorCode, 0);
    assert.equal(r.body.brokers.length, 1);
    assert.equal(r.body.brokers[0].port, h.broker.port);
    assert.equal(typeof r.body.clusterId, 'string');
    const orders = r.body.topics.find((t: { name: string }) => t.name === 'orders');
    assert.equal(orders.partitions.length, 3);
    assert.deepEqual(orders.partitions[2], {
      index: 2,
      errorCode: 0,
      leaderId: 0,
      leaderEpoch: 0,
      replicaNodes: [0],
      isrNodes: [0],
    });
  });

  it('Metadata auto-creates a named topic only when the request allows it', async () => {
    const no = await h.client.request(ApiKeys.Metadata, { topics: ['auto1'] });
    assert.equal(no.body.topics[0].errorCode, ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION);
    const yes = await h.client.request(ApiKeys.Metadata, { topics: ['auto1'], allowAutoTopicCreation: true });
    assert.equal(yes.body.topics[0].errorCode, 0);
    assert.equal(yes.body.topics[0].partitions.length, 1);
    const bad = await h.client.request(ApiKeys.Metadata, { topics: ['no/slash'], allowAutoTopicCreation: true });
    assert.equal(bad.body.topics[0].errorCode, ErrorCodes.INVALID_TOPIC_EXCEPTION);
  });

  it('CreatePartitions grows a topic and refuses shrinking', async () => {
    const r = await h.client.request(ApiKeys.CreatePartitions, {
      topics: [
        { name: 'orders', count: 5 },
        { name: 'orders', count: 4 },
        { name: 'ghost', count: 2 },
      ],
    });
    assert.deepEqual(
      r.body.results.map((x: { errorCode: number }) => x.errorCode),
      [0, ErrorCodes.INVALID_PARTITIONS, ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION],
    );
    const m = await h.client.request(ApiKeys.Metadata, { topics: ['orders'] });
    assert.equal(m.body.topics[0].partitions.length, 5);
  });

  it('DescribeConfigs gives every topic config with its source', async () => {
    const r = await h.client.request(ApiKeys.DescribeConfigs, {
      resources: [{ resourceType: TOPIC, resourceName: 'orders', configurationKeys: null }],
    });
    const configs = new Map(r.body.results[0].configs.map((c: { name: string }) => [c.name, c]));
    // biome-ignore lint/suspicious/noExplicitAny: loose test access
    const get = (n: string) => configs.get(n) as any;
    assert.equal(get('retention.ms').source, 'DEFAULT_CONFIG');
    assert.equal(get('retention.ms').value, String(7 * 24 * 3600 * 1000));
    assert.equal(get('segment.bytes').source, 'STATIC_BROKER_CONFIG', 'the harness sets a broker-wide segment size');
    assert.equal(get('segment.bytes').value, String(1 << 20));
    for (const name of ['retention.bytes', 'max.message.bytes']) assert.ok(configs.has(name), name);
  });

  it('AlterConfigs is incremental: named keys change, others stay, null resets', async () => {
    const alter = (configs: Array<{ name: string; value: string | null }>) =>
      h.client.request(ApiKeys.AlterConfigs, { resources: [{ resourceType: TOPIC, resourceName: 'orders', configs }] });
    assert.equal((await alter([{ name: 'retention.ms', value: '1000' }])).body.responses[0].errorCode, 0);
    assert.equal(
      (
        await alter([
          { name: 'retention.bytes', value: '2048' },
          { name: 'max.message.bytes', value: '4096' },
          { name: 'segment.bytes', value: '65536' },
        ])
      ).body.responses[0].errorCode,
      0,
    );
    const describe = async () => {
      const r = await h.client.request(ApiKeys.DescribeConfigs, {
        resources: [
          {
            resourceType: TOPIC,
            resourceName: 'orders',
            configurationKeys: ['retention.ms', 'retention.bytes', 'max.message.bytes', 'segment.bytes'],
          },
        ],
      });
      return Object.fromEntries(
        r.body.results[0].configs.map((c: { name: string; value: string }) => [c.name, c.value]),
      );
    };
    assert.deepEqual(await describe(), {
      'retention.ms': '1000',
      'retention.bytes': '2048',
      'max.message.bytes': '4096',
      'segment.bytes': '65536',
    });
    await alter([{ name: 'retention.ms', value: null }]);
    const after = await describe();
    assert.equal(after['retention.ms'], String(7 * 24 * 3600 * 1000));
    assert.equal(after['retention.bytes'], '2048');
    const bad = await alter([{ name: 'retention.ms', value: 'x' }]);
    assert.equal(bad.body.responses[0].errorCode, ErrorCodes.INVALID_CONFIG);
    const unknown = await h.client.request(ApiKeys.AlterConfigs, {
      resources: [{ resourceType: TOPIC, resourceName: 'ghost', configs: [] }],
    });
    assert.equal(unknown.body.responses[0].errorCode, ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('describes broker settings read-only and refuses to alter them', async () => {
    const r = await h.client.request(ApiKeys.DescribeConfigs, {
      resources: [{ resourceType: BROKER, resourceName: '0', configurationKeys: ['flush', 'port'] }],
    });
    const configs = r.body.results[0].configs;
    assert.deepEqual(
      configs.map((c: { name: string }) => c.name),
      ['port', 'flush'],
    );
    assert.ok(configs.every((c: { readOnly: boolean }) => c.readOnly));
    assert.equal(configs[1].value, 'ack');
    const alter = await h.client.request(ApiKeys.AlterConfigs, {
      resources: [{ resourceType: BROKER, resourceName: '0', configs: [{ name: 'flush', value: 'os' }] }],
    });
    assert.equal(alter.body.responses[0].errorCode, ErrorCodes.INVALID_CONFIG);
  });

  it('DeleteTopics removes a topic and reports unknown ones', async () => {
    await h.client.createTopic('doomed', 2);
    const r = await h.client.request(ApiKeys.DeleteTopics, { topicNames: ['doomed', 'never-was'] });
    assert.deepEqual(
      r.body.responses.map((x: { errorCode: number }) => x.errorCode),
      [0, ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION],
    );
    const m = await h.client.request(ApiKeys.Metadata, { topics: null });
    assert.ok(!m.body.topics.some((t: { name: string }) => t.name === 'doomed'));
    // The name is free again.
    assert.equal((await h.client.createTopic('doomed', 1)).body.topics[0].errorCode, 0);
  });

  it('refuses to auto-create when the broker has auto-create-topics off', async () => {
    const off = await startBroker({ autoCreateTopics: false });
    try {
      const m = await off.client.request(ApiKeys.Metadata, { topics: ['x'], allowAutoTopicCreation: true });
      assert.equal(m.body.topics[0].errorCode, ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION);
    } finally {
      await off.stop();
    }
  });
});
