/**
 * The group coordinator: every consumer group of this broker, driven by ConsumerGroupHeartbeat
 * (KIP-848). The broker's handlers call one method per api; the coordinator holds no sockets and
 * reads no clock of its own (time comes from the injected Scheduler).
 *
 * A heartbeat, in order: validate (errors below); join, leave or find the member; take its
 * subscription; restart its session timer; recompute the target if the group epoch moved; run one
 * reconciliation step (`member.ts`); answer with the member's epoch and what it may own.
 *
 * Timers: a member that sends no heartbeat for sessionTimeoutMs is removed; a member that stays
 * UNREVOKED_PARTITIONS for its rebalanceTimeoutMs is fenced (removed: its next heartbeat gets
 * UNKNOWN_MEMBER_ID and it rejoins). Either frees its partitions for the others.
 *
 * Static members (instanceId): leaving with epoch -2 keeps the member, its target and its
 * partitions for sessionTimeoutMs; a new process joining with the same instanceId in that time
 * takes them over, and nothing else moves. Joining with an instanceId whose member is still active
 * is UNRELEASED_INSTANCE_ID (retry, or wait for its session to time out); a heartbeat from an
 * incarnation that was replaced is FENCED_INSTANCE_ID.
 *
 * Group and membership state lives in memory only: after a broker restart members get
 * UNKNOWN_MEMBER_ID and join again. Committed offsets are durable (`offset-store.ts`).
 */
import { randomUUID } from 'node:crypto';
import { RivuletError } from '../errors.js';
import type {
  ConsumerGroupDescribeRequest,
  ConsumerGroupDescribeResponse,
} from '../protocol/apis/consumer-group-describe.js';
import type {
  ConsumerGroupHeartbeatRequest,
  ConsumerGroupHeartbeatResponse,
} from '../protocol/apis/consumer-group-heartbeat.js';
import type { DeleteGroupsRequest, DeleteGroupsResponse } from '../protocol/apis/delete-groups.js';
import type { DescribeGroupsRequest, DescribeGroupsResponse } from '../protocol/apis/describe-groups.js';
import type { ListGroupsRequest, ListGroupsResponse } from '../protocol/apis/list-groups.js';
import type { OffsetCommitRequest, OffsetCommitResponse } from '../protocol/apis/offset-commit.js';
import type { OffsetFetchRequest, OffsetFetchResponse } from '../protocol/apis/offset-fetch.js';
import { EMPTY_ASSIGNMENT, fromTopicPartitions, isSubset, toTopicPartitions } from './assignment.js';
import { DEFAULT_ASSIGNOR, getAssignor } from './assignors/index.js';
import type { TopicPartitionCounts } from './assignors/common.js';
import { ConsumerGroup } from './group.js';
import { GroupMember, JOIN_EPOCH, LEAVE_EPOCH, reconcile, STATIC_LEAVE_EPOCH } from './member.js';
import { DEFAULT_OFFSETS_RETENTION_MS, type OffsetLog, OffsetStore } from './offset-store.js';
import { type Scheduler, systemScheduler } from './scheduler.js';
import { commitOffsets, fetchOffsets } from './offsets.js';
import { consumerGroupDescribe, deleteGroups, describeGroups, listGroups } from './admin.js';
import { compileSubscriptionRegex } from './subscription.js';
import { validateHeartbeat } from './heartbeat-validation.js';

export interface GroupCoordinatorOptions {
  /** Where committed offsets live (the broker: the `__consumer_offsets` topic). */
  offsetLog: OffsetLog;
  scheduler?: Scheduler;
  /** group.consumer.session.timeout.ms. Default 45 s. */
  sessionTimeoutMs?: number;
  /** group.consumer.heartbeat.interval.ms, sent to members. Default 5 s. */
  heartbeatIntervalMs?: number;
  /** Used when a joining member sends rebalanceTimeoutMs -1. Default 5 min (Kafka's max.poll.interval.ms). */
  defaultRebalanceTimeoutMs?: number;
  /** offsets.retention.minutes, in ms. Default 7 days. */
  offsetsRetentionMs?: number;
  /** How often expired offsets are looked for. Default 10 min. */
  offsetsRetentionCheckIntervalMs?: number;
  /** The assignor of a group whose members ask for none. Default 'sticky'. */
  defaultAssignor?: string;
  /** topic → partition count at start; later changes come through onMetadataChange. */
  topics?: TopicPartitionCounts;
  /** Makes member ids for members that join without one. Default: random UUIDs. */
  newMemberId?: () => string;
}

