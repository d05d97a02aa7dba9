/**
 * Consumer groups and topics: `__consumer_offsets` (made on the first commit, compacted, internal,
 * closed to clients), topic changes reaching the coordinator (a regex subscription picks up a topic
 * created later, by any path), and the group settings of the broker config.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseBrokerArgs } from '../../src/broker/config.js';
import { RivuletError } from '../../src/errors.js';
import { decodeOffsetBatches, OFFSETS_TOPIC } from '../../src/group/index.js';
import { ApiKeys } from '../../src/protocol/api.js';
import { ErrorCodes } from '../../src/protocol/error-codes.js';
import { type Harness, startBroker } from './helpers/fixture.js';
import { batchOf, type RawClient } from './helpers/raw-client.js';

const TOPIC_RESOURCE = 2;

function commit(client: RawClient, groupId: string, topic: string, partition: number, offset: number) {
  return client.request(ApiKeys.OffsetCommit, {
    groupId,
    topics: [{ name: topic, partitions: [{ index: partition, committedOffset: offset }] }],
  });
}

describe('__consumer_offsets', () => {
  let h: Harness;
  before(async () => {
    h = await startBroker();
    await h.client.createTopic('t', 1);
  });
  after(() => h.stop());

  it('does not exist before the first commit and is never auto-created', async () => {
    const m = await h.client.request(ApiKeys.Metadata, { topics: [OFFSETS_TOPIC], allowAutoTopicCreation: true });
    assert.equal(m.body.topics[0].errorCode, ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION);
    const all = await h.client.request(ApiKeys.Metadata, { topics: null });
    assert.deepEqual(
      all.body.topics.map((t: { name: string }) => t.name),
      ['t'],
    );
  });

  it('is made by the first commit: internal, one partition, compacted, holding the commit', async () => {
    assert.equal((await commit(h.client, 'g1', 't', 0, 42)).errorCode, 0);
    const m = await h.client.request(ApiKeys.Metadata, { topics: null });
    const offsets = m.body.topics.find((t: { name: string }) => t.name === OFFSETS_TOPIC);
    assert.equal(offsets.isInternal, true);
    assert.equal(offsets.partitions.length, 1);
    const t = m.body.topics.find((x: { name: string }) => x.name === 't');
    assert.equal(t.isInternal, false);
    const c = await h.client.request(ApiKeys.DescribeConfigs, {
      resources: [{ resourceType: TOPIC_RESOURCE, resourceName: OFFSETS_TOPIC, configurationKeys: ['cleanup.policy'] }],
    });
    assert.equal(c.body.results[0].configs[0].value, 'compact');
    // Clients may read it: one batch, the commit's record.
    const r = await h.client.fetch(OFFSETS_TOPIC, 0, 0);
    assert.equal(r.body.topics[0].partitions[0].errorCode, 0);
    const records = r.raws.flatMap((raw) => decodeOffsetBatches(raw));
    assert.equal(records.length, 1);
    assert.equal(records[0]!.groupId, 'g1');
    assert.equal(records[0]!.value?.offset, 42);
  });

  it('clients cannot produce to it, create, delete or grow it (INVALID_TOPIC_EXCEPTION)', async () => {
    const produced = await h.client.produceOne(OFFSETS_TOPIC, 0, batchOf(['forged']));
    assert.equal(produced.errorCode, ErrorCodes.INVALID_TOPIC_EXCEPTION);
    const otherInternal = await h.client.produceOne('__mine', 0, batchOf(['x']));
    assert.equal(otherInternal.errorCode, ErrorCodes.INVALID_TOPIC_EXCEPTION, 'and no __* topic is auto-created');
    const created = await h.client.createTopic(OFFSETS_TOPIC, 3);
    assert.equal(created.body.topics[0].errorCode, ErrorCodes.INVALID_TOPIC_EXCEPTION);
    const createdOther = await h.client.createTopic('__other', 1);
    assert.equal(createdOther.body.topics[0].errorCode, ErrorCodes.INVALID_TOPIC_EXCEPTION);
    const grown = await h.client.request(ApiKeys.CreatePartitions, { topics: [{ name: OFFSETS_TOPIC, count: 4 }] });
    assert.equal(grown.body.results[0].errorCode, ErrorCodes.INVALID_TOPIC_EXCEPTION);
    const deleted = await h.client.request(ApiKeys.DeleteTopics, { topicNames: [OFFSETS_TOPIC] });
    assert.equal(deleted.body.responses[0].errorCode, ErrorCodes.INVALID_TOPIC_EXCEPTION);
    // Nothing changed: the commit is still the only record, and still served.
    assert.equal(await h.client.logEndOffset(OFFSETS_TOPIC, 0), 1);
    const f = await h.client.request(ApiKeys.OffsetFetch, { groupId: 'g1', topics: null });
    assert.equal(f.body.topics[0].partitions[0].committedOffset, 42);
  });

  it('is replayed after a restart (and not made again)', async () => {
    await h.restart();
    const f = await h.client.request(ApiKeys.OffsetFetch, { groupId: 'g1', topics: null });
    assert.equal(f.body.topics[0].partitions[0].committedOffset, 42);
    assert.equal((await commit(h.client, 'g1', 't', 0, 43)).errorCode, 0);
    assert.equal(await h.client.logEndOffset(OFFSETS_TOPIC, 0), 2);
  });
});

describe('topic changes reach the group coordinator', () => {
  let h: Harness;
  before(async () => {
    h = await startBroker({ numPartitions: 2 });
  });
  after(() => h.stop());

  /** One heartbeat loop of a regex member: joins, then reports what it owns. */
  function regexMember(client: RawClient, groupId: string, regex: string) {
    let memberId = '';
    let epoch = 0;
    let owned: Array<{ name: string; partitions: number[] }> = [];
    return {
      async beat(): Promise<string[]> {
        const r = await client.request(ApiKeys.ConsumerGroupHeartbeat, {
          groupId,
          memberId,
          memberEpoch: epoch,
          subscribedTopicRegex: epoch === 0 ? regex : null,
          subscribedTopicNames: epoch === 0 ? [] : null,
          topicPartitions: owned,
        });
        assert.equal(r.errorCode, 0, JSON.stringify(r.body));
        memberId = r.body.memberId;
        epoch = r.body.memberEpoch;
        if (r.body.assignment !== null) owned = r.body.assignment.topicPartitions;
        return owned.flatMap((t) => t.partitions.map((p) => `${t.name}-${p}`)).sort();
      },
    };
  }

  it('a regex subscription picks up topics created, auto-created, grown and deleted later', async () => {
    const m = regexMember(h.client, 'rx', 'rx-.*');
    assert.deepEqual(await m.beat(), []);

    await h.client.createTopic('rx-a', 1);
    await h.client.createTopic('other', 1);
    assert.deepEqual(await m.beat(), ['rx-a-0']);

    await h.client.produceOne('rx-b', 0, batchOf(['auto-created by produce']));
    assert.deepEqual(await m.beat(), ['rx-a-0', 'rx-b-0', 'rx-b-1']);

    const md = await h.client.request(ApiKeys.Metadata, { topics: ['rx-c'], allowAutoTopicCreation: true });
    assert.equal(md.body.topics[0].errorCode, 0);
    assert.deepEqual(await m.beat(), ['rx-a-0', 'rx-b-0', 'rx-b-1', 'rx-c-0', 'rx-c-1']);

    const grown = await h.client.request(ApiKeys.CreatePartitions, { topics: [{ name: 'rx-a', count: 2 }] });
    assert.equal(grown.body.results[0].errorCode, 0);
    assert.deepEqual(await m.beat(), ['rx-a-0', 'rx-a-1', 'rx-b-0', 'rx-b-1', 'rx-c-0', 'rx-c-1']);

    const deleted = await h.client.request(ApiKeys.DeleteTopics, { topicNames: ['rx-b'] });
    assert.equal(deleted.body.responses[0].errorCode, 0);
    assert.deepEqual(await m.beat(), ['rx-a-0', 'rx-a-1', 'rx-c-0', 'rx-c-1']);
  });

  it('a commit for a topic created after start is accepted', async () => {
    await h.client.createTopic('late', 1);
    assert.equal((await commit(h.client, 'late-readers', 'late', 0, 1)).body.topics[0].partitions[0].errorCode, 0);
  });
});

