/**
 * Consumer groups through a real broker and raw protocol frames: membership and assignment,
 * offset commits and their durability across a restart, fencing, lag metrics, and the admin apis.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiKeys } from '../../src/protocol/api.js';
import { ErrorCodes } from '../../src/protocol/error-codes.js';
import { type Harness, httpGet, metricValue, sleep, startBroker } from './helpers/fixture.js';
import { batchOf, type RawClient, type RawResponse } from './helpers/raw-client.js';

interface TopicPartitions {
  name: string;
  partitions: number[];
}

/** A group member as a client would drive it: join, then report what it owns on every heartbeat. */
class Member {
  memberId = '';
  epoch = 0;
  /** The partitions it owns (what the last heartbeat said it may own). */
  owned: TopicPartitions[] = [];
  joined = false;

  constructor(
    readonly client: RawClient,
    readonly groupId: string,
    readonly subscription: { topics?: string[]; regex?: string },
  ) {}

  async heartbeat(): Promise<RawResponse> {
    const joining = !this.joined;
    const r = await this.client.request(ApiKeys.ConsumerGroupHeartbeat, {
      groupId: this.groupId,
      memberId: this.memberId,
      memberEpoch: this.epoch,
      subscribedTopicNames: joining ? (this.subscription.topics ?? []) : null,
      subscribedTopicRegex: joining ? (this.subscription.regex ?? null) : null,
      topicPartitions: this.owned,
    });
    if (r.errorCode !== 0) return r;
    this.joined = true;
    this.memberId = r.body.memberId;
    this.epoch = r.body.memberEpoch;
    if (r.body.assignment !== null) this.owned = r.body.assignment.topicPartitions;
    return r;
  }

  async leave(): Promise<RawResponse> {
    return this.client.request(ApiKeys.ConsumerGroupHeartbeat, {
      groupId: this.groupId,
      memberId: this.memberId,
      memberEpoch: -1,
    });
  }

  commit(topic: string, offsets: Record<number, number>, epoch = this.epoch): Promise<RawResponse> {
    return commit(this.client, this.groupId, topic, offsets, { memberId: this.memberId, memberEpoch: epoch });
  }

  /** Owned partitions as sorted `topic-partition` strings. */
  ownedNames(): string[] {
    return names(this.owned);
  }
}

function names(tps: TopicPartitions[]): string[] {
  return tps.flatMap((t) => t.partitions.map((p) => `${t.name}-${p}`)).sort();
}

function commit(
  client: RawClient,
  groupId: string,
  topic: string,
  offsets: Record<number, number>,
  member: { memberId: string; memberEpoch: number } = { memberId: '', memberEpoch: -1 },
): Promise<RawResponse> {
  const partitions = Object.entries(offsets).map(([index, committedOffset]) => ({
    index: Number(index),
    committedOffset,
  }));
  return client.request(ApiKeys.OffsetCommit, { groupId, ...member, topics: [{ name: topic, partitions }] });
}

/** topic-partition → committed offset, for the partitions asked (or all when `topics` is null). */
async function fetchOffsets(
  client: RawClient,
  groupId: string,
  topics: Array<{ name: string; partitionIndexes: number[] }> | null,
): Promise<Record<string, number>> {
  const r = await client.request(ApiKeys.OffsetFetch, { groupId, topics });
  assert.equal(r.errorCode, 0, JSON.stringify(r.body));
  const out: Record<string, number> = {};
  for (const t of r.body.topics) for (const p of t.partitions) out[`${t.name}-${p.index}`] = p.committedOffset;
  return out;
}

/** Heartbeats every member until the group is stable and every member owns exactly its share. */
async function settle(members: Member[], rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    for (const m of members) {
      const r = await m.heartbeat();
      assert.equal(r.errorCode, 0, JSON.stringify(r.body));
    }
    const d = await members[0]!.client.request(ApiKeys.ConsumerGroupDescribe, { groupIds: [members[0]!.groupId] });
    const g = d.body.groups[0];
    const reconciled = g.members.every(
      (m: { memberEpoch: number; memberState: string }) =>
        m.memberEpoch === g.assignmentEpoch && m.memberState === 'Stable',
    );
    if (g.groupState === 'Stable' && reconciled && members.every((m) => m.epoch === g.assignmentEpoch)) return;
  }
  assert.fail('the group did not settle');
}