/** Who sent a request, as the connection knows it (shown by the describe apis). */
export interface ClientInfo {
  clientId: string;
  clientHost: string;
}

const NO_CLIENT: ClientInfo = { clientId: '', clientHost: '' };

function fail(code: 'UNKNOWN_MEMBER_ID' | 'FENCED_MEMBER_EPOCH' | 'FENCED_INSTANCE_ID', message: string): never {
  throw new RivuletError(code, message);
}

export class GroupCoordinator {
  readonly offsets: OffsetStore;
  readonly scheduler: Scheduler;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly defaultRebalanceTimeoutMs: number;
  readonly defaultAssignor: string;
  readonly offsetsRetentionCheckIntervalMs: number;
  private readonly groups = new Map<string, ConsumerGroup>();
  private topicCounts: Record<string, number>;
  private readonly newMemberId: () => string;
  private cancelExpiry: (() => void) | null = null;
  private closed = false;

  constructor(opts: GroupCoordinatorOptions) {
    this.scheduler = opts.scheduler ?? systemScheduler;
    this.sessionTimeoutMs = opts.sessionTimeoutMs ?? 45_000;
    this.heartbeatIntervalMs = opts.heartbeatIntervalMs ?? 5_000;
    this.defaultRebalanceTimeoutMs = opts.defaultRebalanceTimeoutMs ?? 300_000;
    this.offsetsRetentionCheckIntervalMs = opts.offsetsRetentionCheckIntervalMs ?? 600_000;
    this.defaultAssignor = opts.defaultAssignor ?? DEFAULT_ASSIGNOR;
    if (getAssignor(this.defaultAssignor) === undefined) {
      throw new RivuletError('INVALID_CONFIG', `unknown default assignor '${this.defaultAssignor}'`);
    }
    this.topicCounts = { ...(opts.topics ?? {}) };
    this.newMemberId = opts.newMemberId ?? randomUUID;
    this.offsets = new OffsetStore(opts.offsetLog, opts.offsetsRetentionMs ?? DEFAULT_OFFSETS_RETENTION_MS);
  }

  /** Replays committed offsets and starts the expiry timer. Call once, before serving requests. */
  async start(): Promise<void> {
    await this.offsets.load();
    this.scheduleExpiry();
  }

  /** Cancels every timer. Members and offsets stay readable; nothing is persisted here. */
  close(): void {
    this.closed = true;
    this.cancelExpiry?.();
    this.cancelExpiry = null;
    for (const g of this.groups.values()) for (const m of g.members.values()) m.cancelTimers();
  }

  /** The group, if the coordinator knows it (for the describe apis, metrics and tests). */
  group(groupId: string): ConsumerGroup | undefined {
    return this.groups.get(groupId);
  }

  allGroups(): ConsumerGroup[] {
    return [...this.groups.values()];
  }

  topics(): TopicPartitionCounts {
    return this.topicCounts;
  }

  now(): number {
    return this.scheduler.now();
  }

  /** OffsetCommit: answered once the offsets are in the log (see `offsets.ts` for fencing). */
  commitOffsets(req: OffsetCommitRequest): Promise<OffsetCommitResponse> {
    return commitOffsets(this, req);
  }

  fetchOffsets(req: OffsetFetchRequest): OffsetFetchResponse {
    return fetchOffsets(this, req);
  }

  consumerGroupDescribe(req: ConsumerGroupDescribeRequest): ConsumerGroupDescribeResponse {
    return consumerGroupDescribe(this, req);
  }

