/**
 * Admin operations, with KafkaJS's method names and result shapes where KafkaJS has them
 * (offsets are numbers here, not strings). A per-item error from the broker is thrown as a
 * RivuletError whose `path` names the item, e.g. `topics/0`.
 */
import { RivuletError } from '../errors.js';
import { AlterConfigs } from '../protocol/apis/alter-configs.js';
import { CreatePartitions } from '../protocol/apis/create-partitions.js';
import { CreateTopics } from '../protocol/apis/create-topics.js';
import { DeleteTopics } from '../protocol/apis/delete-topics.js';
import { DescribeConfigs } from '../protocol/apis/describe-configs.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from '../protocol/apis/common.js';
import { Fetch } from '../protocol/apis/fetch.js';
import { ListOffsets } from '../protocol/apis/list-offsets.js';
import { decodeRecordBatches } from '../protocol/record-batch.js';
import type { Cluster } from './cluster.js';
import { GroupAdmin } from './group/admin-groups.js';
import { withRetry } from './retry.js';
import type {
  AlterConfigsResource,
  AlterConfigsResponse,
  ClusterDescription,
  CreateTopicsOptions,
  DescribeConfigResponse,
  FetchOffsetsResult,
  GroupDescription,
  GroupOverview,
  PartitionLag,
  ITopicMetadata,
  PartitionOffset,
  PartitionOffsets,
  ResourceConfigQuery,
} from './types.js';

/** Resource types of describeConfigs / alterConfigs (Kafka's ConfigResource.Type numbers). */
export const ConfigResourceTypes = { UNKNOWN: 0, TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8, GROUP: 32 } as const;

/**
 * KafkaJS's `ResourceTypes` (its ACL resource types). For configs use {@link ConfigResourceTypes};
 * TOPIC is 2 in both.
 */
export const ResourceTypes = {
  UNKNOWN: 0,
  ANY: 1,
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
} as const;

const DEFAULT_ADMIN_TIMEOUT_MS = 30_000;

function invalid(message: string, path?: string): RivuletError {
  return new RivuletError('INVALID_ARGUMENT', message, { path });
}

function itemError(code: number, message: string | null, path: string): RivuletError {
  return RivuletError.fromWire(code, message ?? undefined, path);
}

function topicList(topics: unknown, what: string): string[] {
  if (!Array.isArray(topics) || topics.some((t) => typeof t !== 'string' || t.length === 0)) {
    throw invalid(`${what} must be an array of topic names`);
  }
  return topics as string[];
}

export class Admin {
  private readonly groups: GroupAdmin;

  /** Use `client.admin()`. */
  constructor(private readonly cluster: Cluster) {
    this.groups = new GroupAdmin(cluster, this);
  }

  // Consumer groups (group/admin-groups.ts).

  /** Every group: `{ groups: [{ groupId, protocolType, groupState }] }`. */
  listGroups(): Promise<{ groups: GroupOverview[] }> {
    return this.groups.listGroups();
  }

  /** State, assignor, members and their partitions; a group the broker does not know is 'Dead'. */
  describeGroups(groupIds: string[]): Promise<{ groups: GroupDescription[] }> {
    return this.groups.describeGroups(groupIds);
  }

  /** Deletes groups that have no members, with their committed offsets (NON_EMPTY_GROUP otherwise). */
  deleteGroups(groupIds: string[]): Promise<{ groupId: string; errorCode: number }[]> {
    return this.groups.deleteGroups(groupIds);
  }

  /** Committed offsets (the next to read; -1 where none) per topic and partition. */
  fetchOffsets(opts: { groupId: string; topics?: string[] }): Promise<FetchOffsetsResult[]> {
    return this.groups.fetchOffsets(opts);
  }

  /** Sets a group's offsets; refused with NON_EMPTY_GROUP while the group has members. */
  setOffsets(opts: { groupId: string; topic: string; partitions: PartitionOffset[] }): Promise<void> {
    return this.groups.setOffsets(opts);
  }

  /** Moves a group's offsets of a topic to the log start (`earliest`) or end; members must be stopped. */
  resetOffsets(opts: { groupId: string; topic: string; earliest?: boolean }): Promise<void> {
    return this.groups.resetOffsets(opts);
  }

  /** Per partition: committed offset, log start and end, and lag. */
  fetchGroupLag(opts: { groupId: string; topics?: string[] }): Promise<PartitionLag[]> {
    return this.groups.fetchGroupLag(opts);
  }

  /** KafkaJS compatibility: connections open on first use. */
  async connect(): Promise<void> {}

  /** KafkaJS compatibility: the client owns the connections (`client.close()`). */
  async disconnect(): Promise<void> {}