describe('group settings', () => {
  function configOf(argv: string[], env: Record<string, string> = {}) {
    const parsed = parseBrokerArgs(argv, env);
    if (parsed.help) throw new Error('unexpected --help');
    return parsed.config;
  }

  it("defaults are Kafka's: 45 s sessions, 5 s heartbeats, offsets kept 7 days", () => {
    const c = configOf([]);
    assert.equal(c.groupSessionTimeoutMs, 45_000);
    assert.equal(c.groupHeartbeatIntervalMs, 5_000);
    assert.equal(c.offsetsRetentionMinutes, 7 * 24 * 60);
  });

  it('flags and RIVULET_* variables set them', () => {
    const c = configOf(['--group-session-timeout-ms', '10000', '--offsets-retention-minutes=60'], {
      RIVULET_GROUP_HEARTBEAT_INTERVAL_MS: '2000',
    });
    assert.equal(c.groupSessionTimeoutMs, 10_000);
    assert.equal(c.groupHeartbeatIntervalMs, 2_000);
    assert.equal(c.offsetsRetentionMinutes, 60);
  });

  it('a heartbeat interval not below the session timeout, or a retention under a minute, is refused', () => {
    const invalid = (argv: string[], pattern: RegExp) =>
      assert.throws(
        () => configOf(argv),
        (e: unknown) => e instanceof RivuletError && e.code === 'INVALID_ARGUMENT' && pattern.test(e.message),
      );
    invalid(['--group-heartbeat-interval-ms', '45000'], /must be below group-session-timeout-ms/);
    invalid(['--offsets-retention-minutes', '0'], /at least 1/);
  });
});
