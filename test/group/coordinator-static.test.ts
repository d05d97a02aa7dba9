import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assignmentSize, formatAssignment } from '../../src/group/assignment.js';
import { GroupCoordinator } from '../../src/group/coordinator.js';
import { RivuletError } from '../../src/errors.js';
import { ManualScheduler, MemoryOffsetLog } from './helpers.js';
import { assertCoveredAndBalanced, SimMember, settle } from './sim.js';

const G = 'g1';

function setup(topics: Record<string, number>) {
  const clock = new ManualScheduler();
  let n = 0;
  const coord = new GroupCoordinator({
    offsetLog: new MemoryOffsetLog(),
    scheduler: clock,
    topics,
    sessionTimeoutMs: 45_000,
    newMemberId: () => `m${String(++n).padStart(2, '0')}`,
  });
  return { clock, coord };
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof RivuletError, String(err));
    return err.code;
  }
  return 'NONE';
}

describe('coordinator: static membership', () => {
  test('a static member restarting within its session gets its partitions back and nothing moves', () => {
    const { coord, clock } = setup({ t: 6 });
    const s1 = new SimMember(coord, G, { topics: ['t'], instanceId: 'host-1' });
    const others = [new SimMember(coord, G, { topics: ['t'] }), new SimMember(coord, G, { topics: ['t'] })];
    settle(coord, G, [s1, ...others]);
    const epoch = coord.group(G)!.groupEpoch;
    const had = formatAssignment(s1.owned);
    const othersHad = others.map((m) => formatAssignment(m.owned));

    assert.equal(s1.leave(-2).memberEpoch, -2);
    clock.advance(20_000);
    for (const m of others) m.heartbeat();
    assert.equal(formatAssignment(others[0]!.owned), othersHad[0], 'nobody takes the away member’s partitions');

    const again = new SimMember(coord, G, { topics: ['t'], instanceId: 'host-1' });
    const res = again.heartbeat();
    assert.notEqual(res.memberId, s1.memberId);
    assert.equal(formatAssignment(again.owned), had);
    assert.equal(coord.group(G)!.groupEpoch, epoch, 'no new group epoch: no rebalance');
    for (const m of others) m.revocations = 0;
    settle(coord, G, [again, ...others]);
    assert.deepEqual(
      others.map((m) => formatAssignment(m.owned)),
      othersHad,
    );
    assert.ok(others.every((m) => m.revocations === 0));
    assert.equal(coord.group(G)!.members.size, 3);
  });

  test('a static member away longer than its session is removed and its partitions shared out', () => {
    const { coord, clock } = setup({ t: 4 });
    const s1 = new SimMember(coord, G, { topics: ['t'], instanceId: 'host-1' });
    const b = new SimMember(coord, G, { topics: ['t'] });
    settle(coord, G, [s1, b]);
    s1.leave(-2);
    for (let t = 0; t < 45_000; t += 5_000) {
      clock.advance(5_000);
      b.heartbeat();
    }
    assert.equal(coord.group(G)!.members.size, 1);
    settle(coord, G, [b]);
    assert.equal(assignmentSize(b.owned), 4);
  });

  test('UNRELEASED_INSTANCE_ID while the instance is still active; FENCED_INSTANCE_ID for a replaced one', () => {
    const { coord } = setup({ t: 2 });
    const s1 = new SimMember(coord, G, { topics: ['t'], instanceId: 'host-1' });
    s1.heartbeat();
    const clash = new SimMember(coord, G, { topics: ['t'], instanceId: 'host-1' });
    assert.equal(
      code(() => clash.heartbeat()),
      'UNRELEASED_INSTANCE_ID',
    );

    s1.leave(-2);
    const s2 = new SimMember(coord, G, { topics: ['t'], instanceId: 'host-1' });
    s2.heartbeat();
    s1.joined = true; // the old incarnation comes back to life with its old member id
    assert.equal(
      code(() => s1.heartbeat()),
      'FENCED_INSTANCE_ID',
    );
    assert.equal(
      code(() => s1.leave()),
      'FENCED_INSTANCE_ID',
    );
  });

  test('a dynamic member leaving with -2 simply leaves', () => {
    const { coord } = setup({ t: 2 });
    const a = new SimMember(coord, G, { topics: ['t'] });
    a.heartbeat();
    assert.equal(a.leave(-2).memberEpoch, -1);
    assert.equal(coord.group(G)!.members.size, 0);
  });
});

