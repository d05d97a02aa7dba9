/**
 * The SDK's public types: options, messages and results of the producer, consumer and admin.
 * Offsets and timestamps are numbers (docs/ARCHITECTURE.md, "Offsets").
 */
import type { CompressionType } from '../protocol/compression.js';
import type { RetryOptions } from './retry.js';
import type { ConnectionHooks } from './connection.js';
import type { SocketFactory } from './transport.js';

export type { CompressionType, RetryOptions, ConnectionHooks };

/**
 * Bytes the consumer hands out: a Node `Buffer` (a zero-copy view) where Node's types are in scope,
 * a `Uint8Array` elsewhere.
 */
export type Bytes = typeof globalThis extends { Buffer: { alloc(size: number): infer B } } ? B : Uint8Array;

// ---------------------------------------------------------------- client

export interface RivuletConfig {
  /** Broker addresses, `ws://host:port` (the SDK appends `/v1`); `host:port` means `ws://host:port`. */
  brokers: string[];
  clientId?: string;
  /** Deadline of each request, in ms. Default 30 000. A fetch gets its long-poll wait on top. */
  requestTimeoutMs?: number;
  /** Deadline of a WebSocket handshake, in ms. Default 10 000. */
  connectionTimeoutMs?: number;
  /** How retriable failures are retried (exponential backoff with jitter). */
  retry?: RetryOptions;
  /** How long cached topic metadata is trusted, in ms. Default 300 000. */
  metadataMaxAgeMs?: number;
  /** Observation and fault-injection points on every connection (diagnostics and tests). */
  hooks?: ConnectionHooks;
  /**
   * The WebSocket transport. Default: the `ws` package in Node, the platform's `WebSocket`
   * elsewhere; `standardSocketFactory` forces the standard one.
   */
  socketFactory?: SocketFactory;
}

// ---------------------------------------------------------------- producer

/** 0: no answer · 1: answered once in the log · -1 or 'all': answered once on disk. */
export type Acks = 0 | 1 | -1 | 'all';

/** A header value, or several values under one key (sent as repeated headers, in order). */
export type HeaderValue = string | Uint8Array | null | undefined;
export type MessageHeadersInput = Record<string, HeaderValue | HeaderValue[]>;

export interface Message {
  key?: string | Uint8Array | null;
  value: string | Uint8Array | null;
  headers?: MessageHeadersInput;
  /** Sends to this partition, bypassing the partitioner. */
  partition?: number;
  /** CreateTime in ms since the epoch (a numeric string is accepted, as in KafkaJS). Default: now. */
  timestamp?: number | string;
}

export interface ProducerRecord {
  topic: string;
  messages: Message[];
  acks?: Acks;
  compression?: CompressionType;
}

export interface TopicMessages {
  topic: string;
  messages: Message[];
}

export interface ProducerBatch {
  topicMessages: TopicMessages[];
  acks?: Acks;
  compression?: CompressionType;
}

/** Where one sent message landed. `offset` is -1 with acks 0. */
export interface RecordMetadata {
  topic: string;
  partition: number;
  offset: number;
}

/** Chooses a partition for a message that names none; `key` is the key's bytes (null when keyless). */
export type Partitioner = (args: {
  topic: string;
  partitionCount: number;
  key: Uint8Array | null;
  message: Message;
}) => number;

export interface ProducerOptions {
  /** Producer id, epoch and per-partition sequence numbers, so retries never duplicate. Default true. */
  idempotent?: boolean;
  /** How long a batch may wait for more records, in ms. Default 0 (sent on the next tick). */
  lingerMs?: number;
  /** Size at which a partition's batch is closed and sent. Default 1 MiB. */
  batchBytes?: number;
  /** Produce requests in flight per connection. Default 5. */
  maxInFlight?: number;
  /** Upper bound of one produce request (one batch per partition). Default 4 MiB (the broker's frame limit is 8). */
  maxRequestBytes?: number;
  /** Default acks of send(). Default 'all'. */
  acks?: Acks;
  /** Default compression of send(). Default 'none'. */
  compression?: CompressionType;
  /** The broker-side wait for acks, in ms (the Produce request's timeoutMs). Default 30 000. */
  ackTimeoutMs?: number;
  /** Ask the broker to create unknown topics (if it is configured to). Default true, as KafkaJS. */
  allowAutoTopicCreation?: boolean;
  /** Overrides the client's retry policy for this producer. */
  retry?: RetryOptions;
  /** Replaces Kafka's default partitioner (murmur2 for keys, sticky without). */
  partitioner?: Partitioner;
}