  describeGroups(req: DescribeGroupsRequest): DescribeGroupsResponse {
    return describeGroups(this, req);
  }

  listGroups(req: ListGroupsRequest): ListGroupsResponse {
    return listGroups(this, req);
  }

  deleteGroups(req: DeleteGroupsRequest): Promise<DeleteGroupsResponse> {
    return deleteGroups(this, req);
  }

  /**
   * The broker calls this whenever topics are created or deleted or gain partitions, with the
   * full topic → partition count map. Groups whose subscriptions resolve differently, or whose
   * subscribed topics changed size, get a new group epoch (the new target follows on the next
   * heartbeat).
   */
  onMetadataChange(topics: TopicPartitionCounts): void {
    this.topicCounts = { ...topics };
    for (const g of this.groups.values()) if (g.refreshSubscriptions(this.topicCounts)) g.bumpEpoch();
  }

  /** ConsumerGroupHeartbeat. Throws RivuletError for the whole-request errors of its api file. */
  heartbeat(req: ConsumerGroupHeartbeatRequest, client: ClientInfo = NO_CLIENT): ConsumerGroupHeartbeatResponse {
    validateHeartbeat(req);
    if (req.memberEpoch === LEAVE_EPOCH || req.memberEpoch === STATIC_LEAVE_EPOCH) return this.leave(req);
    const group = req.memberEpoch === JOIN_EPOCH ? this.getOrCreateGroup(req.groupId) : this.groups.get(req.groupId);
    if (group === undefined) fail('UNKNOWN_MEMBER_ID', `group '${req.groupId}' has no member '${req.memberId}'`);
    const joining = req.memberEpoch === JOIN_EPOCH;
    const sizeBefore = group.members.size;
    const member = joining ? this.join(group, req) : this.existingMember(group, req);
    const added = group.members.size > sizeBefore;

    const change = this.updateMember(member, req, client);
    // Other members' resolutions only change with the metadata (onMetadataChange), so the group's
    // subscriptions are looked at again only when this member's changed.
    const resolvedChanged = (joining || change.subscription) && group.refreshSubscriptions(this.topicCounts);
    if (added || resolvedChanged || change.assignor) group.bumpEpoch();
    this.restartSessionTimer(group, member);
    if (group.groupEpoch > group.assignmentEpoch)
      group.computeTargetAssignment(getAssignor(group.preferredAssignor())!);

    const reported =
      req.topicPartitions !== null
        ? fromTopicPartitions(req.topicPartitions)
        : req.memberEpoch === JOIN_EPOCH
          ? EMPTY_ASSIGNMENT
          : null;
    const next = reconcile(member, {
      target: group.targets.get(member.memberId) ?? EMPTY_ASSIGNMENT,
      targetEpoch: group.assignmentEpoch,
      isFree: group.isFreeFor(member.memberId),
      reported,
    });
    group.applyReconciled(member, next);
    this.updateRebalanceTimer(group, member);
    return {
      throttleTimeMs: 0,
      memberId: member.memberId,
      memberEpoch: member.memberEpoch,
      heartbeatIntervalMs: this.heartbeatIntervalMs,
      assignment: { topicPartitions: toTopicPartitions(member.assigned) },
    };
  }

  private getOrCreateGroup(groupId: string): ConsumerGroup {
    let group = this.groups.get(groupId);
    if (group === undefined || group.dead) {
      group = new ConsumerGroup(groupId, this.defaultAssignor, this.scheduler.now());
      this.groups.set(groupId, group);
    }
    return group;
  }

