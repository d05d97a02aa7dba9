/**
 * Produce (key 0), v0.
 * Request body: { acks: 0|1|-1, timeoutMs, topics: [{ name, partitions: [{ index, bytes }] }] }
 *   `bytes` is how many payload bytes (whole RecordBatch v2 batches) belong to that partition;
 *   the payload holds them in the order listed.
 * Response body: { topics: [{ name, partitions: [{ index, errorCode, errorMessage, baseOffset,
 *   logAppendTimeMs, logStartOffset, details }] }] }   (acks=0 gets no response at all, as in Kafka)
 *   `details` carries code-specific facts (e.g. the expected sequence on OUT_OF_ORDER_SEQUENCE_NUMBER).
 */
import { defineApi } from '../api.js';
import { arr, int, nullable, obj, oneOf, opt, str, type Infer } from '../schema.js';
import { anyMap } from './common.js';

const request = obj({
  acks: oneOf(0, 1, -1),
  timeoutMs: opt(int, 30_000),
  topics: arr(obj({ name: str, partitions: arr(obj({ index: int, bytes: int })) })),
});

const partitionResponse = obj({
  index: int,
  errorCode: int,
  errorMessage: opt(nullable(str), null),
  baseOffset: int,
  logAppendTimeMs: opt(int, -1),
  logStartOffset: opt(int, -1),
  details: opt(nullable(anyMap), null),
});

const response = obj({
  topics: arr(obj({ name: str, partitions: arr(partitionResponse) })),
});

export type ProduceRequest = Infer<typeof request>;
export type ProduceResponse = Infer<typeof response>;
export type ProducePartitionResponse = Infer<typeof partitionResponse>;
export const Produce = defineApi({ key: 0, name: 'Produce', minVersion: 0, maxVersion: 0, request, response });
