/**
 * The group coordinator's `OffsetLog` over the internal topic `__consumer_offsets`.
 *
 * - The topic is created on the first write (as Kafka creates it on first use), with
 *   `cleanup.policy=compact` (retention never deletes a group's last commit) and a segment size of
 *   at most OFFSETS_SEGMENT_BYTES, so a broker that never sees a group preallocates nothing for it.
 *   Clients cannot produce to it, create, delete or grow it (see `internal-topics.ts`).
 * - append: one RecordBatch per commit into partition 0, then, under `--flush ack`, the partition's
 *   group-commit fdatasync before it resolves: a commit is acknowledged as an acks=all produce is.
 *   With `--flush interval:<ms>` or `os` the flush policy decides, as it does for acks=all.
 * - replay: every batch from the log start to the log end, as zero-copy views of the segments,
 *   partition by partition (a topic made with more partitions elsewhere is read whole; writes
 *   only ever go to partition 0).
 */
import type { LogManager, TopicLog } from '../../log/log-manager.js';
import type { PartitionLog } from '../../log/partition-log.js';
import { OFFSETS_TOPIC, type OffsetLog } from '../../group/index.js';
import { DEFAULT_TOPIC_CONFIG, type TopicConfig } from '../../log/log-config.js';
import { LOG_OVERHEAD, readBatchHeader } from '../../protocol/record-batch.js';
import type { FlushPolicy } from '../config.js';

/** Kafka's offsets.topic.segment.bytes: the internal topic's segments are at most this big. */
export const OFFSETS_SEGMENT_BYTES = 100 * 1024 * 1024;
/** The one partition commits go to. */
export const OFFSETS_PARTITION = 0;
/** How much one replay read asks for. */
const REPLAY_READ_BYTES = 1024 * 1024;

export interface ConsumerOffsetsLogOptions {
  logs: LogManager;
  flush: FlushPolicy;
  /** Broker-wide topic defaults (for the segment size). */
  defaults: Partial<TopicConfig>;
  /** Told about each append (wakes fetches waiting on the topic). */
  onAppend?: (log: PartitionLog, bytes: number) => void;
  /** Told when the topic is created (the coordinator's topic list changes). */
  onCreated?: () => void;
}

export class ConsumerOffsetsLog implements OffsetLog {
  readonly #opts: ConsumerOffsetsLogOptions;

  constructor(opts: ConsumerOffsetsLogOptions) {
    this.#opts = opts;
  }

  /** The topic's creation configs: compacted, segments no bigger than OFFSETS_SEGMENT_BYTES. */
  topicConfigs(): Record<string, string> {
    const segmentBytes = Math.min(
      this.#opts.defaults.segmentBytes ?? DEFAULT_TOPIC_CONFIG.segmentBytes,
      OFFSETS_SEGMENT_BYTES,
    );
    return { 'cleanup.policy': 'compact', 'segment.bytes': String(segmentBytes) };
  }

  #topic(): TopicLog {
    const existing = this.#opts.logs.topic(OFFSETS_TOPIC);
    if (existing !== undefined) return existing;
    const created = this.#opts.logs.createTopic(OFFSETS_TOPIC, 1, this.topicConfigs());
    this.#opts.onCreated?.();
    return created;
  }

  async append(batch: Uint8Array): Promise<void> {
    const log = this.#topic().partitions[OFFSETS_PARTITION]!;
    log.append(batch);
    this.#opts.onAppend?.(log, batch.length);
    if (this.#opts.flush.mode === 'ack') await log.sync();
  }

  *replay(): Iterable<Uint8Array> {
    const topic = this.#opts.logs.topic(OFFSETS_TOPIC);
    if (topic === undefined) return;
    for (const log of topic.partitions) yield* readWhole(log);
  }
}

/** Every batch of a partition, from its log start to its end, as zero-copy views. */
function* readWhole(log: PartitionLog): Iterable<Uint8Array> {
  const end = log.logEndOffset;
  let offset = log.logStartOffset;
  while (offset < end) {
    const views = log.read(offset, REPLAY_READ_BYTES);
    if (views.length === 0) return;
    for (const view of views) {
      yield view;
      offset = Math.max(offset, nextOffsetAfter(view));
    }
  }
}

/** The offset after the last batch of `view` (whole batches, as PartitionLog.read returns). */
function nextOffsetAfter(view: Uint8Array): number {
  let next = -1;
  for (let pos = 0; pos < view.length; ) {
    const h = readBatchHeader(view, pos);
    next = h.baseOffset + h.lastOffsetDelta + 1;
    pos += LOG_OVERHEAD + h.batchLength;
  }
  return next;
}