  private join(group: ConsumerGroup, req: ConsumerGroupHeartbeatRequest): GroupMember {
    const memberId = req.memberId !== '' ? req.memberId : this.newMemberId();
    const rebalanceTimeoutMs = req.rebalanceTimeoutMs > 0 ? req.rebalanceTimeoutMs : this.defaultRebalanceTimeoutMs;
    const existing = group.members.get(memberId);
    if (req.instanceId !== null) {
      const holderId = group.staticMembers.get(req.instanceId);
      const holder = holderId === undefined ? undefined : group.members.get(holderId);
      if (holder !== undefined && holder.memberId !== memberId) {
        if (!holder.isAway) {
          throw new RivuletError(
            'UNRELEASED_INSTANCE_ID',
            `instance '${req.instanceId}' of group '${group.groupId}' is still held by member ` +
              `'${holder.memberId}'; it is released when that member leaves or its session times out`,
          );
        }
        const next = new GroupMember(memberId, req.instanceId, rebalanceTimeoutMs);
        next.copySubscriptionFrom(holder);
        group.replaceStaticMember(holder, next);
        return next;
      }
    }
    if (existing !== undefined) {
      if (existing.instanceId !== req.instanceId && req.instanceId !== null) {
        fail('FENCED_INSTANCE_ID', `member '${memberId}' has instance id '${existing.instanceId}'`);
      }
      // Joining again (after being fenced, or a join whose answer was lost): it owns nothing now.
      // Its target stays, so it gets its partitions back without disturbing anyone else.
      group.resetMember(existing);
      existing.rebalanceTimeoutMs = rebalanceTimeoutMs;
      return existing;
    }
    const member = new GroupMember(memberId, req.instanceId, rebalanceTimeoutMs);
    group.addMember(member);
    return member;
  }

  private existingMember(group: ConsumerGroup, req: ConsumerGroupHeartbeatRequest): GroupMember {
    const member = group.members.get(req.memberId);
    if (req.instanceId !== null) {
      const holderId = group.staticMembers.get(req.instanceId);
      if (holderId !== undefined && holderId !== req.memberId) {
        fail('FENCED_INSTANCE_ID', `instance '${req.instanceId}' now belongs to member '${holderId}'`);
      }
    }
    if (member === undefined) fail('UNKNOWN_MEMBER_ID', `group '${group.groupId}' has no member '${req.memberId}'`);
    if (req.instanceId !== null && member.instanceId !== req.instanceId) {
      fail('FENCED_INSTANCE_ID', `member '${member.memberId}' has instance id '${member.instanceId}'`);
    }
    if (req.memberEpoch > member.memberEpoch) {
      fail('FENCED_MEMBER_EPOCH', `member epoch ${req.memberEpoch} is newer than the group's ${member.memberEpoch}`);
    }
    if (req.memberEpoch < member.memberEpoch) {
      // The previous epoch is fine if the member owns no more than it is assigned: it missed
      // the response that moved it on.
      const owned = req.topicPartitions === null ? null : fromTopicPartitions(req.topicPartitions);
      if (req.memberEpoch !== member.previousMemberEpoch || owned === null || !isSubset(owned, member.assigned)) {
        fail('FENCED_MEMBER_EPOCH', `member epoch ${req.memberEpoch} is stale; the member is at ${member.memberEpoch}`);
      }
    }
    return member;
  }

  /** Takes the request's fields (null = unchanged) and says what changed. */
  private updateMember(
    m: GroupMember,
    req: ConsumerGroupHeartbeatRequest,
    client: ClientInfo,
  ): { subscription: boolean; assignor: boolean } {
    const change = { subscription: false, assignor: false };
    if (client.clientId !== '') m.clientId = client.clientId;
    if (client.clientHost !== '') m.clientHost = client.clientHost;
    if (req.rebalanceTimeoutMs > 0) m.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    if (req.subscribedTopicNames !== null) {
      const names = [...new Set(req.subscribedTopicNames)].sort();
      change.subscription ||= names.join('\u0000') !== m.subscribedTopicNames.join('\u0000');
      m.subscribedTopicNames = names;
    }
    if (req.subscribedTopicRegex !== null) {
      const source = req.subscribedTopicRegex === '' ? null : req.subscribedTopicRegex;
      if (source !== m.subscribedTopicRegex) {
        m.subscribedTopicRegex = source;
        m.regex = source === null ? null : compileSubscriptionRegex(source);
        change.subscription = true;
      }
    }
    if (req.serverAssignor !== null && req.serverAssignor !== m.serverAssignor) {
      m.serverAssignor = req.serverAssignor;
      change.assignor = true;
    }
    return change;
  }