  /** Creates topics. Resolves false when any already existed (as KafkaJS), true otherwise. */
  async createTopics(opts: CreateTopicsOptions): Promise<boolean> {
    if (!Array.isArray(opts?.topics) || opts.topics.length === 0) throw invalid('createTopics needs topics: [{ topic, ... }]');
    const topics = opts.topics.map((t, i) => {
      if (typeof t?.topic !== 'string' || t.topic.length === 0) throw invalid(`topics/${i}/topic must be a name`, `topics/${i}`);
      return {
        name: t.topic,
        numPartitions: t.numPartitions ?? -1,
        replicationFactor: t.replicationFactor ?? -1,
        configs: (t.configEntries ?? []).map((c) => ({ name: c.name, value: c.value })),
      };
    });
    const res = await this.cluster.requestAny(CreateTopics, {
      topics,
      timeoutMs: opts.timeout ?? DEFAULT_ADMIN_TIMEOUT_MS,
      validateOnly: opts.validateOnly ?? false,
    });
    let created = true;
    res.body.topics.forEach((t, i) => {
      if (t.errorCode === 0) return;
      const err = itemError(t.errorCode, t.errorMessage, `topics/${i}`);
      if (err.code === 'TOPIC_ALREADY_EXISTS') created = false;
      else throw err;
    });
    for (const t of topics) this.cluster.invalidate(t.name);
    return created;
  }

  async deleteTopics(opts: { topics: string[]; timeout?: number }): Promise<void> {
    const names = topicList(opts?.topics, 'deleteTopics topics');
    const res = await this.cluster.requestAny(DeleteTopics, {
      topicNames: names,
      timeoutMs: opts.timeout ?? DEFAULT_ADMIN_TIMEOUT_MS,
    });
    for (const name of names) this.cluster.invalidate(name);
    res.body.responses.forEach((r, i) => {
      if (r.errorCode !== 0) throw itemError(r.errorCode, r.errorMessage, `topics/${i}`);
    });
  }

  /** Grows topics to `count` partitions each (the new total, as in Kafka). */
  async createPartitions(opts: {
    topicPartitions: { topic: string; count: number }[];
    validateOnly?: boolean;
    timeout?: number;
  }): Promise<boolean> {
    if (!Array.isArray(opts?.topicPartitions)) throw invalid('createPartitions needs topicPartitions: [{ topic, count }]');
    const res = await this.cluster.requestAny(CreatePartitions, {
      topics: opts.topicPartitions.map((t) => ({ name: t.topic, count: t.count })),
      timeoutMs: opts.timeout ?? DEFAULT_ADMIN_TIMEOUT_MS,
      validateOnly: opts.validateOnly ?? false,
    });
    for (const t of opts.topicPartitions) this.cluster.invalidate(t.topic);
    res.body.results.forEach((r, i) => {
      if (r.errorCode !== 0) throw itemError(r.errorCode, r.errorMessage, `topicPartitions/${i}`);
    });
    return true;
  }

  /** Names of every topic. */
  async listTopics(): Promise<string[]> {
    const body = await this.cluster.refreshMetadata(null);
    return body.topics.filter((t) => t.errorCode === 0).map((t) => t.name);
  }

  /** Partitions, leaders and replicas of `topics` (every topic when omitted). */
  async fetchTopicMetadata(opts: { topics?: string[] } = {}): Promise<{ topics: ITopicMetadata[] }> {
    const wanted = opts.topics === undefined ? null : topicList(opts.topics, 'fetchTopicMetadata topics');
    const body = await this.cluster.refreshMetadata(wanted);
    return {
      topics: body.topics.map((t, i) => {
        if (t.errorCode !== 0) throw itemError(t.errorCode, t.errorMessage ?? `topic '${t.name}'`, `topics/${i}`);
        return {
          name: t.name,
          partitions: t.partitions
            .map((p) => ({
              partitionErrorCode: p.errorCode,
              partitionId: p.index,
              leader: p.leaderId,
              replicas: p.replicaNodes,
              isr: p.isrNodes,
              leaderEpoch: p.leaderEpoch,
            }))
            .sort((a, b) => a.partitionId - b.partitionId),
        };
      }),
    };
  }

  /** The brokers, controller and cluster id. */
  async describeCluster(): Promise<ClusterDescription> {
    const body = await this.cluster.refreshMetadata([]);
    return { clusterId: body.clusterId, controller: body.controllerId, brokers: body.brokers };
  }

  /** Per partition: the log start (`low`), the high watermark (`high`), and `offset` = high, as KafkaJS. */
  async fetchTopicOffsets(topic: string): Promise<PartitionOffsets[]> {
    const [low, high] = await Promise.all([this.listOffsets(topic, EARLIEST_TIMESTAMP), this.listOffsets(topic, LATEST_TIMESTAMP)]);
    return high.map(({ partition, offset }, i) => ({ partition, offset, high: offset, low: low[i]!.offset }));
  }

  /**
   * Per partition, the first offset whose message is at or after `timestamp`; the high watermark
   * where there is none yet (as KafkaJS). Without a timestamp: the high watermark.
   */
  async fetchTopicOffsetsByTimestamp(topic: string, timestamp?: number): Promise<PartitionOffset[]> {
    if (timestamp === undefined) return this.listOffsets(topic, LATEST_TIMESTAMP);
    if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw invalid(`timestamp must be ms since the epoch, got ${timestamp}`);
    const [at, high] = await Promise.all([this.listOffsets(topic, timestamp), this.listOffsets(topic, LATEST_TIMESTAMP)]);
    return Promise.all(
      at.map(async ({ partition, offset }, i) => ({
        partition,
        offset: offset >= 0 ? await this.firstAtOrAfter(topic, partition, offset, timestamp) : high[i]!.offset,
      })),
    );
  }

