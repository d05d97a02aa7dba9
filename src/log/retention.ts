/**
 * Retention: which of a partition's oldest segments to delete. Pure: PartitionLog.applyRetention
 * applies the choice, LogManager runs it on a timer and tests call it with their own `now`.
 *
 * Rules (Kafka's `UnifiedLog.deleteOldSegments`):
 * - whole closed segments only, oldest first, never the active (last) one;
 * - `retention.ms`: a segment whose newest record (maxTimestamp) is older than now − retention.ms;
 * - `retention.bytes`: while the partition's total size minus the segment still stays ≥ the limit;
 * - log start: a segment entirely below the log start offset (after DeleteRecords);
 * - -1 disables retention.ms and retention.bytes; a topic without 'delete' in cleanup.policy
 *   (compaction only) keeps its segments, except those below the log start offset.
 * Each rule selects a prefix of the segments; the deleted prefix is the longest of them.
 */
import type { TopicConfig } from './log-config.js';

export type RetentionReason = 'retention.ms' | 'retention.bytes' | 'log-start-offset';

export interface SegmentSummary {
  baseOffset: number;
  nextOffset: number;
  /** Bytes of batches. */
  size: number;
  /** Newest batch timestamp, -1 when empty. */
  maxTimestamp: number;
}

export interface DeletedSegment extends SegmentSummary {
  reason: RetentionReason;
}

export interface RetentionResult {
  deleted: DeletedSegment[];
  logStartOffset: number;
}

/** Default period of the background retention check (`log.retention.check.interval.ms`: 5 minutes). */
export const DEFAULT_RETENTION_CHECK_INTERVAL_MS = 5 * 60 * 1000;

/**
 * The reason each of the oldest segments goes, oldest first; the result's length is how many to
 * delete. `segments` is oldest first and its last entry is the active segment.
 */
export function selectExpiredSegments(
  segments: readonly SegmentSummary[],
  config: Pick<TopicConfig, 'retentionMs' | 'retentionBytes' | 'cleanupPolicy'>,
  logStartOffset: number,
  now: number,
): RetentionReason[] {
  const closed = segments.length - 1;
  const reasons: RetentionReason[] = [];
  const deleteEnabled = config.cleanupPolicy.split(',').includes('delete');

  // Entirely below the log start: the next segment starts at or before it.
  let byStart = 0;
  while (byStart < closed && segments[byStart + 1]!.baseOffset <= logStartOffset) byStart++;

  let byTime = 0;
  if (deleteEnabled && config.retentionMs >= 0) {
    const cutoff = now - config.retentionMs;
    while (byTime < closed && segments[byTime]!.maxTimestamp < cutoff) byTime++;
  }

  let bySize = 0;
  if (deleteEnabled && config.retentionBytes >= 0) {
    let excess = -config.retentionBytes;
    for (const s of segments) excess += s.size;
    while (bySize < closed && excess - segments[bySize]!.size >= 0) {
      excess -= segments[bySize]!.size;
      bySize++;
    }
  }

  const count = Math.max(byStart, byTime, bySize);
  for (let i = 0; i < count; i++) {
    reasons.push(i < byStart ? 'log-start-offset' : i < byTime ? 'retention.ms' : 'retention.bytes');
  }
  return reasons;
}

/** Runs `check` every `intervalMs` on an unref'd timer (it never keeps the process alive). */
export function startRetentionTimer(intervalMs: number, check: () => void): () => void {
  const timer = setInterval(check, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
