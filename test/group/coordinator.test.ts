import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assignmentSize, formatAssignment, isSubset } from '../../src/group/assignment.js';
import { GroupCoordinator, type GroupCoordinatorOptions } from '../../src/group/coordinator.js';
import { RivuletError } from '../../src/errors.js';
import { ManualScheduler, MemoryOffsetLog } from './helpers.js';
import { assertCoveredAndBalanced, assertDisjoint, SimMember, settle } from './sim.js';

const G = 'g1';

function setup(topics: Record<string, number>, opts: Partial<GroupCoordinatorOptions> = {}) {
  const clock = new ManualScheduler();
  let n = 0;
  const coord = new GroupCoordinator({
    offsetLog: new MemoryOffsetLog(),
    scheduler: clock,
    topics,
    newMemberId: () => `m${String(++n).padStart(2, '0')}`,
    ...opts,
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

describe('coordinator: membership and reconciliation', () => {
  test('members join one by one, past the partition count: never two owners, always balanced', () => {
    const { coord } = setup({ t: 4 });
    const members: SimMember[] = [];
    for (let i = 0; i < 6; i++) {
      members.push(new SimMember(coord, G, { topics: ['t'] }));
      settle(coord, G, members);
      assertCoveredAndBalanced(members, { t: 4 });
    }
    assert.deepEqual(
      members.map((m) => assignmentSize(m.owned)),
      [1, 1, 1, 1, 0, 0],
    );
  });

  test('a join answers with a member id, the group epoch and the assignment at once', () => {
    const { coord } = setup({ t: 3 });
    const a = new SimMember(coord, G, { topics: ['t'] });
    const res = a.heartbeat();
    assert.equal(res.memberId, 'm01');
    assert.equal(res.memberEpoch, 1);
    assert.equal(res.heartbeatIntervalMs, 5000);
    assert.deepEqual(res.assignment, { topicPartitions: [{ name: 't', partitions: [0, 1, 2] }] });
    assert.equal(coord.group(G)!.state(), 'STABLE');
  });

  test('a client-chosen member id is kept', () => {
    const { coord } = setup({ t: 1 });
    const a = new SimMember(coord, G, { topics: ['t'], memberId: 'my-uuid' });
    assert.equal(a.heartbeat().memberId, 'my-uuid');
  });

  test('members whose partitions do not move are never asked to revoke and keep consuming', () => {
    const { coord } = setup({ t: 6 });
    const members = [1, 2, 3].map(() => new SimMember(coord, G, { topics: ['t'] }));
    settle(coord, G, members);
    const before = new Map(members.map((m) => [m, m.owned]));
    members.forEach((m) => {
      m.revocations = 0;
    });
    const d = new SimMember(coord, G, { topics: ['t'] });
    const all = [...members, d];
    // Check after every heartbeat that untouched members never lost anything.
    for (let round = 0; round < 6; round++) {
      for (const m of all) {
        m.heartbeat();
        assertDisjoint(all, `round ${round}`);
        for (const old of members) {
          const target = coord.group(G)!.targets.get(old.memberId)!;
          if (isSubset(before.get(old)!, target)) assert.ok(isSubset(before.get(old)!, old.owned));
        }
      }
    }
    assertCoveredAndBalanced(all, { t: 6 });
    const untouched = members.filter((m) => isSubset(before.get(m)!, m.owned));
    assert.equal(untouched.length, 2, 'quotas 2,2,1,1: two of the three keep both their partitions');
    for (const m of untouched) assert.equal(m.revocations, 0);
    assert.equal(
      members.reduce((n, m) => n + m.revocations, 0),
      1,
      'one partition moved, so one revocation',
    );
  });

  test('a partition moves only after its owner reported revoking it', () => {
    const { coord } = setup({ t: 2 });
    const a = new SimMember(coord, G, { topics: ['t'] });
    a.heartbeat();
    const b = new SimMember(coord, G, { topics: ['t'] });
    const first = b.heartbeat();
    assert.deepEqual(first.assignment!.topicPartitions, [], 'b gets nothing while a still owns both');
    assert.equal(coord.group(G)!.members.get(b.memberId)!.state, 'UNRELEASED_PARTITIONS');
    const revoke = a.heartbeat();
    assert.deepEqual(revoke.assignment!.topicPartitions, [{ name: 't', partitions: [0] }]);
    assert.equal(revoke.memberEpoch, 1, 'a stays at its epoch until it has revoked');
    assert.deepEqual(b.heartbeat().assignment!.topicPartitions, [], 'a has not reported yet');
    assert.equal(a.heartbeat().memberEpoch, 2);
    assert.deepEqual(b.heartbeat().assignment!.topicPartitions, [{ name: 't', partitions: [1] }]);
    assert.equal(coord.group(G)!.state(), 'STABLE');
  });

  test('leave: the partitions go to the others', () => {
    const { coord } = setup({ t: 5 });
    const members = [1, 2, 3].map(() => new SimMember(coord, G, { topics: ['t'] }));
    settle(coord, G, members);
    const res = members[1]!.leave();
    assert.equal(res.memberEpoch, -1);
    assert.equal(res.assignment, null);
    const rest = [members[0]!, members[2]!];
    settle(coord, G, rest);
    assertCoveredAndBalanced(rest, { t: 5 });
    assert.equal(coord.group(G)!.members.size, 2);
  });

  test('the last member leaves: the group is empty', () => {
    const { coord } = setup({ t: 1 });
    const a = new SimMember(coord, G, { topics: ['t'] });
    a.heartbeat();
    a.leave();
    assert.equal(coord.group(G)!.state(), 'EMPTY');
  });

  test('a crashed member is removed after the session timeout, not before', () => {
    const { coord, clock } = setup({ t: 4 }, { sessionTimeoutMs: 45_000 });
    const members = [1, 2].map(() => new SimMember(coord, G, { topics: ['t'] }));
    settle(coord, G, members);
    const [a, b] = members as [SimMember, SimMember];
    b.crash();
    for (let t = 0; t < 40_000; t += 5_000) {
      clock.advance(5_000);
      a.heartbeat();
    }
    assert.equal(coord.group(G)!.members.size, 2, 'still there at 40 s');
    assert.equal(assignmentSize(a.owned), 2);
    clock.advance(5_000);
    assert.equal(coord.group(G)!.members.size, 1, 'gone at 45 s');
    a.heartbeat();
    assert.equal(assignmentSize(a.owned), 4);
    assert.equal(
      code(() => b.heartbeat()),
      'UNKNOWN_MEMBER_ID',
    );
  });

  test('a member that does not revoke is fenced after its rebalance timeout', () => {
    const { coord, clock } = setup({ t: 2 }, { defaultRebalanceTimeoutMs: 60_000, sessionTimeoutMs: 600_000 });
    const a = new SimMember(coord, G, { topics: ['t'], stubborn: true });
    a.heartbeat();
    const b = new SimMember(coord, G, { topics: ['t'] });
    b.heartbeat();
    a.heartbeat(); // told to revoke t-1: the rebalance timeout starts now
    const members = [a, b];
    for (let t = 5_000; t < 60_000; t += 5_000) {
      clock.advance(5_000);
      for (const m of members) m.heartbeat();
      assertDisjoint(members, `at ${t} ms`);
    }
    assert.equal(assignmentSize(b.owned), 0, 'b waited: a never released');
    assert.equal(coord.group(G)!.members.get(a.memberId)!.state, 'UNREVOKED_PARTITIONS');
    clock.advance(5_000);
    assert.equal(coord.group(G)!.members.has(a.memberId), false, 'fenced at 60 s');
    assert.equal(
      code(() => a.heartbeat()),
      'UNKNOWN_MEMBER_ID',
    );
    b.heartbeat();
    assert.equal(assignmentSize(b.owned), 2);
  });

  test('a fenced member joins again with epoch 0 and gets its target back; nobody else moves', () => {
    const { coord } = setup({ t: 4 });
    const members = [1, 2].map(() => new SimMember(coord, G, { topics: ['t'] }));
    settle(coord, G, members);
    const [a, b] = members as [SimMember, SimMember];
    const epoch = coord.group(G)!.groupEpoch;
    const had = formatAssignment(a.owned);
    a.crash();
    a.joined = false; // rejoin under the same member id
    a.heartbeat();
    assert.equal(formatAssignment(a.owned), had);
    assert.equal(coord.group(G)!.groupEpoch, epoch);
    b.revocations = 0;
    settle(coord, G, members);
    assert.equal(b.revocations, 0);
  });

  test('epochs: newer is FENCED_MEMBER_EPOCH, the previous one is accepted after a lost response', () => {
    const { coord } = setup({ t: 2 });
    const a = new SimMember(coord, G, { topics: ['t'] });
    a.heartbeat();
    const b = new SimMember(coord, G, { topics: ['t'] });
    b.heartbeat();
    a.heartbeat(); // told to revoke t-1
    a.heartbeat(); // revoked; epoch 1 → 2
    assert.equal(a.epoch, 2);
    a.epoch = 1; // as if the last response was lost: a sends its previous epoch, owning a subset
    assert.equal(a.heartbeat().memberEpoch, 2);
    a.epoch = 3;
    assert.equal(
      code(() => a.heartbeat()),
      'FENCED_MEMBER_EPOCH',
    );
    const stale = {
      groupId: G,
      memberId: a.memberId,
      memberEpoch: 1,
      instanceId: null,
      rebalanceTimeoutMs: -1,
      subscribedTopicNames: null,
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: [{ name: 't', partitions: [0, 1] }],
    };
    assert.equal(
      code(() => coord.heartbeat(stale)),
      'FENCED_MEMBER_EPOCH',
      'previous epoch, owning more than assigned',
    );
    assert.equal(
      code(() => coord.heartbeat({ ...stale, topicPartitions: null })),
      'FENCED_MEMBER_EPOCH',
    );
  });

  test('unknown member, unknown group, bad requests', () => {
    const { coord } = setup({ t: 2 });
    const base = {
      groupId: G,
      memberId: 'nobody',
      memberEpoch: 3,
      instanceId: null,
      rebalanceTimeoutMs: -1,
      subscribedTopicNames: null,
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: null,
    };
    assert.equal(
      code(() => coord.heartbeat(base)),
      'UNKNOWN_MEMBER_ID',
    );
    new SimMember(coord, G, { topics: ['t'] }).heartbeat();
    assert.equal(
      code(() => coord.heartbeat(base)),
      'UNKNOWN_MEMBER_ID',
    );
    assert.equal(
      code(() => coord.heartbeat({ ...base, groupId: '' })),
      'INVALID_GROUP_ID',
    );
    assert.equal(
      code(() => coord.heartbeat({ ...base, memberEpoch: -3 })),
      'INVALID_REQUEST',
    );
    assert.equal(
      code(() => coord.heartbeat({ ...base, memberEpoch: 0 })),
      'INVALID_REQUEST',
      'join without subscription',
    );
    const join = { ...base, memberId: '', memberEpoch: 0, subscribedTopicNames: ['t'] };
    assert.equal(
      code(() => coord.heartbeat({ ...join, serverAssignor: 'magic' })),
      'UNSUPPORTED_ASSIGNOR',
    );
    assert.equal(
      code(() => coord.heartbeat({ ...join, subscribedTopicRegex: '(a+)+' })),
      'INVALID_REQUEST',
    );
    assert.equal(
      code(() => coord.heartbeat({ ...join, subscribedTopicRegex: '[' })),
      'INVALID_REQUEST',
    );
    assert.equal(
      code(() => coord.heartbeat({ ...join, rebalanceTimeoutMs: 0 })),
      'INVALID_REQUEST',
    );
  });

  test('leaving a group one is not in is not an error', () => {
    const { coord } = setup({ t: 1 });
    const ghost = new SimMember(coord, G, { memberId: 'ghost' });
    assert.equal(ghost.leave().memberEpoch, -1);
  });
});
