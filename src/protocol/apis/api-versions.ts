/**
 * ApiVersions (key 18), v0.
 * Request body: {}
 * Response body: { apiKeys: [{ apiKey, name, minVersion, maxVersion }], brokerVersion }
 */
import { defineApi } from '../api.js';
import { arr, int, obj, str, type Infer } from '../schema.js';

const request = obj({});
const response = obj({
  apiKeys: arr(obj({ apiKey: int, name: str, minVersion: int, maxVersion: int })),
  brokerVersion: str,
});

export type ApiVersionsResponse = Infer<typeof response>;
export const ApiVersions = defineApi({ key: 18, name: 'ApiVersions', minVersion: 0, maxVersion: 0, request, response });
