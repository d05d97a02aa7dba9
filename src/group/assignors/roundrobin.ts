/**
 * The roundrobin assignor, as Kafka's classic RoundRobinAssignor: every partition of every
 * subscribed topic, in (topic, partition) order, goes to the next member in a circle (static
 * members first by instance id, then by member id), skipping members not subscribed to its topic.
 *
 *   topics a (2), b (3); members m1 m2 → m1: a0 b0 b2   m2: a1 b1
 *
 * With identical subscriptions every member gets within one partition of every other. With
 * different subscriptions the skipping can leave it less balanced (as in Kafka). Not sticky.
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

export function roundRobinAssign(members: readonly AssignorMember[], counts: TopicPartitionCounts): GroupAssignment {
  const ordered = byInstanceThenMemberId(members);
  const subs = ordered.map((m) => new Set(existingSubscription(m, counts)));
  const acc = new Map<string, Map<string, number[]>>();
  let next = 0;
  for (const topic of subscribedTopics(members, counts)) {
    for (let p = 0; p < partitionCount(counts, topic); p++) {
      // Someone subscribes to `topic` (subscribedTopics says so), so this loop ends.
      while (!subs[next]!.has(topic)) next = (next + 1) % ordered.length;
      give(acc, ordered[next]!.memberId, topic, p);
      next = (next + 1) % ordered.length;
    }
  }
  return finish(members, acc);
}

export const RoundRobinAssignor: Assignor = { name: 'roundrobin', assign: roundRobinAssign };
