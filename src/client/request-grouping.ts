/** Partitions sorted into requests: one per leader's connection, its entries grouped by topic. */
import { RivuletError } from '../errors.js';
import type { Cluster } from './cluster.js';
import type { Connection } from './connection.js';
import type { PartitionState } from './partition-state.js';

export async function groupByLeader(
  cluster: Cluster,
  states: PartitionState[],
): Promise<Map<Connection, PartitionState[]>> {
  const out = new Map<Connection, PartitionState[]>();
  for (const s of states) {
    const meta = await cluster.topic(s.topic);
    const p = meta.partitions.find((x) => x.partition === s.partition);
    if (p === undefined) {
      cluster.invalidate(s.topic);
      throw new RivuletError('UNKNOWN_TOPIC_OR_PARTITION', `topic '${s.topic}' has no partition ${s.partition}`, {
        path: `${s.topic}/${s.partition}`,
      });
    }
    const conn = cluster.nodeConnection(p.leader);
    const list = out.get(conn);
    if (list === undefined) out.set(conn, [s]);
    else list.push(s);
  }
  return out;
}

export function groupTopics<T>(
  states: PartitionState[],
  entry: (s: PartitionState) => T,
): { name: string; partitions: T[] }[] {
  const byTopic = new Map<string, T[]>();
  for (const s of states) {
    const list = byTopic.get(s.topic);
    if (list === undefined) byTopic.set(s.topic, [entry(s)]);
    else list.push(entry(s));
  }
  return [...byTopic].map(([name, partitions]) => ({ name, partitions }));
}