describe('consumer groups: membership and assignment', () => {
  let h: Harness;
  before(async () => {
    h = await startBroker({ groupHeartbeatIntervalMs: 1234 });
    assert.equal((await h.client.createTopic('orders', 4)).body.topics[0].errorCode, 0);
  });
  after(() => h.stop());

  it('a member that joins gets a member id, an epoch and every partition', async () => {
    const m = new Member(h.client, 'solo', { topics: ['orders'] });
    const r = await m.heartbeat();
    assert.equal(r.errorCode, 0);
    assert.match(m.memberId, /.+/);
    assert.ok(m.epoch >= 1);
    assert.equal(r.body.heartbeatIntervalMs, 1234, 'group-heartbeat-interval-ms reaches members');
    assert.deepEqual(m.ownedNames(), ['orders-0', 'orders-1', 'orders-2', 'orders-3']);
    await settle([m]);
    assert.equal((await m.leave()).errorCode, 0);
  });

  it('two members split the partitions with no overlap once the first has revoked', async () => {
    const a = new Member(h.client, 'pair', { topics: ['orders'] });
    const b = new Member(await h.connect(), 'pair', { topics: ['orders'] });
    await a.heartbeat();
    assert.equal(a.ownedNames().length, 4);
    await b.heartbeat();
    await settle([a, b]);
    assert.equal(a.ownedNames().length, 2);
    assert.equal(b.ownedNames().length, 2);
    assert.deepEqual([...a.ownedNames(), ...b.ownedNames()].sort(), ['orders-0', 'orders-1', 'orders-2', 'orders-3']);
    // The member that leaves gives its partitions back to the other.
    assert.equal((await b.leave()).errorCode, 0);
    await settle([a]);
    assert.equal(a.ownedNames().length, 4);
    await a.leave();
  });

  it('a heartbeat from an unknown member, or with a refused regex, is answered with its error', async () => {
    const unknown = await h.client.request(ApiKeys.ConsumerGroupHeartbeat, {
      groupId: 'pair',
      memberId: 'nobody',
      memberEpoch: 3,
    });
    assert.equal(unknown.errorCode, ErrorCodes.UNKNOWN_MEMBER_ID);
    const regex = await h.client.request(ApiKeys.ConsumerGroupHeartbeat, {
      groupId: 'rx',
      memberEpoch: 0,
      subscribedTopicRegex: '(a+)+b',
    });
    assert.equal(regex.errorCode, ErrorCodes.INVALID_REQUEST);
    const shape = await h.client.request(ApiKeys.ConsumerGroupHeartbeat, { groupId: 'g', memberEpoch: 'zero' });
    assert.equal(shape.errorCode, ErrorCodes.INVALID_REQUEST);
  });
});

describe('consumer groups: committed offsets', () => {
  let h: Harness;
  before(async () => {
    h = await startBroker();
    await h.client.createTopic('events', 2);
  });
  after(() => h.stop());

  it('commit then fetch, by partition and for the whole group; unknown partitions get their own error', async () => {
    const m = new Member(h.client, 'readers', { topics: ['events'] });
    await settle([m]);
    const r = await m.commit('events', { 0: 5, 1: 7, 9: 1 });
    assert.equal(r.errorCode, 0);
    const codes = r.body.topics[0].partitions.map((p: { errorCode: number }) => p.errorCode);
    assert.deepEqual(codes, [0, 0, ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION]);
    assert.deepEqual(await fetchOffsets(h.client, 'readers', [{ name: 'events', partitionIndexes: [0, 1] }]), {
      'events-0': 5,
      'events-1': 7,
    });
    assert.deepEqual(await fetchOffsets(h.client, 'readers', null), { 'events-0': 5, 'events-1': 7 });
    assert.deepEqual(await fetchOffsets(h.client, 'nobody', [{ name: 'events', partitionIndexes: [0] }]), {
      'events-0': -1,
    });
    await m.leave();
  });

  it('a commit is on disk before it is answered (flush ack)', async () => {
    const before = metricValue((await httpGet(h.broker, '/metrics')).text, 'rivulet_fdatasync_total') ?? 0;
    assert.equal((await commit(h.client, 'admin-tool', 'events', { 0: 1 })).errorCode, 0);
    const after = metricValue((await httpGet(h.broker, '/metrics')).text, 'rivulet_fdatasync_total') ?? 0;
    assert.ok(after > before, `fdatasyncs ${before} → ${after}`);
  });

  it('committed offsets and deletions survive a broker restart', async () => {
    assert.equal((await commit(h.client, 'durable', 'events', { 0: 11, 1: 12 })).errorCode, 0);
    assert.equal((await commit(h.client, 'durable', 'events', { 1: 13 })).errorCode, 0);
    assert.equal((await commit(h.client, 'gone', 'events', { 0: 3 })).errorCode, 0);
    const del = await h.client.request(ApiKeys.DeleteGroups, { groupsNames: ['gone'] });
    assert.equal(del.body.results[0].errorCode, 0);
    await h.restart();
    assert.deepEqual(await fetchOffsets(h.client, 'durable', null), { 'events-0': 11, 'events-1': 13 });
    assert.deepEqual(await fetchOffsets(h.client, 'gone', null), {});
    const list = await h.client.request(ApiKeys.ListGroups, {});
    const ids = list.body.groups.map((g: { groupId: string }) => g.groupId);
    assert.ok(ids.includes('durable') && !ids.includes('gone'), ids.join(','));
    // Members did not survive (membership is in memory): an old member id must join again.
    const m = new Member(h.client, 'durable', { topics: ['events'] });
    await settle([m]);
    assert.equal((await m.commit('events', { 0: 20 })).errorCode, 0);
    assert.deepEqual(await fetchOffsets(h.client, 'durable', null), { 'events-0': 20, 'events-1': 13 });
    await m.leave();
  });
});

