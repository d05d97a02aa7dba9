/**
 * What one protocol api is: its key (Kafka's number), the versions this build speaks, and the
 * shapes of its request and response bodies. Each api lives in its own file under `apis/`.
 */
import type { Schema } from './schema.js';

export interface ApiDef<Req, Res> {
  readonly key: number;
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly request: Schema<Req>;
  readonly response: Schema<Res>;
}

export type RequestOf<A> = A extends ApiDef<infer Req, unknown> ? Req : never;
export type ResponseOf<A> = A extends ApiDef<unknown, infer Res> ? Res : never;

export function defineApi<Req, Res>(def: ApiDef<Req, Res>): ApiDef<Req, Res> {
  return def;
}

/** Kafka's api keys, for the apis Rivulet speaks. */
export const ApiKeys = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  DescribeGroups: 15,
  ListGroups: 16,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  InitProducerId: 22,
  DescribeConfigs: 32,
  AlterConfigs: 33,
  CreatePartitions: 37,
  DeleteGroups: 42,
  OffsetDelete: 47,
  ConsumerGroupHeartbeat: 68,
  ConsumerGroupDescribe: 69,
} as const;
