/**
 * The broker side of consumer groups: the coordinator (`src/group`) built over the broker's logs,
 * its handlers, the `__consumer_offsets` adapter, topic-change wiring and the lag metrics.
 * Groups are always on: `Broker.start` builds the coordinator, replays the committed offsets
 * before listening, and closes it on shutdown.
 */
import { GroupCoordinator } from '../../group/index.js';
import type { LogManager } from '../../log/log-manager.js';
import type { PartitionLog } from '../../log/partition-log.js';
import { type BrokerConfig, type FlushPolicy, topicDefaults } from '../config.js';
import { ConsumerOffsetsLog } from './offset-log.js';
import { topicPartitionCounts, topicsChanged } from './topic-changes.js';

export { GROUP_HANDLERS } from './handlers/index.js';
export { refuseInternalTopic } from './internal-topics.js';
export { renderGroupMetrics } from './metrics.js';
export { ConsumerOffsetsLog, OFFSETS_PARTITION, OFFSETS_SEGMENT_BYTES } from './offset-log.js';
export { topicPartitionCounts, topicsChanged } from './topic-changes.js';

const MS_PER_MINUTE = 60_000;
/** How often expired offsets are looked for (Kafka's offsets.retention.check.interval.ms), at most. */
const RETENTION_CHECK_INTERVAL_MS = 10 * MS_PER_MINUTE;

export interface BrokerGroupOptions {
  config: BrokerConfig;
  flush: FlushPolicy;
  logs: LogManager;
  /** Told about appends to `__consumer_offsets` (waiting fetches of it wake up). */
  onAppend?: (log: PartitionLog, bytes: number) => void;
}

/** The coordinator of a broker, not started yet (`start()` replays the offsets). */
export function createGroupCoordinator(opts: BrokerGroupOptions): GroupCoordinator {
  const { config, logs } = opts;
  const retentionMs = config.offsetsRetentionMinutes * MS_PER_MINUTE;
  const offsetLog = new ConsumerOffsetsLog({
    logs,
    flush: opts.flush,
    defaults: topicDefaults(config),
    onAppend: opts.onAppend,
    // The offsets topic is a topic too: groups see it (and may subscribe to it by name).
    onCreated: () => topicsChanged({ logs, groups: coordinator }),
  });
  const coordinator = new GroupCoordinator({
    offsetLog,
    sessionTimeoutMs: config.groupSessionTimeoutMs,
    heartbeatIntervalMs: config.groupHeartbeatIntervalMs,
    offsetsRetentionMs: retentionMs,
    offsetsRetentionCheckIntervalMs: Math.min(RETENTION_CHECK_INTERVAL_MS, retentionMs),
    topics: topicPartitionCounts(logs),
  });
  return coordinator;
}
