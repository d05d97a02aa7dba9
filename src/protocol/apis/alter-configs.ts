/**
 * AlterConfigs (key 33), v0. Incremental: the named keys are set (value null = back to the
 * default) and the others are kept. Kafka's legacy AlterConfigs replaced the whole set, a known
 * trap (KIP-339); Rivulet never drops a setting a request did not name.
 * Request body: { resources: [{ resourceType, resourceName, configs: [{ name, value }] }], validateOnly }
 * Response body: { responses: [{ resourceType, resourceName, errorCode, errorMessage }] }
 */
import { defineApi } from '../api.js';
import { arr, bool, int, nullable, obj, opt, str, type Infer } from '../schema.js';
import { configEntry } from './create-topics.js';

const request = obj({
  resources: arr(obj({ resourceType: int, resourceName: str, configs: arr(configEntry) })),
  validateOnly: opt(bool, false),
});
const response = obj({
  responses: arr(
    obj({ resourceType: int, resourceName: str, errorCode: int, errorMessage: opt(nullable(str), null) }),
  ),
});

export type AlterConfigsRequest = Infer<typeof request>;
export type AlterConfigsResponse = Infer<typeof response>;
export const AlterConfigs = defineApi({ key: 33, name: 'AlterConfigs', minVersion: 0, maxVersion: 0, request, response });