  /**
   * The broker names the first batch whose newest record reaches `timestamp`; the record itself
   * may be further in: read that batch and find it (as Kafka answers, per record).
   */
  private async firstAtOrAfter(topic: string, partition: number, batchOffset: number, timestamp: number): Promise<number> {
    const meta = await this.cluster.topic(topic);
    const leader = meta.partitions.find((p) => p.partition === partition)?.leader ?? -1;
    const res = await this.cluster.nodeConnection(leader).request(Fetch, {
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1, // the broker still returns the first whole batch
      isolationLevel: 0,
      topics: [{ name: topic, partitions: [{ index: partition, fetchOffset: batchOffset, partitionMaxBytes: 1 }] }],
    });
    for (const raw of res.raws) {
      for (const batch of decodeRecordBatches(raw)) {
        for (const r of batch.records) if (r.offset >= batchOffset && r.timestamp >= timestamp) return r.offset;
      }
    }
    return batchOffset;
  }

  async describeConfigs(opts: { resources: ResourceConfigQuery[]; includeSynonyms?: boolean }): Promise<DescribeConfigResponse> {
    if (!Array.isArray(opts?.resources)) throw invalid('describeConfigs needs resources: [{ type, name }]');
    const res = await this.cluster.requestAny(DescribeConfigs, {
      resources: opts.resources.map((r) => ({
        resourceType: r.type,
        resourceName: r.name,
        configurationKeys: r.configNames ?? null,
      })),
    });
    res.body.results.forEach((r, i) => {
      if (r.errorCode !== 0) throw itemError(r.errorCode, r.errorMessage, `resources/${i}`);
    });
    return {
      resources: res.body.results.map((r) => ({
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        errorCode: r.errorCode,
        errorMessage: r.errorMessage,
        configEntries: r.configs.map((c) => ({
          configName: c.name,
          configValue: c.value,
          isDefault: c.isDefault,
          configSource: c.source,
          isSensitive: c.isSensitive,
          readOnly: c.readOnly,
          configSynonyms: [],
        })),
      })),
      throttleTime: 0,
    };
  }

  /** Sets the named config keys (value null = back to the default); others are kept. */
  async alterConfigs(opts: { resources: AlterConfigsResource[]; validateOnly?: boolean }): Promise<AlterConfigsResponse> {
    if (!Array.isArray(opts?.resources)) throw invalid('alterConfigs needs resources: [{ type, name, configEntries }]');
    const res = await this.cluster.requestAny(AlterConfigs, {
      resources: opts.resources.map((r) => ({
        resourceType: r.type,
        resourceName: r.name,
        configs: (r.configEntries ?? []).map((c) => ({ name: c.name, value: c.value })),
      })),
      validateOnly: opts.validateOnly ?? false,
    });
    res.body.responses.forEach((r, i) => {
      if (r.errorCode !== 0) throw itemError(r.errorCode, r.errorMessage, `resources/${i}`);
    });
    return {
      resources: res.body.responses.map((r) => ({
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        errorCode: r.errorCode,
        errorMessage: r.errorMessage,
      })),
      throttleTime: 0,
    };
  }

  /** ListOffsets for every partition of `topic` (asked of each partition's leader), sorted by partition. */
  private listOffsets(topic: string, timestamp: number): Promise<PartitionOffset[]> {
    if (typeof topic !== 'string' || topic.length === 0) throw invalid('topic must be a name');
    this.cluster.invalidate(topic);
    return withRetry(
      this.cluster.opts.retry,
      async () => {
        const meta = await this.cluster.topic(topic);
        const byLeader = new Map<number, number[]>();
        for (const p of meta.partitions) {
          const list = byLeader.get(p.leader);
          if (list === undefined) byLeader.set(p.leader, [p.partition]);
          else list.push(p.partition);
        }
        const answers = await Promise.all(
          [...byLeader].map(([leader, partitions]) =>
            this.cluster.nodeConnection(leader).request(ListOffsets, {
              isolationLevel: 0,
              topics: [{ name: topic, partitions: partitions.map((index) => ({ index, timestamp })) }],
            }),
          ),
        );
        const out: PartitionOffset[] = [];
        for (const res of answers) {
          for (const t of res.body.topics) {
            for (const p of t.partitions) {
              if (p.errorCode !== 0) {
                const err = itemError(p.errorCode, p.errorMessage, `${topic}/${p.index}`);
                this.cluster.onPartitionError(topic, err);
                throw err;
              }
              out.push({ partition: p.index, offset: p.offset });
            }
          }
        }
        return out.sort((a, b) => a.partition - b.partition);
      },
      { shouldStop: () => this.cluster.isClosed },
    );
  }
}
