/**
 * Kafka's default partitioner: a keyed record goes to `toPositive(murmur2(key)) % partitions`
 * (the same partition the Java client picks); a keyless one goes to the topic's sticky partition,
 * which changes only when a batch for it is completed (KIP-480), so keyless records fill whole
 * batches instead of many small ones.
 */
import { RivuletError } from '../errors.js';
import { defaultPartition, murmur2, toPositive } from '../protocol/murmur2.js';
import type { Message, Partitioner } from './types.js';

export class StickyPartitioner {
  /** Per topic: the sticky partition and the partition count it was chosen among. */
  private readonly sticky = new Map<string, { partition: number; count: number }>();

  /** The partition of a record of `topic`: keyed by murmur2 of the key's UTF-8 bytes, or the sticky one. */
  partition(topic: string, partitionCount: number, key: Uint8Array | string | null): number {
    if (typeof key === 'string') return toPositive(murmur2String(key)) % partitionCount;
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

const utf8 = new TextEncoder();
const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/**
 * murmur2 of a string's UTF-8 bytes without encoding them when the string is ASCII (one byte per
 * char): the same hash as `murmur2(utf8(s))`, which is the fallback for any other string.
 */
export function murmur2String(s: string): number {
  const length = s.length;
  for (let i = 0; i < length; i++) if (s.charCodeAt(i) > 0x7f) return murmur2(utf8.encode(s));
  let h = (SEED ^ length) | 0;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & 3;
  if (tail === 3) h ^= s.charCodeAt(blocks + 2) << 16;
  if (tail >= 2) h ^= s.charCodeAt(blocks + 1) << 8;
  if (tail >= 1) {
    h ^= s.charCodeAt(blocks);
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
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

/** Applies a custom partitioner (it gets the key as bytes) and checks its answer. */
export function customPartition(
  fn: Partitioner,
  topic: string,
  partitionCount: number,
  key: Uint8Array | string | null,
  message: Message,
  path: string,
): number {
  const bytes = typeof key === 'string' ? utf8.encode(key) : key;
  return checkPartition(topic, fn({ topic, partitionCount, key: bytes, message }), partitionCount, path);
}
