/**
 * OffsetCommit and OffsetFetch against the coordinator: who may commit (member-epoch fencing),
 * what may be committed, then the offset store.
 *
 * Fencing a commit (Kafka's rules for consumer groups):
 * - memberId '' and memberEpoch < 0: a commit from outside the group (an admin tool), accepted
 *   only while the group has no members (else UNKNOWN_MEMBER_ID).
 * - an unknown member: UNKNOWN_MEMBER_ID; another incarnation's instance id: FENCED_INSTANCE_ID.
 * - an epoch newer than the member's: FENCED_MEMBER_EPOCH (whole request).
 * - an older epoch: accepted for partitions the member is still assigned (its heartbeat moved it
 *   on while the commit was in flight), STALE_MEMBER_EPOCH (113, as Kafka) for the others: they
 *   may already be someone else's.
 */
import { RivuletError } from '../errors.js';
import type { OffsetCommitRequest, OffsetCommitResponse } from '../protocol/apis/offset-commit.js';
import type { OffsetFetchRequest, OffsetFetchResponse } from '../protocol/apis/offset-fetch.js';
import { ErrorCodes, type ErrorName } from '../protocol/error-codes.js';
import { hasPartition } from './assignment.js';
import type { ConsumerGroup } from './group.js';
import type { GroupMember } from './member.js';
import { MAX_OFFSET_METADATA_BYTES, type OffsetCommitEntry, type OffsetStore } from './offset-store.js';

/** The error for a commit with an older epoch on a partition the member no longer has. */
export const STALE_COMMIT_ERROR: ErrorName = 'STALE_MEMBER_EPOCH';

export interface OffsetsContext {
  readonly offsets: OffsetStore;
  group(groupId: string): ConsumerGroup | undefined;
  topics(): Readonly<Record<string, number>>;
  now(): number;
}

const utf8 = new TextEncoder();

function checkGroupId(groupId: string): void {
  if (groupId === '') throw new RivuletError('INVALID_GROUP_ID', 'groupId must not be empty', { path: 'groupId' });
}

/** The committing member, or null for a commit from outside the group. Throws whole-request errors. */
function committer(group: ConsumerGroup | undefined, req: OffsetCommitRequest): GroupMember | null {
  if (req.memberId === '' && req.memberEpoch < 0) {
    if (group !== undefined && group.members.size > 0) {
      throw new RivuletError(
        'UNKNOWN_MEMBER_ID',
        `group '${req.groupId}' has members: only they may commit (send memberId and memberEpoch)`,
      );
    }
    return null;
  }
  const member = group?.members.get(req.memberId);
  if (member === undefined) {
    throw new RivuletError('UNKNOWN_MEMBER_ID', `group '${req.groupId}' has no member '${req.memberId}'`);
  }
  if (req.groupInstanceId !== null && member.instanceId !== req.groupInstanceId) {
    throw new RivuletError('FENCED_INSTANCE_ID', `member '${member.memberId}' has instance id '${member.instanceId}'`);
  }
  if (req.memberEpoch > member.memberEpoch) {
    throw new RivuletError(
      'FENCED_MEMBER_EPOCH',
      `member epoch ${req.memberEpoch} is newer than the group's ${member.memberEpoch}`,
    );
  }
  return member;
}

export async function commitOffsets(ctx: OffsetsContext, req: OffsetCommitRequest): Promise<OffsetCommitResponse> {
  checkGroupId(req.groupId);
  const member = committer(ctx.group(req.groupId), req);
  const topics = ctx.topics();
  type Outcome = { code: ErrorName; message: string } | null;
  // One outcome per partition entry, in request order (a partition listed twice gets two).
  const outcomes: Outcome[][] = req.topics.map((t) =>
    t.partitions.map((p): Outcome => {
      const metadata = p.committedMetadata ?? '';
      if (!Object.hasOwn(topics, t.name) || p.index < 0 || p.index >= topics[t.name]!) {
        return { code: 'UNKNOWN_TOPIC_OR_PARTITION', message: `${t.name}-${p.index} does not exist` };
      }
      if (p.committedOffset < 0) {
        return { code: 'INVALID_REQUEST', message: `committedOffset ${p.committedOffset} is negative` };
      }
      if (utf8.encode(metadata).length > MAX_OFFSET_METADATA_BYTES) {
        return { code: 'OFFSET_METADATA_TOO_LARGE', message: `metadata over ${MAX_OFFSET_METADATA_BYTES} bytes` };
      }
      if (member !== null && req.memberEpoch < member.memberEpoch && !hasPartition(member.assigned, t.name, p.index)) {
        return {
          code: STALE_COMMIT_ERROR,
          message: `epoch ${req.memberEpoch} is stale and ${t.name}-${p.index} is no longer assigned to the member`,
        };
      }
      return null;
    }),
  );
  const accepted: OffsetCommitEntry[] = [];
  req.topics.forEach((t, ti) => {
    t.partitions.forEach((p, pi) => {
      if (outcomes[ti]![pi] === null) {
        accepted.push({
          topic: t.name,
          partition: p.index,
          offset: p.committedOffset,
          metadata: p.committedMetadata ?? '',
        });
      }
    });
  });
  let storageError: Outcome = null;
  if (accepted.length > 0) {
    try {
      await ctx.offsets.commit(req.groupId, accepted, ctx.now());
    } catch (err) {
      const e = err instanceof RivuletError ? err : new RivuletError('KAFKA_STORAGE_ERROR', String(err));
      storageError = { code: e.code as ErrorName, message: e.message };
    }
  }
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t, ti) => ({
      name: t.name,
      partitions: t.partitions.map((p, pi) => {
        const e = outcomes[ti]![pi] ?? storageError;
        return { index: p.index, errorCode: e ? ErrorCodes[e.code] : 0, errorMessage: e?.message ?? null };
      }),
    })),
  };
}

export function fetchOffsets(ctx: OffsetsContext, req: OffsetFetchRequest): OffsetFetchResponse {
  checkGroupId(req.groupId);
  if (req.memberId !== '' && req.memberEpoch >= 0) {
    const member = ctx.group(req.groupId)?.members.get(req.memberId);
    if (member === undefined) {
      throw new RivuletError('UNKNOWN_MEMBER_ID', `group '${req.groupId}' has no member '${req.memberId}'`);
    }
    if (req.memberEpoch > member.memberEpoch) {
      throw new RivuletError(
        'FENCED_MEMBER_EPOCH',
        `member epoch ${req.memberEpoch} is newer than the group's ${member.memberEpoch}`,
      );
    }
  }
  const none = { committedOffset: -1, metadata: '', commitTimestamp: -1, errorCode: 0, errorMessage: null };
  if (req.topics === null) {
    const byTopic = new Map<string, OffsetFetchResponse['topics'][number]>();
    for (const o of ctx.offsets.offsets(req.groupId)) {
      let t = byTopic.get(o.topic);
      if (t === undefined) {
        t = { name: o.topic, partitions: [] };
        byTopic.set(o.topic, t);
      }
      t.partitions.push({
        ...none,
        index: o.partition,
        committedOffset: o.offset,
        metadata: o.metadata,
        commitTimestamp: o.commitTimestamp,
      });
    }
    return { throttleTimeMs: 0, topics: [...byTopic.values()] };
  }
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((index) => {
        const o = ctx.offsets.get(req.groupId, t.name, index);
        return o === undefined
          ? { ...none, index }
          : { ...none, index, committedOffset: o.offset, metadata: o.metadata, commitTimestamp: o.commitTimestamp };
      }),
    })),
  };
}