describe('consumer groups: fencing', () => {
  let h: Harness;
  before(async () => {
    h = await startBroker({ groupSessionTimeoutMs: 1500, groupHeartbeatIntervalMs: 100 });
    await h.client.createTopic('jobs', 2);
  });
  after(() => h.stop());

  it('a member whose session timed out is fenced: its commit and heartbeat get UNKNOWN_MEMBER_ID', async () => {
    const m = new Member(h.client, 'slow', { topics: ['jobs'] });
    await settle([m]);
    await sleep(2200);
    const r = await m.commit('jobs', { 0: 3 });
    assert.equal(r.errorCode, ErrorCodes.UNKNOWN_MEMBER_ID, JSON.stringify(r.body));
    assert.equal((await m.heartbeat()).errorCode, ErrorCodes.UNKNOWN_MEMBER_ID);
    assert.deepEqual(await fetchOffsets(h.client, 'slow', null), {}, 'nothing was committed');
  });

  it('an epoch newer than the member has is FENCED_MEMBER_EPOCH; an older one only for partitions it lost', async () => {
    const a = new Member(h.client, 'pair', { topics: ['jobs'] });
    await settle([a]);
    const firstEpoch = a.epoch;
    const b = new Member(await h.connect(), 'pair', { topics: ['jobs'] });
    await settle([a, b]);
    assert.ok(a.epoch > firstEpoch);
    const newer = await a.commit('jobs', { 0: 1 }, a.epoch + 1);
    assert.equal(newer.errorCode, ErrorCodes.FENCED_MEMBER_EPOCH);
    const kept = a.owned[0]!.partitions[0]!;
    const lost = b.owned[0]!.partitions[0]!;
    const stale = await a.commit('jobs', { [kept]: 4, [lost]: 4 }, firstEpoch);
    assert.equal(stale.errorCode, 0);
    const byIndex = Object.fromEntries(
      stale.body.topics[0].partitions.map((p: { index: number; errorCode: number }) => [p.index, p.errorCode]),
    );
    assert.deepEqual(byIndex, { [kept]: 0, [lost]: ErrorCodes.STALE_MEMBER_EPOCH });
    const outsider = await commit(h.client, 'pair', 'jobs', { 0: 9 });
    assert.equal(outsider.errorCode, ErrorCodes.UNKNOWN_MEMBER_ID, 'only members commit while the group has some');
    await a.leave();
    await b.leave();
  });
});

