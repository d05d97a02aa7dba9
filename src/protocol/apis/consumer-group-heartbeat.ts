/**
 * ConsumerGroupHeartbeat (key 68), v0. Kafka's KIP-848 protocol: the broker computes the assignment.
 * Request body: { groupId, memberId, memberEpoch, instanceId, rebalanceTimeoutMs,
 *   subscribedTopicNames, subscribedTopicRegex, serverAssignor, topicPartitions }
 *   memberEpoch: 0 to join, -1 to leave, -2 for a static member that will come back (keeps its
 *   partitions until its session times out), otherwise the epoch the member last received.
 *   memberId: empty on a first join (the broker makes one) or one the client made (a UUID), kept
 *   for the member's whole life. instanceId: the static member id, or null.
 *   rebalanceTimeoutMs: -1 = unchanged (the broker's default on join); how long the member may take
 *   to revoke partitions before it is fenced.
 *   subscribedTopicNames / subscribedTopicRegex / serverAssignor: null = unchanged since the last
 *   heartbeat (a join must send a subscription). The regex is a JavaScript RegExp source matched
 *   against whole topic names; internal topics never match. serverAssignor: 'sticky' (default),
 *   'range', 'roundrobin'.
 *   topicPartitions: the partitions the member owns now, or null = unchanged. A member keeps
 *   owning a revoked partition until a heartbeat reports it gone.
 * Response body: { throttleTimeMs, memberId, memberEpoch, heartbeatIntervalMs,
 *   assignment: { topicPartitions: [{ name, partitions }] } | null }
 *   `assignment` is every partition the member may own now: its target assignment minus the
 *   partitions another member has not released yet. Whatever the member owns outside it, it must
 *   revoke (then say so in its next heartbeat). Null on a leave.
 *   Whole-request errors (top-level errorCode): UNKNOWN_MEMBER_ID, FENCED_MEMBER_EPOCH,
 *   FENCED_INSTANCE_ID, UNRELEASED_INSTANCE_ID, UNSUPPORTED_ASSIGNOR, INVALID_REQUEST,
 *   INVALID_GROUP_ID. On FENCED_MEMBER_EPOCH / UNKNOWN_MEMBER_ID the member drops every partition
 *   without committing and joins again with memberEpoch 0.
 * Partitions are named by topic name (Kafka uses topic ids).
 */
import { defineApi } from '../api.js';
import { arr, int, nullable, obj, opt, str, type Infer } from '../schema.js';

/** A topic's partitions, shared by the group apis. */
export const topicPartitions = obj({ name: str, partitions: arr(int) });

const request = obj({
  groupId: str,
  memberId: opt(str, ''),
  memberEpoch: int,
  instanceId: opt(nullable(str), null),
  rebalanceTimeoutMs: opt(int, -1),
  subscribedTopicNames: opt(nullable(arr(str)), null),
  subscribedTopicRegex: opt(nullable(str), null),
  serverAssignor: opt(nullable(str), null),
  topicPartitions: opt(nullable(arr(topicPartitions)), null),
});

const response = obj({
  throttleTimeMs: opt(int, 0),
  memberId: str,
  memberEpoch: int,
  heartbeatIntervalMs: int,
  assignment: opt(nullable(obj({ topicPartitions: arr(topicPartitions) })), null),
});

export type TopicPartitions = Infer<typeof topicPartitions>;
export type ConsumerGroupHeartbeatRequest = Infer<typeof request>;
export type ConsumerGroupHeartbeatResponse = Infer<typeof response>;
export const ConsumerGroupHeartbeat = defineApi({
  key: 68,
  name: 'ConsumerGroupHeartbeat',
  minVersion: 0,
  maxVersion: 0,
  request,
  response,
});
