/** Sets of topic-partitions as the group code handles them: string keys, converted at the edges. */
import type { TopicPartitions as WireTopicPartitions } from '../../protocol/apis/consumer-group-heartbeat.js';

export interface TopicPartition {
  topic: string;
  partition: number;
}

const SEP = '\u0000';

export function tpKey(topic: string, partition: number): string {
  return `${topic}${SEP}${partition}`;
}

export function fromKey(key: string): TopicPartition {
  const i = key.lastIndexOf(SEP);
  return { topic: key.slice(0, i), partition: Number(key.slice(i + 1)) };
}

/** The wire listing ([{ name, partitions }]) as a set of keys. */
export function keysOf(list: readonly WireTopicPartitions[]): Set<string> {
  const out = new Set<string>();
  for (const t of list) for (const p of t.partitions) out.add(tpKey(t.name, p));
  return out;
}

/** Keys as the wire listing, topics and partitions sorted. */
export function toWire(keys: Iterable<string>): WireTopicPartitions[] {
  const byTopic = new Map<string, number[]>();
  for (const k of keys) {
    const { topic, partition } = fromKey(k);
    const list = byTopic.get(topic);
    if (list === undefined) byTopic.set(topic, [partition]);
    else list.push(partition);
  }
  return [...byTopic.keys()].sort().map((name) => ({ name, partitions: byTopic.get(name)!.sort((a, b) => a - b) }));
}

/** Keys as a sorted list of { topic, partition } (what the partition events carry). */
export function toList(keys: Iterable<string>): TopicPartition[] {
  return toWire(keys).flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
}

export function minus(a: ReadonlySet<string>, b: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  for (const k of a) if (!b.has(k)) out.add(k);
  return out;
}

export function sameKeys(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const k of a) if (!b.has(k)) return false;
  return true;
}
