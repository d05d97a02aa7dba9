/**
 * What every assignor sees and returns. Assignors are pure, deterministic functions: the same
 * members (in any order) and partition counts always give the same assignment. No I/O, no clock,
 * no randomness.
 */
import type { Assignment } from '../assignment.js';

export interface AssignorMember {
  readonly memberId: string;
  /** The static member id (`groupInstanceId`), if any. range and roundrobin order by it. */
  readonly instanceId?: string | null;
  /** Topic names; topics that do not exist (absent from the counts, or 0 partitions) are ignored. */
  readonly subscribedTopics: readonly string[];
  /** The member's previous target assignment. Only sticky reads it. */
  readonly currentAssignment: Assignment;
}

/** topic → number of partitions. */
export type TopicPartitionCounts = Readonly<Record<string, number>>;

/** memberId → target assignment; every member has an entry (maybe empty). */
export type GroupAssignment = Map<string, Assignment>;

export type AssignFn = (members: readonly AssignorMember[], counts: TopicPartitionCounts) => GroupAssignment;

export interface Assignor {
  readonly name: string;
  readonly assign: AssignFn;
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Members sorted by member id. */
export function byMemberId(members: readonly AssignorMember[]): AssignorMember[] {
  return [...members].sort((a, b) => compareStrings(a.memberId, b.memberId));
}

/**
 * Kafka's member order for range and roundrobin: static members first, by instance id, then the
 * others by member id. A static member that restarts under a new member id keeps its place, so
 * it gets the same partitions back.
 */
export function byInstanceThenMemberId(members: readonly AssignorMember[]): AssignorMember[] {
  return [...members].sort((a, b) => {
    const ai = a.instanceId ?? null;
    const bi = b.instanceId ?? null;
    if (ai !== null && bi !== null) return compareStrings(ai, bi) || compareStrings(a.memberId, b.memberId);
    if (ai !== null) return -1;
    if (bi !== null) return 1;
    return compareStrings(a.memberId, b.memberId);
  });
}

export function partitionCount(counts: TopicPartitionCounts, topic: string): number {
  const n = Object.hasOwn(counts, topic) ? counts[topic]! : 0;
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/** The existing topics a member subscribes to, sorted and deduplicated. */
export function existingSubscription(member: AssignorMember, counts: TopicPartitionCounts): string[] {
  return [...new Set(member.subscribedTopics)].filter((t) => partitionCount(counts, t) > 0).sort(compareStrings);
}

/** Every existing topic someone subscribes to, sorted. */
export function subscribedTopics(members: readonly AssignorMember[], counts: TopicPartitionCounts): string[] {
  const all = new Set<string>();
  for (const m of members) for (const t of existingSubscription(m, counts)) all.add(t);
  return [...all].sort(compareStrings);
}

/** Collects topic → partitions lists into an Assignment (partitions sorted). */
export function finish(members: readonly AssignorMember[], acc: Map<string, Map<string, number[]>>): GroupAssignment {
  const out: GroupAssignment = new Map();
  for (const m of byMemberId(members)) {
    const topics = acc.get(m.memberId);
    const a = new Map<string, number[]>();
    if (topics !== undefined) {
      for (const t of [...topics.keys()].sort(compareStrings)) {
        const ps = topics.get(t)!.sort((x, y) => x - y);
        if (ps.length > 0) a.set(t, ps);
      }
    }
    out.set(m.memberId, a);
  }
  return out;
}

/** Adds one partition to a member's accumulating assignment. */
export function give(
  acc: Map<string, Map<string, number[]>>,
  memberId: string,
  topic: string,
  partition: number,
): void {
  let topics = acc.get(memberId);
  if (topics === undefined) {
    topics = new Map();
    acc.set(memberId, topics);
  }
  let ps = topics.get(topic);
  if (ps === undefined) {
    ps = [];
    topics.set(topic, ps);
  }
  ps.push(partition);
}
