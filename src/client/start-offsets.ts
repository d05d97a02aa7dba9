/** Where each partition starts: a given offset as is, 'earliest' / 'latest' / a timestamp by ListOffsets. */
import { RivuletError } from '../errors.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from '../protocol/apis/common.js';
import { ListOffsets } from '../protocol/apis/list-offsets.js';
import type { Cluster } from './cluster.js';
import type { PartitionState } from './partition-state.js';
import { groupByLeader, groupTopics } from './request-grouping.js';
import type { OffsetSpec } from './types.js';

/**
 * Resolves every 'earliest' / 'latest' / timestamp start with ListOffsets. `states` is read again
 * on a retry, so it sees an assignment that changed meanwhile.
 */
export async function resolveStartOffsets(
  cluster: Cluster,
  states: ReadonlyMap<string, PartitionState>,
): Promise<void> {
  const pending = [...states.values()].filter((s) => s.fetchOffset < 0 && s.spec !== undefined);
  if (pending.length === 0) return;
  for (const s of pending) {
    if (typeof s.spec === 'number') setStart(s, s.spec);
  }
  const unresolved = pending.filter((s) => s.fetchOffset < 0);
  const generationOf = new Map(unresolved.map((s) => [s, s.generation])); // before any await
  const byConn = await groupByLeader(cluster, unresolved);
  let retry = false;
  for (const [conn, list] of byConn) {
    const generations = list.map((s) => generationOf.get(s));
    const topics = groupTopics(list, (s) => ({ index: s.partition, timestamp: timestampOf(s.spec!) }));
    const res = await conn.request(ListOffsets, { isolationLevel: 0, topics });
    for (const t of res.body.topics) {
      for (const p of t.partitions) {
        const i = list.findIndex((s) => s.topic === t.name && s.partition === p.index);
        const s = list[i];
        if (s === undefined || s.generation !== generations[i]) continue;
        if (p.errorCode !== 0) {
          const err = RivuletError.fromWire(p.errorCode, p.errorMessage ?? undefined, `${t.name}/${p.index}`);
          cluster.onPartitionError(t.name, err);
          throw err;
        }
        if (p.offset < 0) {
          s.spec = 'latest'; // no message at or after the timestamp yet: start at the end
          retry = true;
          continue;
        }
        const spec = s.spec;
        setStart(s, p.offset);
        if (typeof spec === 'object') s.skipBeforeTimestamp = spec.timestamp;
      }
    }
  }
  if (retry) await resolveStartOffsets(cluster, states);
}

function setStart(s: PartitionState, offset: number): void {
  s.fetchOffset = offset;
  s.position = offset;
  s.spec = undefined;
}

function timestampOf(spec: OffsetSpec): number {
  if (spec === 'earliest') return EARLIEST_TIMESTAMP;
  if (spec === 'latest') return LATEST_TIMESTAMP;
  if (typeof spec === 'object') return spec.timestamp;
  return spec;
}
