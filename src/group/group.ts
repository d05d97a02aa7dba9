/**
 * One consumer group: its members, epochs, target assignment and who owns which partition.
 *
 * Epochs (KIP-848):
 * - groupEpoch rises whenever what the assignment depends on changes: a member joins or is
 *   removed, a member's resolved subscription or preferred assignor changes, or a subscribed
 *   topic's partition count changes (a topic created, deleted or grown).
 * - assignmentEpoch is the groupEpoch the target assignment was computed for; below groupEpoch
 *   means a new target is due (state ASSIGNING), computed on the next heartbeat.
 * - memberEpoch (per member) reaches assignmentEpoch once the member has revoked what it had to.
 *
 * Invariant, checked on every change: a partition is owned (assigned or pending revocation) by at
 * most one member. Breaking it throws: it would be a coordinator bug, never a client's doing.
 */
import { type Assignment, EMPTY_ASSIGNMENT } from './assignment.js';
import { type Assignor, type AssignorMember, compareStrings, type TopicPartitionCounts } from './assignors/common.js';
import type { GroupMember, Reconciled } from './member.js';
import { resolveSubscription } from './subscription.js';

export type GroupState = 'EMPTY' | 'ASSIGNING' | 'RECONCILING' | 'STABLE' | 'DEAD';

/** Kafka's wire names for group states. */
export const GROUP_STATE_NAMES: Readonly<Record<GroupState, string>> = {
  EMPTY: 'Empty',
  ASSIGNING: 'Assigning',
  RECONCILING: 'Reconciling',
  STABLE: 'Stable',
  DEAD: 'Dead',
};

export class ConsumerGroup {
  groupEpoch = 0;
  assignmentEpoch = 0;
  /** The assignor the current target was computed with. */
  assignorName: string;
  /** When the group last became empty (ms since the epoch). Offsets expire from there. */
  emptySinceMs: number;
  dead = false;
  readonly members = new Map<string, GroupMember>();
  /** instanceId → memberId, for static members. */
  readonly staticMembers = new Map<string, string>();
  /** memberId → target assignment (as of assignmentEpoch). */
  readonly targets = new Map<string, Assignment>();
  /** topic → partition → memberId that owns it. */
  private readonly owners = new Map<string, Map<number, string>>();
  /** Partition counts of the subscribed topics, as the last target saw them. */
  private subscribedCounts: Record<string, number> = {};

  constructor(
    readonly groupId: string,
    private readonly defaultAssignor: string,
    nowMs: number,
  ) {
    this.assignorName = defaultAssignor;
    this.emptySinceMs = nowMs;
  }

  state(): GroupState {
    if (this.dead) return 'DEAD';
    if (this.members.size === 0) return 'EMPTY';
    if (this.groupEpoch > this.assignmentEpoch) return 'ASSIGNING';
    for (const m of this.members.values()) {
      if (m.isAway) continue;
      if (m.memberEpoch !== this.assignmentEpoch || m.state !== 'STABLE') return 'RECONCILING';
    }
    return 'STABLE';
  }

  bumpEpoch(): void {
    this.groupEpoch++;
  }

  addMember(m: GroupMember): void {
    this.members.set(m.memberId, m);
    if (m.instanceId !== null) this.staticMembers.set(m.instanceId, m.memberId);
  }

  /** Removes a member and frees what it owned. The caller bumps the epoch if the target must change. */
  removeMember(m: GroupMember, nowMs: number): void {
    m.cancelTimers();
    this.setOwned(m, m.owned(), EMPTY_ASSIGNMENT);
    this.members.delete(m.memberId);
    this.targets.delete(m.memberId);
    if (m.instanceId !== null && this.staticMembers.get(m.instanceId) === m.memberId) {
      this.staticMembers.delete(m.instanceId);
    }
    if (this.members.size === 0) this.emptySinceMs = nowMs;
  }

  /**
   * A static member's new incarnation takes the place of the one that left with epoch -2: its
   * target, and its partitions (the new process owns none of them yet, so the first reconciliation
   * hands them straight back). Nothing else in the group changes.
   */
  replaceStaticMember(old: GroupMember, next: GroupMember): void {
    old.cancelTimers();
    const owned = old.owned();
    const target = this.targets.get(old.memberId);
    this.setOwned(old, owned, EMPTY_ASSIGNMENT);
    this.members.delete(old.memberId);
    this.targets.delete(old.memberId);
    next.apply({
      state: 'STABLE',
      memberEpoch: 0,
      previousMemberEpoch: -1,
      assigned: owned,
      pendingRevocation: EMPTY_ASSIGNMENT,
    });
    this.addMember(next);
    this.setOwned(next, EMPTY_ASSIGNMENT, owned);
    if (target !== undefined) this.targets.set(next.memberId, target);
  }

