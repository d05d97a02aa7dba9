/**
 * An assignment: topic → partition numbers. Values are sorted ascending, without duplicates, and a
 * topic with no partitions is absent, so two equal assignments have equal contents. Treated as
 * immutable: every helper returns a new map.
 */
import type { TopicPartitions } from '../protocol/apis/consumer-group-heartbeat.js';

export type Assignment = ReadonlyMap<string, readonly number[]>;

export const EMPTY_ASSIGNMENT: Assignment = new Map();

/** Builds an assignment from any topic → partitions listing (sorts, dedupes, drops empty topics). */
export function toAssignment(
  from: Iterable<readonly [string, Iterable<number>]> | Readonly<Record<string, Iterable<number>>>,
): Assignment {
  const entries: Iterable<readonly [string, Iterable<number>]> =
    Symbol.iterator in from
      ? (from as Iterable<readonly [string, Iterable<number>]>)
      : Object.entries(from as Record<string, Iterable<number>>);
  const acc = new Map<string, Set<number>>();
  for (const [topic, partitions] of entries) {
    let set = acc.get(topic);
    if (set === undefined) {
      set = new Set();
      acc.set(topic, set);
    }
    for (const p of partitions) set.add(p);
  }
  const out = new Map<string, number[]>();
  for (const topic of [...acc.keys()].sort()) {
    const ps = [...acc.get(topic)!].sort((a, b) => a - b);
    if (ps.length > 0) out.set(topic, ps);
  }
  return out;
}

export function fromTopicPartitions(list: readonly TopicPartitions[]): Assignment {
  return toAssignment(list.map((tp) => [tp.name, tp.partitions] as const));
}

export function toTopicPartitions(a: Assignment): TopicPartitions[] {
  return [...a].map(([name, partitions]) => ({ name, partitions: [...partitions] }));
}

export function assignmentSize(a: Assignment): number {
  let n = 0;
  for (const ps of a.values()) n += ps.length;
  return n;
}

export function hasPartition(a: Assignment, topic: string, partition: number): boolean {
  return a.get(topic)?.includes(partition) ?? false;
}

/** Keeps the partitions for which `keep` is true. */
export function filterAssignment(a: Assignment, keep: (topic: string, partition: number) => boolean): Assignment {
  const out = new Map<string, number[]>();
  for (const [topic, ps] of a) {
    const kept = ps.filter((p) => keep(topic, p));
    if (kept.length > 0) out.set(topic, kept);
  }
  return out;
}

export function union(a: Assignment, b: Assignment): Assignment {
  if (b.size === 0) return a;
  if (a.size === 0) return b;
  return toAssignment([...a, ...b]);
}

export function minus(a: Assignment, b: Assignment): Assignment {
  if (b.size === 0) return a;
  return filterAssignment(a, (t, p) => !hasPartition(b, t, p));
}

export function intersect(a: Assignment, b: Assignment): Assignment {
  return filterAssignment(a, (t, p) => hasPartition(b, t, p));
}

export function overlaps(a: Assignment, b: Assignment): boolean {
  for (const [topic, ps] of a) {
    const other = b.get(topic);
    if (other !== undefined && ps.some((p) => other.includes(p))) return true;
  }
  return false;
}

export function isSubset(a: Assignment, of: Assignment): boolean {
  for (const [topic, ps] of a) {
    const other = of.get(topic);
    if (other === undefined || ps.some((p) => !other.includes(p))) return false;
  }
  return true;
}

export function assignmentsEqual(a: Assignment, b: Assignment): boolean {
  return a.size === b.size && isSubset(a, b) && assignmentSize(a) === assignmentSize(b);
}

/** `topic-partition` pairs in order, for messages and tests. */
export function formatAssignment(a: Assignment): string {
  return [...a].map(([t, ps]) => `${t}:[${ps.join(',')}]`).join(' ') || '(none)';
}
