/**
 * The storage layer's public surface for the broker. Importing it loads the native addon; tools
 * that only read files (`rivulet dump-log`) import `./dump-log.js` directly, which does not.
 */
export { type DumpedBatch, type DumpResult, dumpLog } from './dump-log.js';
export {
  type ConfigDescription,
  type ConfigEntries,
  type ConfigSource,
  DEFAULT_TOPIC_CONFIG,
  describeTopicConfig,
  parseTopicConfigs,
  resolveTopicConfig,
  TOPIC_CONFIG_NAMES,
  type TopicConfig,
} from './log-config.js';
export { LogManager, type LogManagerOptions, type PartitionRetention, type TopicLog } from './log-manager.js';
export { keepLargeBlocksMapped, TRIM_MEMORY_INTERVAL_MS, trimNativeMemory } from './memory.js';
export { assertOffset, MAX_OFFSET } from './offsets.js';
export { type AppendResult, PartitionLog, type PartitionLogOptions, type SegmentInfo } from './partition-log.js';
export { DEFAULT_RETENTION_CHECK_INTERVAL_MS, type DeletedSegment, type RetentionResult } from './retention.js';
export type { LogLogger } from './segments.js';
export { isInternalTopic, validateTopicName } from './topic-name.js';
