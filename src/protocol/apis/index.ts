/**
 * Every api this build speaks: the core apis and the consumer-group apis (`group-apis.ts`), which
 * the broker always serves. `CORE_APIS` is the whole registry (ApiVersions lists exactly these).
 */
import type { ApiDef } from '../api.js';
import { AlterConfigs } from './alter-configs.js';
import { ApiVersions } from './api-versions.js';
import { CreatePartitions } from './create-partitions.js';
import { CreateTopics } from './create-topics.js';
import { DeleteTopics } from './delete-topics.js';
import { DescribeConfigs } from './describe-configs.js';
import { Fetch } from './fetch.js';
import { GROUP_APIS } from './group-apis.js';
import { InitProducerId } from './init-producer-id.js';
import { ListOffsets } from './list-offsets.js';
import { Metadata } from './metadata.js';
import { Produce } from './produce.js';

export const CORE_APIS: readonly ApiDef<unknown, unknown>[] = [
  Produce,
  Fetch,
  ListOffsets,
  Metadata,
  ApiVersions,
  CreateTopics,
  DeleteTopics,
  InitProducerId,
  DescribeConfigs,
  AlterConfigs,
  CreatePartitions,
  ...GROUP_APIS,
] as ApiDef<unknown, unknown>[];

export {
  AlterConfigs,
  ApiVersions,
  CreatePartitions,
  CreateTopics,
  DeleteTopics,
  DescribeConfigs,
  Fetch,
  InitProducerId,
  ListOffsets,
  Metadata,
  Produce,
};
export {
  ConsumerGroupDescribe,
  ConsumerGroupHeartbeat,
  DeleteGroups,
  DescribeGroups,
  GROUP_APIS,
  ListGroups,
  OffsetCommit,
  OffsetFetch,
} from './group-apis.js';
export * from './common.js';
export type * from './group-apis.js';
export type * from './alter-configs.js';
export type * from './create-partitions.js';
export type * from './create-topics.js';
export type * from './delete-topics.js';
export type * from './describe-configs.js';
export type * from './fetch.js';
export type * from './init-producer-id.js';
export type * from './list-offsets.js';
export type * from './metadata.js';
export type * from './produce.js';
export type * from './api-versions.js';
