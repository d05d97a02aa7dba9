/**
 * CreateTopics (key 19), v0.
 * Request body: { topics: [{ name, numPartitions (-1 = broker default), replicationFactor,
 *   configs: [{ name, value }] }], timeoutMs, validateOnly }
 * Response body: { topics: [{ name, errorCode, errorMessage, numPartitions }] }
 */
import { defineApi } from '../api.js';
import { arr, bool, int, nullable, obj, opt, str, type Infer } from '../schema.js';

export const configEntry = obj({ name: str, value: nullable(str) });

const request = obj({
  topics: arr(
    obj({
      name: str,
      numPartitions: opt(int, -1),
      replicationFactor: opt(int, -1),
      configs: opt(arr(configEntry), []),
    }),
  ),
  timeoutMs: opt(int, 30_000),
  validateOnly: opt(bool, false),
});

const response = obj({
  topics: arr(obj({ name: str, errorCode: int, errorMessage: opt(nullable(str), null), numPartitions: int })),
});

export type CreateTopicsRequest = Infer<typeof request>;
export type CreateTopicsResponse = Infer<typeof response>;
export const CreateTopics = defineApi({ key: 19, name: 'CreateTopics', minVersion: 0, maxVersion: 0, request, response });