describe('consumer groups: lag metrics and admin apis', () => {
  let h: Harness;
  before(async () => {
    h = await startBroker();
    await h.client.createTopic('clicks', 1);
    await h.client.produceOne('clicks', 0, batchOf(['a', 'b', 'c', 'd', 'e']));
  });
  after(() => h.stop());

  it('lag is log end − committed, per group and partition; members are counted', async () => {
    const m = new Member(h.client, 'dash"board', { topics: ['clicks'] });
    await settle([m]);
    assert.equal((await m.commit('clicks', { 0: 2 })).errorCode, 0);
    const labels = 'group="dash\\"board",topic="clicks",partition="0"';
    let text = (await httpGet(h.broker, '/metrics')).text;
    assert.equal(metricValue(text, `rivulet_consumer_group_lag{${labels}}`), 3);
    assert.equal(metricValue(text, `rivulet_consumer_group_committed_offset{${labels}}`), 2);
    assert.equal(metricValue(text, 'rivulet_consumer_group_members{group="dash\\"board"}'), 1);
    assert.match(text, /# TYPE rivulet_consumer_group_lag gauge/);
    await h.client.produceOne('clicks', 0, batchOf(['f', 'g']));
    text = (await httpGet(h.broker, '/metrics')).text;
    assert.equal(metricValue(text, `rivulet_consumer_group_lag{${labels}}`), 5);
    await m.leave();
    text = (await httpGet(h.broker, '/metrics')).text;
    assert.equal(metricValue(text, 'rivulet_consumer_group_members{group="dash\\"board"}'), 0);
  });

  it('list, describe, and delete (refused with NON_EMPTY_GROUP while a member is active)', async () => {
    const m = new Member(h.client, 'admins', { topics: ['clicks'] });
    await settle([m]);
    assert.equal((await m.commit('clicks', { 0: 1 })).errorCode, 0);

    const list = await h.client.request(ApiKeys.ListGroups, {});
    const admins = list.body.groups.find((g: { groupId: string }) => g.groupId === 'admins');
    assert.deepEqual(admins, { groupId: 'admins', groupState: 'Stable', groupType: 'consumer' });
    const stable = await h.client.request(ApiKeys.ListGroups, { statesFilter: ['empty'] });
    assert.ok(!stable.body.groups.some((g: { groupId: string }) => g.groupId === 'admins'));

    const d = await h.client.request(ApiKeys.DescribeGroups, { groups: ['admins', 'unknown'] });
    assert.equal(d.body.groups[0].groupState, 'Stable');
    assert.equal(d.body.groups[0].members.length, 1);
    assert.equal(d.body.groups[0].members[0].memberId, m.memberId);
    assert.equal(d.body.groups[0].members[0].clientHost, '127.0.0.1');
    assert.deepEqual(d.body.groups[0].members[0].assignment, [{ name: 'clicks', partitions: [0] }]);
    assert.equal(d.body.groups[1].groupState, 'Dead');

    const cd = await h.client.request(ApiKeys.ConsumerGroupDescribe, { groupIds: ['admins', 'unknown'] });
    assert.equal(cd.body.groups[0].members[0].memberEpoch, m.epoch);
    assert.deepEqual(cd.body.groups[0].members[0].subscribedTopicNames, ['clicks']);
    assert.equal(cd.body.groups[1].errorCode, ErrorCodes.GROUP_ID_NOT_FOUND);

    const refused = await h.client.request(ApiKeys.DeleteGroups, { groupsNames: ['admins'] });
    assert.equal(refused.body.results[0].errorCode, ErrorCodes.NON_EMPTY_GROUP);
    assert.equal((await fetchOffsets(h.client, 'admins', null))['clicks-0'], 1, 'a refused delete keeps the offsets');

    assert.equal((await m.leave()).errorCode, 0);
    const deleted = await h.client.request(ApiKeys.DeleteGroups, { groupsNames: ['admins', 'never', ''] });
    const codes = deleted.body.results.map((r: { errorCode: number }) => r.errorCode);
    assert.deepEqual(codes, [0, ErrorCodes.GROUP_ID_NOT_FOUND, ErrorCodes.INVALID_GROUP_ID]);
    assert.deepEqual(await fetchOffsets(h.client, 'admins', null), {});
    const after = await h.client.request(ApiKeys.ListGroups, {});
    assert.ok(!after.body.groups.some((g: { groupId: string }) => g.groupId === 'admins'));
    const text = (await httpGet(h.broker, '/metrics')).text;
    assert.equal(
      metricValue(text, 'rivulet_consumer_group_lag{group="admins",topic="clicks",partition="0"}'),
      undefined,
    );
  });
});