describe('coordinator: subscriptions and metadata', () => {
  test('a regex subscription picks up a topic created later; internal topics never match', () => {
    const { coord } = setup({ 'orders-eu': 2, payments: 1, __consumer_offsets: 50 });
    const a = new SimMember(coord, G, { regex: 'orders-.*' });
    const all = new SimMember(coord, 'g2', { regex: '.*' });
    a.heartbeat();
    all.heartbeat();
    assert.equal(formatAssignment(a.owned), 'orders-eu:[0,1]');
    assert.equal(formatAssignment(all.owned), 'orders-eu:[0,1] payments:[0]');
    const epoch = coord.group(G)!.groupEpoch;

    coord.onMetadataChange({ 'orders-eu': 2, 'orders-us': 3, payments: 1, __consumer_offsets: 50 });
    assert.equal(coord.group(G)!.groupEpoch, epoch + 1);
    assert.equal(coord.group(G)!.state(), 'ASSIGNING');
    a.heartbeat();
    assert.equal(formatAssignment(a.owned), 'orders-eu:[0,1] orders-us:[0,1,2]');
    assert.equal(coord.group(G)!.state(), 'STABLE');
  });

  test('a topic that does not exist yet is assigned once it is created', () => {
    const { coord } = setup({});
    const a = new SimMember(coord, G, { topics: ['later'] });
    a.heartbeat();
    assert.equal(assignmentSize(a.owned), 0);
    coord.onMetadataChange({ later: 2 });
    a.heartbeat();
    assert.equal(formatAssignment(a.owned), 'later:[0,1]');
  });

  test('new partitions are picked up and shared; unrelated topics do not bump the epoch', () => {
    const { coord } = setup({ t: 2, other: 1 });
    const members = [new SimMember(coord, G, { topics: ['t'] }), new SimMember(coord, G, { topics: ['t'] })];
    settle(coord, G, members);
    const epoch = coord.group(G)!.groupEpoch;
    coord.onMetadataChange({ t: 2, other: 5 });
    assert.equal(coord.group(G)!.groupEpoch, epoch);
    coord.onMetadataChange({ t: 5, other: 5 });
    assert.equal(coord.group(G)!.groupEpoch, epoch + 1);
    settle(coord, G, members);
    assertCoveredAndBalanced(members, { t: 5 });
  });

  test('a deleted topic is revoked', () => {
    const { coord } = setup({ t: 2, u: 2 });
    const a = new SimMember(coord, G, { topics: ['t', 'u'] });
    settle(coord, G, [a]);
    coord.onMetadataChange({ t: 2 });
    settle(coord, G, [a]);
    assert.equal(formatAssignment(a.owned), 't:[0,1]');
  });

  test('changing the subscription moves partitions; the group uses the assignor most members ask for', () => {
    const { coord } = setup({ t: 4, u: 4 });
    const a = new SimMember(coord, G, { topics: ['t'], assignor: 'range' });
    const b = new SimMember(coord, G, { topics: ['t'], assignor: 'range' });
    settle(coord, G, [a, b]);
    assert.equal(coord.group(G)!.assignorName, 'range');
    assert.equal(formatAssignment(a.owned), 't:[0,1]');
    coord.heartbeat({
      groupId: G,
      memberId: a.memberId,
      memberEpoch: a.epoch,
      instanceId: null,
      rebalanceTimeoutMs: -1,
      subscribedTopicNames: ['u'],
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: [{ name: 't', partitions: [0, 1] }],
    });
    a.epoch = coord.group(G)!.members.get(a.memberId)!.memberEpoch;
    a.allowed = coord.group(G)!.members.get(a.memberId)!.assigned;
    settle(coord, G, [a, b]);
    assert.equal(formatAssignment(a.owned), 'u:[0,1,2,3]');
    assert.equal(formatAssignment(b.owned), 't:[0,1,2,3]');
  });
});

