/**
 * The read and admin apis over the coordinator's groups: ConsumerGroupDescribe, DescribeGroups,
 * ListGroups, DeleteGroups. A group id that only has committed offsets (its members are gone, or
 * the broker restarted) is an 'Empty' group.
 */
import type {
  ConsumerGroupDescribeRequest,
  ConsumerGroupDescribeResponse,
  DescribedConsumerGroup,
} from '../protocol/apis/consumer-group-describe.js';
import type { DeleteGroupsRequest, DeleteGroupsResponse } from '../protocol/apis/delete-groups.js';
import type { DescribeGroupsRequest, DescribeGroupsResponse } from '../protocol/apis/describe-groups.js';
import type { ListGroupsRequest, ListGroupsResponse } from '../protocol/apis/list-groups.js';
import { ErrorCodes } from '../protocol/error-codes.js';
import { EMPTY_ASSIGNMENT, toTopicPartitions } from './assignment.js';
import { compareStrings } from './assignors/common.js';
import { type ConsumerGroup, GROUP_STATE_NAMES } from './group.js';
import { MEMBER_STATE_NAMES } from './member.js';
import type { OffsetStore } from './offset-store.js';

export interface AdminContext {
  readonly offsets: OffsetStore;
  readonly defaultAssignor: string;
  group(groupId: string): ConsumerGroup | undefined;
  allGroups(): ConsumerGroup[];
  dropGroup(groupId: string): void;
  now(): number;
}

function stateName(ctx: AdminContext, groupId: string): string | null {
  const g = ctx.group(groupId);
  if (g !== undefined) return GROUP_STATE_NAMES[g.state()];
  return ctx.offsets.hasGroup(groupId) ? GROUP_STATE_NAMES.EMPTY : null;
}

function sortedMembers(g: ConsumerGroup) {
  return [...g.members.values()].sort((a, b) => compareStrings(a.memberId, b.memberId));
}

export function consumerGroupDescribe(
  ctx: AdminContext,
  req: ConsumerGroupDescribeRequest,
): ConsumerGroupDescribeResponse {
  const groups = req.groupIds.map((groupId): DescribedConsumerGroup => {
    const g = ctx.group(groupId);
    const state = stateName(ctx, groupId);
    const base = { groupId, groupEpoch: 0, assignmentEpoch: 0, assignorName: ctx.defaultAssignor, members: [] };
    if (state === null) {
      return {
        ...base,
        errorCode: ErrorCodes.GROUP_ID_NOT_FOUND,
        errorMessage: `group '${groupId}' not found`,
        groupState: GROUP_STATE_NAMES.DEAD,
      };
    }
    if (g === undefined) return { ...base, errorCode: 0, errorMessage: null, groupState: state };
    return {
      errorCode: 0,
      errorMessage: null,
      groupId,
      groupState: state,
      groupEpoch: g.groupEpoch,
      assignmentEpoch: g.assignmentEpoch,
      assignorName: g.assignorName,
      members: sortedMembers(g).map((m) => ({
        memberId: m.memberId,
        instanceId: m.instanceId,
        memberEpoch: m.memberEpoch,
        memberState: MEMBER_STATE_NAMES[m.state],
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: [...m.subscribedTopicNames],
        subscribedTopicRegex: m.subscribedTopicRegex,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        assignment: { topicPartitions: toTopicPartitions(m.assigned) },
        targetAssignment: { topicPartitions: toTopicPartitions(g.targets.get(m.memberId) ?? EMPTY_ASSIGNMENT) },
      })),
    };
  });
  return { throttleTimeMs: 0, groups };
}

export function describeGroups(ctx: AdminContext, req: DescribeGroupsRequest): DescribeGroupsResponse {
  const groups = req.groups.map((groupId) => {
    const g = ctx.group(groupId);
    return {
      errorCode: 0,
      errorMessage: null,
      groupId,
      groupState: stateName(ctx, groupId) ?? GROUP_STATE_NAMES.DEAD,
      protocolType: 'consumer',
      protocolData: g?.assignorName ?? '',
      members:
        g === undefined
          ? []
          : sortedMembers(g).map((m) => ({
              memberId: m.memberId,
              groupInstanceId: m.instanceId,
              clientId: m.clientId,
              clientHost: m.clientHost,
              assignment: toTopicPartitions(m.assigned),
            })),
    };
  });
  return { throttleTimeMs: 0, groups };
}

export function listGroups(ctx: AdminContext, req: ListGroupsRequest): ListGroupsResponse {
  const wanted = new Set(req.statesFilter.map((s) => s.toLowerCase()));
  const ids = new Set([...ctx.allGroups().map((g) => g.groupId), ...ctx.offsets.groupIds()]);
  const groups = [...ids]
    .sort(compareStrings)
    .map((groupId) => ({ groupId, groupState: stateName(ctx, groupId)!, groupType: 'consumer' }))
    .filter((g) => wanted.size === 0 || wanted.has(g.groupState.toLowerCase()));
  return { throttleTimeMs: 0, groups };
}

export async function deleteGroups(ctx: AdminContext, req: DeleteGroupsRequest): Promise<DeleteGroupsResponse> {
  const results: DeleteGroupsResponse['results'] = [];
  for (const groupId of req.groupsNames) {
    const g = ctx.group(groupId);
    const result = (errorCode: number, errorMessage: string | null) =>
      results.push({ groupId, errorCode, errorMessage });
    if (groupId === '') {
      result(ErrorCodes.INVALID_GROUP_ID, 'groupId must not be empty');
    } else if (g !== undefined && g.members.size > 0) {
      result(ErrorCodes.NON_EMPTY_GROUP, `group '${groupId}' has ${g.members.size} member(s)`);
    } else if (g === undefined && !ctx.offsets.hasGroup(groupId)) {
      result(ErrorCodes.GROUP_ID_NOT_FOUND, `group '${groupId}' not found`);
    } else {
      try {
        await ctx.offsets.deleteGroup(groupId, ctx.now());
        // A member may have joined while the tombstones were written: then the group stays.
        const now = ctx.group(groupId);
        if (now === undefined || now.members.size === 0) ctx.dropGroup(groupId);
        result(0, null);
      } catch (err) {
        result(ErrorCodes.KAFKA_STORAGE_ERROR, (err as Error).message);
      }
    }
  }
  return { throttleTimeMs: 0, results };
}
