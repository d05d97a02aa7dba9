/**
 * DescribeConfigs (key 32), v0.
 * Request body: { resources: [{ resourceType (2 topic, 4 broker), resourceName, configurationKeys: string[] | null }] }
 * Response body: { results: [{ resourceType, resourceName, errorCode, errorMessage,
 *   configs: [{ name, value, readOnly, isDefault, source, isSensitive }] }] }
 *   source: 'TOPIC_CONFIG' | 'DEFAULT_CONFIG' | 'BROKER_CONFIG' (Kafka's DescribeConfigsSource names).
 */
import { defineApi } from '../api.js';
import { arr, bool, int, nullable, obj, opt, str, type Infer } from '../schema.js';

const request = obj({
  resources: arr(obj({ resourceType: int, resourceName: str, configurationKeys: opt(nullable(arr(str)), null) })),
});

export const describedConfig = obj({
  name: str,
  value: nullable(str),
  readOnly: opt(bool, false),
  isDefault: opt(bool, false),
  source: opt(str, 'DEFAULT_CONFIG'),
  isSensitive: opt(bool, false),
});

const response = obj({
  results: arr(
    obj({
      resourceType: int,
      resourceName: str,
      errorCode: int,
      errorMessage: opt(nullable(str), null),
      configs: arr(describedConfig),
    }),
  ),
});

export type DescribeConfigsRequest = Infer<typeof request>;
export type DescribeConfigsResponse = Infer<typeof response>;
export const DescribeConfigs = defineApi({ key: 32, name: 'DescribeConfigs', minVersion: 0, maxVersion: 0, request, response });
