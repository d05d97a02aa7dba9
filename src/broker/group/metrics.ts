/**
 * Consumer-group gauges for `GET /metrics`, read from the coordinator and the logs when the text
 * is rendered:
 *
 *   rivulet_consumer_group_committed_offset{group,topic,partition}   the group's committed offset
 *   rivulet_consumer_group_lag{group,topic,partition}                high watermark − committed
 *       (see `src/group/lag.ts`: counted from the log start when retention passed the commit)
 *   rivulet_consumer_group_members{group}                            members of the group now
 *
 * A committed offset of a topic or partition that no longer exists has no lag sample (there is
 * nothing left to read). Group ids are client-chosen strings, so label values are escaped.
 */
import { type GroupCoordinator, lag } from '../../group/index.js';
import type { LogManager } from '../../log/log-manager.js';

/** A Prometheus label value: backslash, double quote and newline escaped. */
export function labelValue(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function renderGroupMetrics(groups: GroupCoordinator, logs: LogManager): string {
  const committed: string[] = [];
  const lags: string[] = [];
  for (const groupId of groups.offsets.groupIds()) {
    const group = labelValue(groupId);
    for (const o of groups.offsets.offsets(groupId)) {
      const labels = `group="${group}",topic="${o.topic}",partition="${o.partition}"`;
      committed.push(`rivulet_consumer_group_committed_offset{${labels}} ${o.offset}`);
      const log = logs.partition(o.topic, o.partition);
      if (log === undefined || log.closed) continue;
      lags.push(`rivulet_consumer_group_lag{${labels}} ${lag(o.offset, log.highWatermark, log.logStartOffset)}`);
    }
  }
  const members = groups
    .allGroups()
    .map((g) => `rivulet_consumer_group_members{group="${labelValue(g.groupId)}"} ${g.members.size}`)
    .sort();
  const out = [
    '# HELP rivulet_consumer_group_committed_offset Offset a consumer group committed (the next it will read), per partition.',
    '# TYPE rivulet_consumer_group_committed_offset gauge',
    ...committed,
    '# HELP rivulet_consumer_group_lag Records a consumer group has still to read: high watermark minus committed offset.',
    '# TYPE rivulet_consumer_group_lag gauge',
    ...lags,
    '# HELP rivulet_consumer_group_members Members of a consumer group.',
    '# TYPE rivulet_consumer_group_members gauge',
    ...members,
  ];
  return `${out.join('\n')}\n`;
}