// ---------------------------------------------------------------- consumer

/** Headers of a consumed message: an object, a repeated key holds an array, as in KafkaJS. */
export type MessageHeaders = Record<string, Bytes | null | (Bytes | null)[]>;

export interface KafkaMessage {
  key: Bytes | null;
  value: Bytes | null;
  headers: MessageHeaders;
  offset: number;
  timestamp: number;
}

export interface Batch {
  topic: string;
  partition: number;
  /** The partition's high watermark when this batch was fetched. */
  highWatermark: number;
  messages: KafkaMessage[];
}

/** Where to start reading: an offset, the log's ends, or the first message at or after a timestamp. */
export type OffsetSpec = number | 'earliest' | 'latest' | { timestamp: number };

export interface TopicPartitionOffsetSpec {
  topic: string;
  partition: number;
  offset: OffsetSpec;
}

export interface TopicPartitions {
  topic: string;
  /** Every assigned partition of the topic when omitted. */
  partitions?: number[];
}

export interface EachMessagePayload {
  topic: string;
  partition: number;
  message: KafkaMessage;
  /** Pauses this partition; returns a function that resumes it. */
  pause(): () => void;
  /** Kept for KafkaJS compatibility: heartbeats run on their own timer. */
  heartbeat(): Promise<void>;
}

export interface EachBatchPayload {
  batch: Batch;
  /** Marks messages up to and including `offset` as processed. */
  resolveOffset(offset: number): void;
  /** Kept for KafkaJS compatibility: heartbeats run on their own timer. */
  heartbeat(): Promise<void>;
  /** Consumer groups: commits what was resolved so far. */
  commitOffsetsIfNecessary(): Promise<void>;
  /** False once the consumer is stopping. */
  isRunning(): boolean;
  /** True when a seek or pause made this batch's remaining messages obsolete. */
  isStale(): boolean;
  /** Pauses this partition; returns a function that resumes it. */
  pause(): () => void;
}

export interface ConsumerRunConfig {
  eachMessage?: (payload: EachMessagePayload) => Promise<void> | void;
  eachBatch?: (payload: EachBatchPayload) => Promise<void> | void;
  /** Resolve the batch's last offset when eachBatch returns. Default true. */
  eachBatchAutoResolve?: boolean;
  /** Partitions handled at the same time (messages of one partition stay in order). Default 1. */
  partitionsConsumedConcurrently?: number;
  /** Consumer groups: commit processed offsets every `autoCommitIntervalMs` and on revoke. Default true. */
  autoCommit?: boolean;
  /** Default 5000. */
  autoCommitIntervalMs?: number;
}

/** What a group consumer subscribes to (KafkaJS's shape, plus `pattern`). */
export interface ConsumerSubscribeTopics {
  /** Topic names, or patterns matched against whole topic names. */
  topics?: (string | RegExp)[];
  topic?: string | RegExp;
  pattern?: RegExp;
  /** With no committed offset, start at the earliest offset instead of the latest. Default false. */
  fromBeginning?: boolean;
}

export interface TopicPartitionOffsetAndMetadata {
  topic: string;
  partition: number;
  /** The next offset to read (Kafka's commit semantics). */
  offset: number;
  metadata?: string | null;
}

/** A partition as the rebalance events name it. */
export interface TopicPartition {
  topic: string;
  partition: number;
}

export type GroupAssignor = 'sticky' | 'range' | 'roundrobin';

export type AutoOffsetReset = 'earliest' | 'latest' | 'none';

export interface ConsumerOptions {
  /** The consumer group: `subscribe()` then `run()` share partitions with its other members. */
  groupId?: string;
  /** Static membership: a restart within the session timeout gets the same partitions back. */
  groupInstanceId?: string;
  /**
   * How long heartbeats may fail before this consumer counts its partitions as lost, in ms
   * (the broker's group-session-timeout-ms decides when the broker gives them away). Default 45 000.
   */
  sessionTimeoutMs?: number;
  /** How long the member may take to give up revoked partitions before it is fenced. Default maxPollIntervalMs. */
  rebalanceTimeoutMs?: number;
  /** Used until the broker answers with its own interval (which wins). Default 3000. */
  heartbeatIntervalMs?: number;
  /** The broker-side assignor. Default: the broker's (sticky). */
  assignor?: GroupAssignor;
  /** A handler running longer than this makes the member leave the group until it returns. Default 300 000. */
  maxPollIntervalMs?: number;
  /** Long-poll wait of a fetch, in ms. Default 500. */
  maxWaitMs?: number;
  /** Bytes a fetch waits for. Default 1. */
  minBytes?: number;
  /** Bound of one fetch response. Default 10 MiB. */
  maxBytes?: number;
  /** Bound per partition of one fetch response. Default 1 MiB. */
  maxBytesPerPartition?: number;
  /** What to do when a position is outside the log. Default 'latest' (Kafka's). */
  autoOffsetReset?: AutoOffsetReset;
  /** Verify each fetched batch's CRC-32C. Default true. */
  verifyCrc?: boolean;
  /** Overrides the client's retry policy for this consumer. */
  retry?: RetryOptions;
}

