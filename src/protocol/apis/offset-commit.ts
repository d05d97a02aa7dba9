/**
 * OffsetCommit (key 8), v0. Kafka's v9 semantics (consumer groups, member epochs).
 * Request body: { groupId, memberId, memberEpoch, groupInstanceId,
 *   topics: [{ name, partitions: [{ index, committedOffset, committedMetadata }] }] }
 *   memberId / memberEpoch: the committing member's; empty id and epoch -1 for a commit from
 *   outside the group (an admin tool), which is accepted only while the group has no members.
 *   committedOffset: the next offset to consume (≥ 0). committedMetadata: free text, at most
 *   4096 UTF-8 bytes (OFFSET_METADATA_TOO_LARGE past it).
 * Response body: { throttleTimeMs, topics: [{ name, partitions: [{ index, errorCode, errorMessage }] }] }
 *   Answered once the commit is in `__consumer_offsets`. Whole-request errors (top-level
 *   errorCode): UNKNOWN_MEMBER_ID (the member is not in the group: rejoin), FENCED_MEMBER_EPOCH
 *   (an epoch newer than the broker's), FENCED_INSTANCE_ID, INVALID_GROUP_ID. Per partition:
 *   UNKNOWN_TOPIC_OR_PARTITION, OFFSET_METADATA_TOO_LARGE, INVALID_REQUEST (negative offset),
 *   STALE_MEMBER_EPOCH (an older epoch, for a partition no longer assigned to the member),
 *   KAFKA_STORAGE_ERROR (the write failed; nothing of it is visible).
 */
import { defineApi } from '../api.js';
import { arr, int, nullable, obj, opt, str, type Infer } from '../schema.js';

const request = obj({
  groupId: str,
  memberId: opt(str, ''),
  memberEpoch: opt(int, -1),
  groupInstanceId: opt(nullable(str), null),
  topics: arr(
    obj({
      name: str,
      partitions: arr(obj({ index: int, committedOffset: int, committedMetadata: opt(nullable(str), null) })),
    }),
  ),
});

const partitionResponse = obj({ index: int, errorCode: int, errorMessage: opt(nullable(str), null) });

const response = obj({
  throttleTimeMs: opt(int, 0),
  topics: arr(obj({ name: str, partitions: arr(partitionResponse) })),
});

export type OffsetCommitRequest = Infer<typeof request>;
export type OffsetCommitResponse = Infer<typeof response>;
export type OffsetCommitPartitionResponse = Infer<typeof partitionResponse>;
export const OffsetCommit = defineApi({
  key: 8,
  name: 'OffsetCommit',
  minVersion: 0,
  maxVersion: 0,
  request,
  response,
});
