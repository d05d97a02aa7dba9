/**
 * Keeps the group coordinator's view of the topics in step with the log manager. Every handler
 * that creates, deletes or grows a topic (CreateTopics, DeleteTopics, CreatePartitions, and the
 * auto-creation in Produce and Metadata) calls `topicsChanged` after the change; the coordinator
 * then re-resolves subscriptions (a regex picks up a new topic) and bumps the epochs of groups
 * whose topics changed.
 */
import type { TopicPartitionCounts } from '../../group/assignors/common.js';
import type { GroupCoordinator } from '../../group/index.js';
import type { LogManager } from '../../log/log-manager.js';

/** topic → partition count, for every topic the log manager serves. */
export function topicPartitionCounts(logs: LogManager): TopicPartitionCounts {
  const counts: Record<string, number> = {};
  for (const t of logs.topics()) counts[t.name] = t.partitions.length;
  return counts;
}

/** Tells the coordinator the topics changed. */
export function topicsChanged(ctx: { readonly logs: LogManager; readonly groups: GroupCoordinator }): void {
  ctx.groups.onMetadataChange(topicPartitionCounts(ctx.logs));
}
