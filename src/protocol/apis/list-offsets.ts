/**
 * ListOffsets (key 2), v0.
 * Request body: { isolationLevel, topics: [{ name, partitions: [{ index, timestamp }] }] }
 *   timestamp -1 = latest (log end offset), -2 = earliest (log start offset), otherwise the first
 *   offset whose batch maxTimestamp >= timestamp (offset -1 and timestamp -1 when there is none).
 * Response body: { topics: [{ name, partitions: [{ index, errorCode, errorMessage, timestamp, offset }] }] }
 */
import { defineApi } from '../api.js';
import { arr, int, nullable, obj, opt, str, type Infer } from '../schema.js';

const request = obj({
  isolationLevel: opt(int, 0),
  topics: arr(obj({ name: str, partitions: arr(obj({ index: int, timestamp: int })) })),
});

const response = obj({
  topics: arr(
    obj({
      name: str,
      partitions: arr(
        obj({ index: int, errorCode: int, errorMessage: opt(nullable(str), null), timestamp: int, offset: int }),
      ),
    }),
  ),
});

export type ListOffsetsRequest = Infer<typeof request>;
export type ListOffsetsResponse = Infer<typeof response>;
export const ListOffsets = defineApi({ key: 2, name: 'ListOffsets', minVersion: 0, maxVersion: 0, request, response });
