/**
 * DescribeGroups (key 15), v0. The short description (ConsumerGroupDescribe has everything).
 * Request body: { groups: string[] }
 * Response body: { throttleTimeMs, groups: [{ errorCode, errorMessage, groupId, groupState,
 *   protocolType, protocolData, members: [{ memberId, groupInstanceId, clientId, clientHost,
 *   assignment: [{ name, partitions }] }] }] }
 *   protocolType: 'consumer'; protocolData: the group's assignor; groupState as in ListGroups.
 *   A group the broker does not know is described as 'Dead' with no members (as Kafka does).
 */
import { defineApi } from '../api.js';
import { arr, int, nullable, obj, opt, str, type Infer } from '../schema.js';
import { topicPartitions } from './consumer-group-heartbeat.js';

const request = obj({ groups: arr(str) });

const member = obj({
  memberId: str,
  groupInstanceId: opt(nullable(str), null),
  clientId: opt(str, ''),
  clientHost: opt(str, ''),
  assignment: arr(topicPartitions),
});

const describedGroup = obj({
  errorCode: int,
  errorMessage: opt(nullable(str), null),
  groupId: str,
  groupState: str,
  protocolType: str,
  protocolData: str,
  members: arr(member),
});

const response = obj({ throttleTimeMs: opt(int, 0), groups: arr(describedGroup) });

export type DescribeGroupsRequest = Infer<typeof request>;
export type DescribeGroupsResponse = Infer<typeof response>;
export type DescribedGroup = Infer<typeof describedGroup>;
export const DescribeGroups = defineApi({
  key: 15,
  name: 'DescribeGroups',
  minVersion: 0,
  maxVersion: 0,
  request,
  response,
});