describe('coordinator: group states and describe/list', () => {
  test('states: Empty → Reconciling → Stable, Assigning after a metadata change', () => {
    const { coord } = setup({ t: 2 });
    const a = new SimMember(coord, G, { topics: ['t'] });
    a.heartbeat();
    assert.equal(coord.group(G)!.state(), 'STABLE');
    const b = new SimMember(coord, G, { topics: ['t'] });
    b.heartbeat();
    assert.equal(coord.group(G)!.state(), 'RECONCILING');
    settle(coord, G, [a, b]);
    coord.onMetadataChange({ t: 3 });
    assert.equal(coord.group(G)!.state(), 'ASSIGNING');
    a.leave();
    b.leave();
    assert.equal(coord.group(G)!.state(), 'EMPTY');
  });

  test('ConsumerGroupDescribe, DescribeGroups and ListGroups', async () => {
    const { coord } = setup({ t: 2 });
    const a = new SimMember(coord, G, { topics: ['t'], instanceId: 'i-a' });
    a.heartbeat();
    await coord.commitOffsets({
      groupId: 'offsets-only',
      memberId: '',
      memberEpoch: -1,
      groupInstanceId: null,
      topics: [{ name: 't', partitions: [{ index: 0, committedOffset: 5, committedMetadata: null }] }],
    });
    const d = coord.consumerGroupDescribe({ groupIds: [G, 'offsets-only', 'nope'] });
    const [g, empty, missing] = d.groups;
    assert.equal(g!.groupState, 'Stable');
    assert.equal(g!.groupEpoch, 1);
    assert.equal(g!.assignmentEpoch, 1);
    assert.equal(g!.assignorName, 'sticky');
    assert.deepEqual(g!.members[0], {
      memberId: 'm01',
      instanceId: 'i-a',
      memberEpoch: 1,
      memberState: 'Stable',
      clientId: 'sim',
      clientHost: '127.0.0.1',
      subscribedTopicNames: ['t'],
      subscribedTopicRegex: null,
      rebalanceTimeoutMs: 300_000,
      assignment: { topicPartitions: [{ name: 't', partitions: [0, 1] }] },
      targetAssignment: { topicPartitions: [{ name: 't', partitions: [0, 1] }] },
    });
    assert.equal(empty!.groupState, 'Empty');
    assert.equal(empty!.errorCode, 0);
    assert.equal(missing!.errorCode, 69);

    const classic = coord.describeGroups({ groups: [G, 'nope'] });
    assert.equal(classic.groups[0]!.protocolData, 'sticky');
    assert.equal(classic.groups[0]!.members[0]!.groupInstanceId, 'i-a');
    assert.equal(classic.groups[1]!.groupState, 'Dead');

    assert.deepEqual(coord.listGroups({ statesFilter: [] }).groups, [
      { groupId: G, groupState: 'Stable', groupType: 'consumer' },
      { groupId: 'offsets-only', groupState: 'Empty', groupType: 'consumer' },
    ]);
    assert.deepEqual(
      coord.listGroups({ statesFilter: ['EMPTY'] }).groups.map((x) => x.groupId),
      ['offsets-only'],
    );
  });

  test('DeleteGroups: refused with members, deletes an empty group and its offsets', async () => {
    const { coord } = setup({ t: 2 });
    const a = new SimMember(coord, G, { topics: ['t'] });
    a.heartbeat();
    await coord.commitOffsets({
      groupId: G,
      memberId: a.memberId,
      memberEpoch: a.epoch,
      groupInstanceId: null,
      topics: [{ name: 't', partitions: [{ index: 0, committedOffset: 7, committedMetadata: 'x' }] }],
    });
    let res = await coord.deleteGroups({ groupsNames: [G, 'nope', ''] });
    assert.deepEqual(
      res.results.map((r) => [r.groupId, r.errorCode]),
      [
        [G, 68],
        ['nope', 69],
        ['', 24],
      ],
    );
    a.leave();
    res = await coord.deleteGroups({ groupsNames: [G] });
    assert.equal(res.results[0]!.errorCode, 0);
    assert.equal(coord.group(G), undefined);
    assert.equal(coord.offsets.get(G, 't', 0), undefined);
    assert.deepEqual(coord.listGroups({ statesFilter: [] }).groups, []);
  });
});
