/** The consumer-group apis, registered beside CORE_APIS (`index.ts`). */
import type { ApiDef } from '../api.js';
import { ConsumerGroupDescribe } from './consumer-group-describe.js';
import { ConsumerGroupHeartbeat } from './consumer-group-heartbeat.js';
import { DeleteGroups } from './delete-groups.js';
import { DescribeGroups } from './describe-groups.js';
import { ListGroups } from './list-groups.js';
import { OffsetCommit } from './offset-commit.js';
import { OffsetFetch } from './offset-fetch.js';

export const GROUP_APIS: readonly ApiDef<unknown, unknown>[] = [
  OffsetCommit,
  OffsetFetch,
  DescribeGroups,
  ListGroups,
  DeleteGroups,
  ConsumerGroupHeartbeat,
  ConsumerGroupDescribe,
] as ApiDef<unknown, unknown>[];

export {
  ConsumerGroupDescribe,
  ConsumerGroupHeartbeat,
  DeleteGroups,
  DescribeGroups,
  ListGroups,
  OffsetCommit,
  OffsetFetch,
};
export type * from './consumer-group-describe.js';
export type * from './consumer-group-heartbeat.js';
export type * from './delete-groups.js';
export type * from './describe-groups.js';
export type * from './list-groups.js';
export type * from './offset-commit.js';
export type * from './offset-fetch.js';
