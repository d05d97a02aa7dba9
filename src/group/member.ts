/**
 * A consumer group member and its reconciliation, KIP-848 style.
 *
 * The coordinator counts a member as owning `assigned ∪ pendingRevocation`: what it was handed
 * and has not yet reported giving up. A member moves towards its target assignment one step per
 * heartbeat, and always revokes before it receives:
 *
 *   STABLE                 at the target epoch, owns its target (or is catching up to a new one)
 *   UNREVOKED_PARTITIONS   told to give up `pendingRevocation`; stays at its old epoch, gets
 *                          nothing new, until a heartbeat's owned partitions no longer hold any of
 *                          them (or its rebalance timeout fences it)
 *   UNRELEASED_PARTITIONS  at the target epoch, but some target partitions are still owned by
 *                          other members; each heartbeat grants those that have been released
 *
 * A partition is granted only when no other member owns it (`isFree`), so no partition is ever
 * owned by two members. A member whose target only grows is never asked to revoke anything.
 */
import {
  type Assignment,
  EMPTY_ASSIGNMENT,
  assignmentSize,
  filterAssignment,
  intersect,
  minus,
  overlaps,
  union,
} from './assignment.js';

export type MemberState = 'STABLE' | 'UNREVOKED_PARTITIONS' | 'UNRELEASED_PARTITIONS';

/** Wire names (ConsumerGroupDescribe's memberState). */
export const MEMBER_STATE_NAMES: Readonly<Record<MemberState, string>> = {
  STABLE: 'Stable',
  UNREVOKED_PARTITIONS: 'UnrevokedPartitions',
  UNRELEASED_PARTITIONS: 'UnreleasedPartitions',
};

/** memberEpoch values with a meaning of their own (ConsumerGroupHeartbeat). */
export const JOIN_EPOCH = 0;
export const LEAVE_EPOCH = -1;
export const STATIC_LEAVE_EPOCH = -2;

/** The part of a member that reconciliation reads and writes. */
export interface Reconciled {
  readonly state: MemberState;
  readonly memberEpoch: number;
  /** The epoch before the last change; a heartbeat carrying it is still accepted (a lost response). */
  readonly previousMemberEpoch: number;
  readonly assigned: Assignment;
  readonly pendingRevocation: Assignment;
}

export class GroupMember implements Reconciled {
  state: MemberState = 'STABLE';
  memberEpoch = JOIN_EPOCH;
  previousMemberEpoch = -1;
  assigned: Assignment = EMPTY_ASSIGNMENT;
  pendingRevocation: Assignment = EMPTY_ASSIGNMENT;

  subscribedTopicNames: readonly string[] = [];
  subscribedTopicRegex: string | null = null;
  regex: RegExp | null = null;
  /** Existing topics the names and the regex resolve to, sorted. What the assignor sees. */
  subscribedTopics: readonly string[] = [];
  serverAssignor: string | null = null;
  clientId = '';
  clientHost = '';

  cancelSessionTimer: (() => void) | null = null;
  cancelRebalanceTimer: (() => void) | null = null;

  constructor(
    readonly memberId: string,
    readonly instanceId: string | null,
    public rebalanceTimeoutMs: number,
  ) {}

  /** Whether it left with memberEpoch -2 and its partitions wait for it (static members only). */
  get isAway(): boolean {
    return this.memberEpoch === STATIC_LEAVE_EPOCH;
  }

  /** Everything the coordinator counts as this member's. */
  owned(): Assignment {
    return union(this.assigned, this.pendingRevocation);
  }

  apply(next: Reconciled): void {
    this.state = next.state;
    this.memberEpoch = next.memberEpoch;
    this.previousMemberEpoch = next.previousMemberEpoch;
    this.assigned = next.assigned;
    this.pendingRevocation = next.pendingRevocation;
  }

  /** A member that joins again with memberEpoch 0 owns nothing and starts over. */
  reset(): void {
    this.apply({
      state: 'STABLE',
      memberEpoch: JOIN_EPOCH,
      previousMemberEpoch: -1,
      assigned: EMPTY_ASSIGNMENT,
      pendingRevocation: EMPTY_ASSIGNMENT,
    });
  }

  /** A static member's new incarnation starts with the subscription of the one it replaces. */
  copySubscriptionFrom(other: GroupMember): void {
    this.subscribedTopicNames = other.subscribedTopicNames;
    this.subscribedTopicRegex = other.subscribedTopicRegex;
    this.regex = other.regex;
    this.subscribedTopics = other.subscribedTopics;
    this.serverAssignor = other.serverAssignor;
  }

  cancelTimers(): void {
    this.cancelSessionTimer?.();
    this.cancelSessionTimer = null;
    this.cancelRebalanceTimer?.();
    this.cancelRebalanceTimer = null;
  }
}

export interface ReconcileInput {
  readonly target: Assignment;
  readonly targetEpoch: number;
  /** True when no member but this one owns the partition. */
  isFree(topic: string, partition: number): boolean;
  /** The partitions the member reported owning in this heartbeat; null when not reported. */
  readonly reported: Assignment | null;
}

/** Whether the member may still own some of `partitions` (unknown counts as yes). */
function stillOwnsAny(reported: Assignment | null, partitions: Assignment): boolean {
  return reported === null || overlaps(reported, partitions);
}

/** One reconciliation step: the member's next state given its target. Pure. */
export function reconcile(m: Reconciled, input: ReconcileInput): Reconciled {
  switch (m.state) {
    case 'STABLE':
      return m.memberEpoch === input.targetEpoch ? m : nextAssignment(m, input);
    case 'UNREVOKED_PARTITIONS':
      return stillOwnsAny(input.reported, m.pendingRevocation) ? m : nextAssignment(m, input);
    case 'UNRELEASED_PARTITIONS':
      return nextAssignment(m, input);
  }
}

function nextAssignment(m: Reconciled, { target, targetEpoch, isFree, reported }: ReconcileInput): Reconciled {
  const kept = intersect(m.assigned, target);
  const revoking = minus(m.assigned, target);
  if (assignmentSize(revoking) > 0 && stillOwnsAny(reported, revoking)) {
    // Revoke first: the member keeps its epoch and receives nothing new until it has let go.
    return {
      state: 'UNREVOKED_PARTITIONS',
      memberEpoch: m.memberEpoch,
      previousMemberEpoch: m.previousMemberEpoch,
      assigned: kept,
      pendingRevocation: revoking,
    };
  }
  const wanted = minus(target, kept);
  const granted = filterAssignment(wanted, isFree);
  return {
    state: assignmentSize(granted) < assignmentSize(wanted) ? 'UNRELEASED_PARTITIONS' : 'STABLE',
    memberEpoch: targetEpoch,
    previousMemberEpoch: m.memberEpoch === targetEpoch ? m.previousMemberEpoch : m.memberEpoch,
    assigned: union(kept, granted),
    pendingRevocation: EMPTY_ASSIGNMENT,
  };
}
