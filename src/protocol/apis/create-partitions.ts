/**
 * CreatePartitions (key 37), v0.
 * Request body: { topics: [{ name, count (the new total) }], timeoutMs, validateOnly }
 * Response body: { results: [{ name, errorCode, errorMessage }] }
 */
import { defineApi } from '../api.js';
import { arr, bool, int, nullable, obj, opt, str, type Infer } from '../schema.js';

const request = obj({
  topics: arr(obj({ name: str, count: int })),
  timeoutMs: opt(int, 30_000),
  validateOnly: opt(bool, false),
});
const response = obj({ results: arr(obj({ name: str, errorCode: int, errorMessage: opt(nullable(str), null) })) });

export type CreatePartitionsRequest = Infer<typeof request>;
export type CreatePartitionsResponse = Infer<typeof response>;
export const CreatePartitions = defineApi({ key: 37, name: 'CreatePartitions', minVersion: 0, maxVersion: 0, request, response });