  /** A member joining again with epoch 0 owns nothing: free its partitions, keep its target. */
  resetMember(m: GroupMember): void {
    this.setOwned(m, m.owned(), EMPTY_ASSIGNMENT);
    m.reset();
  }

  /** Applies a reconciliation result, keeping the one-owner invariant. */
  applyReconciled(m: GroupMember, next: Reconciled): void {
    if (next === m) return;
    const before = m.owned();
    m.apply(next);
    this.setOwned(m, before, m.owned());
  }

  /** True when no member other than `memberId` owns the partition. */
  isFreeFor(memberId: string): (topic: string, partition: number) => boolean {
    return (topic, partition) => {
      const owner = this.owners.get(topic)?.get(partition);
      return owner === undefined || owner === memberId;
    };
  }

  ownerOf(topic: string, partition: number): string | undefined {
    return this.owners.get(topic)?.get(partition);
  }

  private setOwned(m: GroupMember, before: Assignment, after: Assignment): void {
    for (const [topic, ps] of before) {
      const byPartition = this.owners.get(topic);
      if (byPartition === undefined) continue;
      for (const p of ps) if (byPartition.get(p) === m.memberId) byPartition.delete(p);
      if (byPartition.size === 0) this.owners.delete(topic);
    }
    for (const [topic, ps] of after) {
      let byPartition = this.owners.get(topic);
      if (byPartition === undefined) {
        byPartition = new Map();
        this.owners.set(topic, byPartition);
      }
      for (const p of ps) {
        const owner = byPartition.get(p);
        if (owner !== undefined && owner !== m.memberId) {
          throw new Error(`group ${this.groupId}: ${topic}-${p} would be owned by ${owner} and ${m.memberId}`);
        }
        byPartition.set(p, m.memberId);
      }
    }
  }

  /**
   * Resolves every member's subscription against `topics` and notes the partition counts of the
   * subscribed topics. True when anything the assignment depends on changed.
   */
  refreshSubscriptions(topics: TopicPartitionCounts): boolean {
    let changed = false;
    const counts: Record<string, number> = {};
    for (const m of this.members.values()) {
      const resolved = resolveSubscription(m.subscribedTopicNames, m.regex, topics);
      if (resolved.join('\u0000') !== m.subscribedTopics.join('\u0000')) {
        m.subscribedTopics = resolved;
        changed = true;
      }
      for (const t of resolved) counts[t] = topics[t]!;
    }
    const before = this.subscribedCounts;
    if (
      Object.keys(counts).length !== Object.keys(before).length ||
      Object.keys(counts).some((t) => before[t] !== counts[t])
    ) {
      changed = true;
    }
    this.subscribedCounts = counts;
    return changed;
  }

  /** The assignor most members ask for (ties: by name), or the default when none asks. */
  preferredAssignor(): string {
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      if (m.serverAssignor !== null) votes.set(m.serverAssignor, (votes.get(m.serverAssignor) ?? 0) + 1);
    }
    let best: string | null = null;
    for (const [name, n] of votes) {
      const bestVotes = best === null ? 0 : votes.get(best)!;
      if (best === null || n > bestVotes || (n === bestVotes && compareStrings(name, best) < 0)) best = name;
    }
    return best ?? this.defaultAssignor;
  }

  /** Computes the target assignment for the current groupEpoch. */
  computeTargetAssignment(assignor: Assignor): void {
    const input: AssignorMember[] = [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      instanceId: m.instanceId,
      subscribedTopics: m.subscribedTopics,
      currentAssignment: this.targets.get(m.memberId) ?? EMPTY_ASSIGNMENT,
    }));
    const result = assignor.assign(input, this.subscribedCounts);
    this.targets.clear();
    for (const m of this.members.values()) this.targets.set(m.memberId, result.get(m.memberId) ?? EMPTY_ASSIGNMENT);
    this.assignorName = assignor.name;
    this.assignmentEpoch = this.groupEpoch;
  }
}