  private leave(req: ConsumerGroupHeartbeatRequest): ConsumerGroupHeartbeatResponse {
    const group = this.groups.get(req.groupId);
    const member = group?.members.get(req.memberId);
    const answer = {
      throttleTimeMs: 0,
      memberId: req.memberId,
      memberEpoch: req.memberEpoch,
      heartbeatIntervalMs: this.heartbeatIntervalMs,
      assignment: null,
    };
    if (group === undefined || member === undefined) {
      if (req.instanceId !== null && group?.staticMembers.has(req.instanceId)) {
        fail('FENCED_INSTANCE_ID', `instance '${req.instanceId}' belongs to another member`);
      }
      return answer; // already gone: leaving is done
    }
    if (req.instanceId !== null && member.instanceId !== req.instanceId) {
      fail('FENCED_INSTANCE_ID', `member '${member.memberId}' has instance id '${member.instanceId}'`);
    }
    if (req.memberEpoch === STATIC_LEAVE_EPOCH && member.instanceId !== null) {
      // Away, not gone: its partitions wait for the next incarnation until the session ends.
      member.memberEpoch = STATIC_LEAVE_EPOCH;
      member.cancelRebalanceTimer?.();
      member.cancelRebalanceTimer = null;
      this.restartSessionTimer(group, member);
      return answer;
    }
    this.removeMember(group, member);
    return { ...answer, memberEpoch: LEAVE_EPOCH };
  }

  private removeMember(group: ConsumerGroup, member: GroupMember): void {
    group.removeMember(member, this.scheduler.now());
    group.refreshSubscriptions(this.topicCounts);
    group.bumpEpoch();
  }

  private restartSessionTimer(group: ConsumerGroup, member: GroupMember): void {
    member.cancelSessionTimer?.();
    member.cancelSessionTimer = this.scheduler.schedule(this.sessionTimeoutMs, () => {
      member.cancelSessionTimer = null;
      if (group.members.get(member.memberId) === member) this.removeMember(group, member);
    });
  }

  private updateRebalanceTimer(group: ConsumerGroup, member: GroupMember): void {
    if (member.state !== 'UNREVOKED_PARTITIONS') {
      member.cancelRebalanceTimer?.();
      member.cancelRebalanceTimer = null;
      return;
    }
    if (member.cancelRebalanceTimer !== null) return;
    member.cancelRebalanceTimer = this.scheduler.schedule(member.rebalanceTimeoutMs, () => {
      member.cancelRebalanceTimer = null;
      if (group.members.get(member.memberId) === member && member.state === 'UNREVOKED_PARTITIONS') {
        this.removeMember(group, member);
      }
    });
  }

  /** Deletes expired offsets now, and groups left with neither members nor offsets. */
  async expireOffsets(): Promise<number> {
    const now = this.scheduler.now();
    const n = await this.offsets.expire(now, (groupId) => {
      const g = this.groups.get(groupId);
      if (g === undefined || g.dead) return 0;
      return g.members.size === 0 ? g.emptySinceMs : null;
    });
    for (const [groupId, g] of this.groups) {
      const idle = g.members.size === 0 && now - g.emptySinceMs >= this.offsets.retentionMs;
      if (g.dead || (idle && !this.offsets.hasGroup(groupId))) this.dropGroup(groupId);
    }
    return n;
  }

  /** Forgets a group (DeleteGroups, expiry). */
  dropGroup(groupId: string): void {
    const g = this.groups.get(groupId);
    if (g === undefined) return;
    for (const m of g.members.values()) m.cancelTimers();
    g.dead = true;
    this.groups.delete(groupId);
  }

  private scheduleExpiry(): void {
    if (this.closed) return;
    this.cancelExpiry = this.scheduler.schedule(this.offsetsRetentionCheckIntervalMs, () => {
      this.expireOffsets().then(
        () => this.scheduleExpiry(),
        () => this.scheduleExpiry(), // a failed append is retried next round
      );
    });
  }
}
