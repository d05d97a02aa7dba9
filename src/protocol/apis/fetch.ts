/**
 * Fetch (key 1), v0.
 * Request body: { maxWaitMs, minBytes, maxBytes, isolationLevel,
 *   topics: [{ name, partitions: [{ index, fetchOffset, partitionMaxBytes }] }] }
 *   Answered as soon as minBytes are there, or at maxWaitMs with what there is. maxBytes bounds the
 *   whole response and partitionMaxBytes each partition, except that the first non-empty partition
 *   always gets at least one whole batch (so a batch larger than the limits can't stall a consumer).
 * Response body: { throttleTimeMs, topics: [{ name, partitions: [{ index, errorCode, errorMessage,
 *   highWatermark, lastStableOffset, logStartOffset, chunks }] }] }
 *   `chunks` lists the sizes of the raw messages that follow the header for that partition, in
 *   order (each chunk is whole RecordBatch v2 batches, a zero-copy view of one segment). The
 *   header's rawCount is the total number of chunks.
 */
import { defineApi } from '../api.js';
import { arr, int, nullable, obj, opt, str, type Infer } from '../schema.js';
import { anyMap } from './common.js';

const request = obj({
  maxWaitMs: opt(int, 500),
  minBytes: opt(int, 1),
  maxBytes: opt(int, 50 << 20),
  isolationLevel: opt(int, 0),
  topics: arr(
    obj({
      name: str,
      partitions: arr(obj({ index: int, fetchOffset: int, partitionMaxBytes: opt(int, 1 << 20) })),
    }),
  ),
});

const partitionResponse = obj({
  index: int,
  errorCode: int,
  errorMessage: opt(nullable(str), null),
  highWatermark: int,
  lastStableOffset: opt(int, -1),
  logStartOffset: int,
  chunks: arr(int),
  details: opt(nullable(anyMap), null),
});

const response = obj({
  throttleTimeMs: opt(int, 0),
  topics: arr(obj({ name: str, partitions: arr(partitionResponse) })),
});

export type FetchRequest = Infer<typeof request>;
export type FetchResponse = Infer<typeof response>;
export type FetchPartitionResponse = Infer<typeof partitionResponse>;
export const Fetch = defineApi({ key: 1, name: 'Fetch', minVersion: 0, maxVersion: 0, request, response });
