/**
 * Simulated group members for coordinator tests. A well-behaved member takes newly assigned
 * partitions as soon as a response hands them over, but lets go of revoked ones only at its next
 * heartbeat (the slowest a correct client may be), and reports what it owns on every heartbeat.
 */
import assert from 'node:assert/strict';
import {
  type Assignment,
  EMPTY_ASSIGNMENT,
  assignmentSize,
  formatAssignment,
  fromTopicPartitions,
  intersect,
  isSubset,
  minus,
  overlaps,
  toTopicPartitions,
  union,
} from '../../src/group/assignment.js';
import type { GroupCoordinator } from '../../src/group/coordinator.js';
import type { ConsumerGroupHeartbeatResponse } from '../../src/protocol/apis/consumer-group-heartbeat.js';

export interface SimOptions {
  topics?: string[];
  regex?: string;
  instanceId?: string;
  assignor?: string;
  memberId?: string;
  /** Never gives up a partition (to test the rebalance timeout). */
  stubborn?: boolean;
}

export class SimMember {
  memberId: string;
  epoch = 0;
  owned: Assignment = EMPTY_ASSIGNMENT;
  /** The last assignment the coordinator sent. */
  allowed: Assignment = EMPTY_ASSIGNMENT;
  /** How many times the coordinator took a partition away from this member. */
  revocations = 0;
  joined = false;

  constructor(
    readonly coord: GroupCoordinator,
    readonly groupId: string,
    readonly opts: SimOptions = {},
  ) {
    this.memberId = opts.memberId ?? '';
  }

  heartbeat(): ConsumerGroupHeartbeatResponse {
    if (this.joined && !this.opts.stubborn) this.owned = intersect(this.owned, this.allowed);
    const res = this.coord.heartbeat(
      {
        groupId: this.groupId,
        memberId: this.memberId,
        memberEpoch: this.joined ? this.epoch : 0,
        instanceId: this.opts.instanceId ?? null,
        rebalanceTimeoutMs: -1,
        subscribedTopicNames: this.joined ? null : (this.opts.topics ?? null),
        subscribedTopicRegex: this.joined ? null : (this.opts.regex ?? null),
        serverAssignor: this.joined ? null : (this.opts.assignor ?? null),
        topicPartitions: toTopicPartitions(this.owned),
      },
      { clientId: 'sim', clientHost: '127.0.0.1' },
    );
    this.joined = true;
    this.memberId = res.memberId;
    this.epoch = res.memberEpoch;
    this.allowed = fromTopicPartitions(res.assignment!.topicPartitions);
    if (assignmentSize(minus(this.owned, this.allowed)) > 0) this.revocations++;
    this.owned = union(this.owned, this.allowed);
    return res;
  }

  leave(epoch = -1): ConsumerGroupHeartbeatResponse {
    const res = this.coord.heartbeat({
      groupId: this.groupId,
      memberId: this.memberId,
      memberEpoch: epoch,
      instanceId: this.opts.instanceId ?? null,
      rebalanceTimeoutMs: -1,
      subscribedTopicNames: null,
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: null,
    });
    this.owned = EMPTY_ASSIGNMENT;
    this.allowed = EMPTY_ASSIGNMENT;
    this.joined = false;
    return res;
  }

  /** The process died: it owns nothing any more and says nothing. */
  crash(): void {
    this.owned = EMPTY_ASSIGNMENT;
    this.allowed = EMPTY_ASSIGNMENT;
  }
}

/** No partition is owned by two members, as the members themselves see it. */
export function assertDisjoint(members: readonly SimMember[], when = ''): void {
  for (let i = 0; i < members.length; i++) {
    for (let j = i + 1; j < members.length; j++) {
      const x = members[i]!;
      const y = members[j]!;
      assert.ok(
        !overlaps(x.owned, y.owned),
        `${when}: ${x.memberId} owns ${formatAssignment(x.owned)} and ${y.memberId} owns ${formatAssignment(y.owned)}`,
      );
    }
  }
}

/** Heartbeats every member in turn, checking ownership after each, until the group is stable. */
export function settle(
  coord: GroupCoordinator,
  groupId: string,
  members: readonly SimMember[],
  maxRounds = 10,
): number {
  for (let round = 1; round <= maxRounds; round++) {
    for (const m of members) {
      m.heartbeat();
      assertDisjoint(members, `round ${round} after ${m.memberId}`);
    }
    const g = coord.group(groupId)!;
    const synced = members.every((m) => isSubset(m.owned, m.allowed) && isSubset(m.allowed, m.owned));
    if (g.state() === 'STABLE' && synced) return round;
  }
  assert.fail(`group ${groupId} not stable after ${maxRounds} rounds: ${coord.group(groupId)?.state()}`);
}

/** Every partition of `counts` owned by exactly one member; sizes within ±1. */
export function assertCoveredAndBalanced(members: readonly SimMember[], counts: Record<string, number>): void {
  const seen = new Map<string, string>();
  for (const m of members) {
    for (const [t, ps] of m.owned) {
      for (const p of ps) {
        const k = `${t}-${p}`;
        assert.equal(seen.get(k), undefined, `${k} owned twice`);
        seen.set(k, m.memberId);
      }
    }
  }
  for (const [t, n] of Object.entries(counts)) {
    for (let p = 0; p < n; p++) assert.ok(seen.has(`${t}-${p}`), `${t}-${p} owned by nobody`);
  }
  const sizes = members.map((m) => assignmentSize(m.owned));
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `unbalanced: ${sizes.join(' ')}`);
}
