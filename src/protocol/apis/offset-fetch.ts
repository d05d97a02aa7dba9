/**
 * OffsetFetch (key 9), v0. One group per request (Kafka v8+ batches groups).
 * Request body: { groupId, memberId, memberEpoch, topics: [{ name, partitionIndexes }] | null }
 *   topics null = every partition the group has an offset for. memberId / memberEpoch: the asking
 *   member's (checked: UNKNOWN_MEMBER_ID, FENCED_MEMBER_EPOCH for an epoch newer than the
 *   broker's), or empty / -1 for a tool outside the group.
 * Response body: { throttleTimeMs, topics: [{ name, partitions: [{ index, committedOffset,
 *   metadata, commitTimestamp, errorCode, errorMessage }] }] }
 *   committedOffset -1 (metadata '', commitTimestamp -1) when the partition has no committed offset.
 */
import { defineApi } from '../api.js';
import { arr, int, nullable, obj, opt, str, type Infer } from '../schema.js';

const request = obj({
  groupId: str,
  memberId: opt(str, ''),
  memberEpoch: opt(int, -1),
  topics: opt(nullable(arr(obj({ name: str, partitionIndexes: arr(int) }))), null),
});

const partitionResponse = obj({
  index: int,
  committedOffset: int,
  metadata: opt(str, ''),
  commitTimestamp: opt(int, -1),
  errorCode: int,
  errorMessage: opt(nullable(str), null),
});

const response = obj({
  throttleTimeMs: opt(int, 0),
  topics: arr(obj({ name: str, partitions: arr(partitionResponse) })),
});

export type OffsetFetchRequest = Infer<typeof request>;
export type OffsetFetchResponse = Infer<typeof response>;
export type OffsetFetchPartitionResponse = Infer<typeof partitionResponse>;
export const OffsetFetch = defineApi({ key: 9, name: 'OffsetFetch', minVersion: 0, maxVersion: 0, request, response });
