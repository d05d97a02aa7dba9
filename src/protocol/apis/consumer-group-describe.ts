/**
 * ConsumerGroupDescribe (key 69), v0.
 * Request body: { groupIds: string[] }
 * Response body: { throttleTimeMs, groups: [{ errorCode, errorMessage, groupId, groupState,
 *   groupEpoch, assignmentEpoch, assignorName, members: [{ memberId, instanceId, memberEpoch,
 *   memberState, clientId, clientHost, subscribedTopicNames, subscribedTopicRegex, rebalanceTimeoutMs,
 *   assignment: { topicPartitions }, targetAssignment: { topicPartitions } }] }] }
 *   groupState: 'Empty' | 'Assigning' | 'Reconciling' | 'Stable' | 'Dead' (Kafka's names).
 *   memberState (Rivulet's addition): 'Stable' | 'UnrevokedPartitions' | 'UnreleasedPartitions'.
 *   assignment: what the member may own now; targetAssignment: what it will own once reconciled.
 *   A group the broker does not know gets GROUP_ID_NOT_FOUND in its own entry.
 */
import { defineApi } from '../api.js';
import { arr, int, nullable, obj, opt, str, type Infer } from '../schema.js';
import { topicPartitions } from './consumer-group-heartbeat.js';

const request = obj({ groupIds: arr(str) });

const assignment = obj({ topicPartitions: arr(topicPartitions) });

const member = obj({
  memberId: str,
  instanceId: opt(nullable(str), null),
  memberEpoch: int,
  memberState: str,
  clientId: opt(str, ''),
  clientHost: opt(str, ''),
  subscribedTopicNames: arr(str),
  subscribedTopicRegex: opt(nullable(str), null),
  rebalanceTimeoutMs: int,
  assignment,
  targetAssignment: assignment,
});

const describedGroup = obj({
  errorCode: int,
  errorMessage: opt(nullable(str), null),
  groupId: str,
  groupState: str,
  groupEpoch: int,
  assignmentEpoch: int,
  assignorName: str,
  members: arr(member),
});

const response = obj({ throttleTimeMs: opt(int, 0), groups: arr(describedGroup) });

export type ConsumerGroupDescribeRequest = Infer<typeof request>;
export type ConsumerGroupDescribeResponse = Infer<typeof response>;
export type DescribedConsumerGroup = Infer<typeof describedGroup>;
export type DescribedConsumerGroupMember = Infer<typeof member>;
export const ConsumerGroupDescribe = defineApi({
  key: 69,
  name: 'ConsumerGroupDescribe',
  minVersion: 0,
  maxVersion: 0,
  request,
  response,
});
