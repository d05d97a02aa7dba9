/**
 * Kafka's default partitioner: a keyed record goes to `toPositive(murmur2(key)) % partitions`
 * (the same partition the Java client picks); a keyless one goes to the topic's sticky partition,
 * which changes only when a batch for it is completed (KIP-480), so keyless records fill whole
 * batches instead of many small ones.
 */
import { RivuletError } from '../errors.js';
import { defaultPartition } from '../protocol/murmur2.js';
import type { Message, Partitioner } from './types.js';

export class StickyPartitioner {
  /** Per topic: the sticky partition and the partition count it was chosen among. */
  private readonly sticky = new Map<string, { partition: number; count: number }>();

  /** The partition of a record of `topic`: keyed by murmur2, or the sticky one. */
  partition(topic: string, partitionCount: number, key: Uint8Array | null): number {
    if (key !== null) return defaultPartition(key, partitionCount);
    let s = this.sticky.get(topic);
    if (s === undefined || s.count !== partitionCount) {
      s = { partition: randomInt(partitionCount), count: partitionCount };
      this.sticky.set(topic, s);
    }
    return s.partition;
  }

  /** A batch of `topic`/`partition` was completed: keyless records move to another partition. */
  onBatchComplete(topic: string, partition: number): void {
    const s = this.sticky.get(topic);
    if (s === undefined || s.partition !== partition || s.count <= 1) return;
    let next = randomInt(s.count - 1);
    if (next >= partition) next++;
    s.partition = next;
  }
}

function randomInt(n: number): number {
  return Math.floor(Math.random() * n);
}

/** Checks a partition number given by the caller or a custom partitioner. */
export function checkPartition(topic: string, partition: unknown, partitionCount: number, path: string): number {
  if (!Number.isInteger(partition) || (partition as number) < 0 || (partition as number) >= partitionCount) {
    throw new RivuletError(
      'INVALID_ARGUMENT',
      `${path}: partition ${String(partition)} is not one of topic '${topic}''s ${partitionCount} partitions (0..${partitionCount - 1})`,
      { path },
    );
  }
  return partition as number;
}

/** Applies a custom partitioner and checks its answer. */
export function customPartition(
  fn: Partitioner,
  topic: string,
  partitionCount: number,
  key: Uint8Array | null,
  message: Message,
  path: string,
): number {
  return checkPartition(topic, fn({ topic, partitionCount, key, message }), partitionCount, path);
}
