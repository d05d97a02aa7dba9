/**
 * Metadata (key 3), v0.
 * Request body: { topics: string[] | null (null = all), allowAutoTopicCreation }
 * Response body: { clusterId, controllerId, brokers: [{ nodeId, host, port }],
 *   topics: [{ name, errorCode, errorMessage, isInternal, partitions: [{ index, errorCode, leaderId,
 *   leaderEpoch, replicaNodes, isrNodes }] }] }
 */
import { defineApi } from '../api.js';
import { arr, bool, int, nullable, obj, opt, str, type Infer } from '../schema.js';

const request = obj({
  topics: opt(nullable(arr(str)), null),
  allowAutoTopicCreation: opt(bool, false),
});

const response = obj({
  clusterId: str,
  controllerId: int,
  brokers: arr(obj({ nodeId: int, host: str, port: int })),
  topics: arr(
    obj({
      name: str,
      errorCode: int,
      errorMessage: opt(nullable(str), null),
      isInternal: opt(bool, false),
      partitions: arr(
        obj({
          index: int,
          errorCode: int,
          leaderId: int,
          leaderEpoch: opt(int, 0),
          replicaNodes: arr(int),
          isrNodes: arr(int),
        }),
      ),
    }),
  ),
});

export type MetadataRequest = Infer<typeof request>;
export type MetadataResponse = Infer<typeof response>;
export const Metadata = defineApi({ key: 3, name: 'Metadata', minVersion: 0, maxVersion: 0, request, response });