// ---------------------------------------------------------------- admin

export interface ConfigEntry {
  name: string;
  value: string | null;
}

export interface ITopicConfig {
  topic: string;
  /** Default: the broker's (-1). */
  numPartitions?: number;
  replicationFactor?: number;
  configEntries?: ConfigEntry[];
}

export interface CreateTopicsOptions {
  topics: ITopicConfig[];
  validateOnly?: boolean;
  /** Broker-side deadline, in ms. Default 30 000. */
  timeout?: number;
  /** Ignored (Rivulet has no leader elections yet); accepted for KafkaJS compatibility. */
  waitForLeaders?: boolean;
}

export interface PartitionMetadata {
  partitionErrorCode: number;
  partitionId: number;
  leader: number;
  replicas: number[];
  isr: number[];
  leaderEpoch: number;
}

export interface ITopicMetadata {
  name: string;
  partitions: PartitionMetadata[];
}

export interface BrokerMetadata {
  nodeId: number;
  host: string;
  port: number;
}

export interface ClusterDescription {
  clusterId: string;
  controller: number;
  brokers: BrokerMetadata[];
}

export interface PartitionOffsets {
  partition: number;
  /** KafkaJS's name for the high watermark. */
  offset: number;
  high: number;
  low: number;
}

export interface PartitionOffset {
  partition: number;
  offset: number;
}

export interface ResourceConfigQuery {
  type: number;
  name: string;
  configNames?: string[];
}

export interface DescribeConfigEntry {
  configName: string;
  configValue: string | null;
  isDefault: boolean;
  configSource: string;
  isSensitive: boolean;
  readOnly: boolean;
  configSynonyms: never[];
}

export interface DescribeConfigResponse {
  resources: {
    resourceType: number;
    resourceName: string;
    errorCode: number;
    errorMessage: string | null;
    configEntries: DescribeConfigEntry[];
  }[];
  throttleTime: number;
}

export interface AlterConfigsResource {
  type: number;
  name: string;
  configEntries: ConfigEntry[];
}

export interface AlterConfigsResponse {
  resources: { resourceType: number; resourceName: string; errorCode: number; errorMessage: string | null }[];
  throttleTime: number;
}

// ---------------------------------------------------------------- admin: consumer groups

export type GroupState = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable' | 'Dead';

export interface GroupOverview {
  groupId: string;
  protocolType: string;
  groupState: string;
}

export interface GroupMemberDescription {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  memberEpoch: number;
  /** 'Stable' | 'UnrevokedPartitions' | 'UnreleasedPartitions'. */
  memberState: string;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  /** What the member may own now. */
  assignment: { topic: string; partitions: number[] }[];
  /** What it will own once the group is reconciled. */
  targetAssignment: { topic: string; partitions: number[] }[];
}

export interface GroupDescription {
  groupId: string;
  /** Kafka's state names; 'Dead' for a group the broker does not know. */
  state: string;
  protocolType: string;
  /** The assignor. */
  protocol: string;
  groupEpoch: number;
  assignmentEpoch: number;
  errorCode: number;
  members: GroupMemberDescription[];
}

export interface FetchOffsetsResult {
  topic: string;
  /** offset: the committed offset (the next to read), -1 when none. */
  partitions: { partition: number; offset: number; metadata: string | null }[];
}

export interface PartitionLag {
  topic: string;
  partition: number;
  /** -1 when the group committed nothing for the partition. */
  committedOffset: number;
  logStartOffset: number;
  /** The high watermark (the log end on one broker). */
  logEndOffset: number;
  /** logEndOffset − max(committed, logStartOffset), never below 0. */
  lag: number;
}
