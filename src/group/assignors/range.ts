/**
 * The range assignor, as Kafka's classic RangeAssignor: topic by topic, the members subscribed to
 * the topic (static members first by instance id, then by member id) each get one contiguous
 * range of its partitions; the first `partitions % members` of them get one more.
 *
 *   topic t, 7 partitions, members a b c → a: 0 1 2   b: 3 4   c: 5 6
 *
 * Balanced to ±1 per topic, not across topics (the first members get the extra partition of
 * every topic), and the same partition numbers of co-subscribed topics go to the same member
 * (what joins of co-partitioned topics need). Not sticky: it ignores current assignments.
 */
import {
  type AssignorMember,
  type Assignor,
  byInstanceThenMemberId,
  existingSubscription,
  finish,
  give,
  type GroupAssignment,
  partitionCount,
  subscribedTopics,
  type TopicPartitionCounts,
} from './common.js';

export function rangeAssign(members: readonly AssignorMember[], counts: TopicPartitionCounts): GroupAssignment {
  const ordered = byInstanceThenMemberId(members);
  const subs = new Map(ordered.map((m) => [m.memberId, new Set(existingSubscription(m, counts))]));
  const acc = new Map<string, Map<string, number[]>>();
  for (const topic of subscribedTopics(members, counts)) {
    const consumers = ordered.filter((m) => subs.get(m.memberId)!.has(topic));
    const n = partitionCount(counts, topic);
    const per = Math.floor(n / consumers.length);
    const extra = n % consumers.length;
    consumers.forEach((m, i) => {
      const start = i * per + Math.min(i, extra);
      const length = per + (i < extra ? 1 : 0);
      for (let p = start; p < start + length; p++) give(acc, m.memberId, topic, p);
    });
  }
  return finish(members, acc);
}

export const RangeAssignor: Assignor = { name: 'range', assign: rangeAssign };
