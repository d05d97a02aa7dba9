/**
 * One round of Fetch: a long-poll to each leader of the ready partitions, the answers checked
 * against what was asked, partition errors mapped (an out-of-range offset resets by policy).
 */
import { RivuletError } from '../errors.js';
import { Fetch, type FetchPartitionResponse } from '../protocol/apis/fetch.js';
import type { Cluster } from './cluster.js';
import type { Connection } from './connection.js';
import { type FetchedBatch, scanFetched } from './fetched-batch.js';
import type { PartitionState } from './partition-state.js';
import { corruptAt } from './record-decoding.js';
import { groupByLeader, groupTopics } from './request-grouping.js';
import type { RetryPolicy } from './retry.js';
import type { AutoOffsetReset } from './types.js';

export interface FetcherOptions {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  maxBytesPerPartition: number;
  autoOffsetReset: AutoOffsetReset;
  verifyCrc: boolean;
  retry: RetryPolicy;
  requestTimeoutMs: number;
}

/** Fetches `states` once; `isStopped` says the fetcher stopped while a long-poll was out. */
export async function fetchRound(
  cluster: Cluster,
  opts: FetcherOptions,
  states: PartitionState[],
  isStopped: () => boolean,
): Promise<FetchedBatch[]> {
  // Taken before any await: an assign() or seek() while the leaders are looked up must make
  // this round's answer for that partition stale, not pass it off as current data.
  const snapshot = new Map(states.map((s) => [s, { generation: s.generation, offset: s.fetchOffset }]));
  const byConn = await groupByLeader(cluster, states);
  const results = await Promise.all(
    [...byConn].map(([conn, list]) => fetchFrom(cluster, opts, conn, list, snapshot, isStopped)),
  );
  return results.flat();
}

async function fetchFrom(
  cluster: Cluster,
  opts: FetcherOptions,
  conn: Connection,
  all: PartitionState[],
  snapshot: Map<PartitionState, { generation: number; offset: number }>,
  isStopped: () => boolean,
): Promise<FetchedBatch[]> {
  const states = all.filter((s) => {
    const at = snapshot.get(s);
    return at !== undefined && at.generation === s.generation && at.offset === s.fetchOffset;
  });
  if (states.length === 0) return [];
  const asked = states.map((s) => ({ s, generation: s.generation, offset: s.fetchOffset }));
  const topics = groupTopics(states, (s) => ({
    index: s.partition,
    fetchOffset: s.fetchOffset,
    partitionMaxBytes: opts.maxBytesPerPartition,
  }));
  const { maxWaitMs, minBytes, maxBytes } = opts;
  const res = await conn.request(
    Fetch,
    { maxWaitMs, minBytes, maxBytes, isolationLevel: 0, topics },
    { timeoutMs: opts.requestTimeoutMs + maxWaitMs },
  );
  if (isStopped()) return [];
  const out: FetchedBatch[] = [];
  let raw = 0;
  let firstError: RivuletError | undefined;
  for (const t of res.body.topics) {
    for (const p of t.partitions) {
      const chunks = res.raws.slice(raw, raw + p.chunks.length);
      raw += p.chunks.length;
      const a = asked.find((x) => x.s.topic === t.name && x.s.partition === p.index);
      if (a === undefined || a.s.generation !== a.generation || a.s.fetchOffset !== a.offset) continue;
      if (p.errorCode !== 0) {
        const err = partitionError(cluster, opts, a.s, t.name, p);
        if (err !== undefined) firstError ??= err;
        continue;
      }
      a.s.highWatermark = p.highWatermark;
      const where = `${t.name}/${p.index} at offset ${a.offset}`;
      let batch: FetchedBatch | undefined;
      try {
        batch = scanFetched(a.s, a.generation, chunks, p.highWatermark, where, opts.verifyCrc);
      } catch (err) {
        throw corruptAt(where, `${t.name}/${p.index}`, err);
      }
      if (batch !== undefined) out.push(batch);
    }
  }
  // Partitions that answered are delivered; an error elsewhere makes the loop back off.
  if (firstError !== undefined && out.length === 0) throw firstError;
  return out;
}

/** Handles a partition's fetch error; returns the error when the loop should back off or stop. */
function partitionError(
  cluster: Cluster,
  opts: FetcherOptions,
  s: PartitionState,
  topic: string,
  p: FetchPartitionResponse,
): RivuletError | undefined {
  const err = RivuletError.fromWire(p.errorCode, p.errorMessage ?? undefined, `${topic}/${p.index}`, p.details ?? undefined);
  if (err.code === 'OFFSET_OUT_OF_RANGE') {
    const policy = opts.autoOffsetReset;
    if (policy === 'none') {
      return new RivuletError(
        'OFFSET_OUT_OF_RANGE',
        `${topic}/${p.index}: offset ${s.fetchOffset} is outside the log [${p.logStartOffset}, ${p.highWatermark}] and autoOffsetReset is 'none'`,
        { path: `${topic}/${p.index}`, details: { logStartOffset: p.logStartOffset, highWatermark: p.highWatermark } },
      );
    }
    s.reset(policy);
    return undefined;
  }
  cluster.onPartitionError(topic, err);
  return err;
}
