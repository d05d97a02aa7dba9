/**
 * Fetch (src/protocol/apis/fetch.ts), with long-poll. Answered at once when minBytes are there,
 * a partition has an error, maxWaitMs is 0 or the broker is closing; otherwise the fetch waits in
 * `FetchWaiters` until appends bring it its minBytes (woken by the produce path, no polling) or its
 * maxWaitMs passes, and then reads again.
 *
 * The answer is the header, then each partition's zero-copy views of the log as raw messages, in
 * one cork (`Connection.send`): nothing copies record bytes in JavaScript. While the client's
 * buffered bytes are over max-backpressure-bytes the answer waits for `drain` (and is read only
 * then), so a client that does not read cannot make the broker buffer more. The response is capped
 * at max-backpressure-bytes (or the request's maxBytes, if lower), except the first non-empty
 * partition's first batch, which always goes whole.
 */
import { RivuletError } from '../../errors.js';
import type { PartitionLog } from '../../log/partition-log.js';
import { Fetch, type FetchPartitionResponse, type FetchRequest } from '../../protocol/apis/fetch.js';
import { ErrorCodes } from '../../protocol/error-codes.js';
import { LOG_OVERHEAD, RECORD_COUNT_OFFSET, readInt32 } from '../../protocol/record-batch-layout.js';
import type { Connection } from '../connection.js';
import { type BrokerContext, defineHandler, type Reply, wireError } from '../context.js';
import type { FetchWaiter } from '../fetch-waiters.js';

/** Longest a fetch may wait for data, whatever it asks: bounds how long a request holds broker state. */
export const MAX_FETCH_WAIT_MS = 5 * 60_000;

interface Collected {
  topics: Array<{ name: string; partitions: FetchPartitionResponse[] }>;
  raws: Buffer[];
  /** Record bytes in raws, per topic. */
  bytesByTopic: Map<string, Buffer[]>;
  bytes: number;
  hasError: boolean;
  logs: PartitionLog[];
}

function failed(index: number, err: unknown, log: PartitionLog | undefined): FetchPartitionResponse {
  const w = wireError(err);
  const hw = log?.highWatermark ?? -1;
  return {
    index,
    errorCode: w.code,
    errorMessage: w.message,
    highWatermark: hw,
    lastStableOffset: hw,
    logStartOffset: log?.logStartOffset ?? -1,
    chunks: [],
    details: w.details ?? null,
  };
}

/** Reads what the fetch would get now. */
function collect(ctx: BrokerContext, req: FetchRequest, cap: number): Collected {
  const out: Collected = { topics: [], raws: [], bytesByTopic: new Map(), bytes: 0, hasError: false, logs: [] };
  for (const t of req.topics) {
    const topic = ctx.logs.topic(t.name);
    const partitions = t.partitions.map((p): FetchPartitionResponse => {
      const log = topic?.partitions[p.index];
      if (log === undefined) {
        out.hasError = true;
        const err = new RivuletError('UNKNOWN_TOPIC_OR_PARTITION', `unknown topic or partition ${t.name}/${p.index}`);
        return failed(p.index, err, undefined);
      }
      out.logs.push(log);
      const hw = log.highWatermark;
      const answer: FetchPartitionResponse = {
        index: p.index,
        errorCode: ErrorCodes.NONE,
        errorMessage: null,
        highWatermark: hw,
        lastStableOffset: hw,
        logStartOffset: log.logStartOffset,
        chunks: [],
        details: null,
      };
      const limit = Math.min(p.partitionMaxBytes, cap - out.bytes);
      if (limit <= 0 && out.bytes > 0) return answer;
      let views: Buffer[];
      try {
        if (p.fetchOffset < 0) {
          const details = { logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset };
          throw new RivuletError('OFFSET_OUT_OF_RANGE', `offset ${p.fetchOffset} is negative`, { details });
        }
        views = log.read(p.fetchOffset, Math.max(1, limit));
      } catch (err) {
        out.hasError = true;
        return failed(p.index, err, log);
      }
      let size = 0;
      for (const v of views) size += v.length;
      // Only the first non-empty partition may exceed its limit (by its one first batch).
      if (size === 0 || (out.bytes > 0 && size > limit)) return answer;
      answer.chunks = views.map((v) => v.length);
      out.raws.push(...views);
      out.bytes += size;
      const perTopic = out.bytesByTopic.get(t.name);
      if (perTopic === undefined) out.bytesByTopic.set(t.name, views);
      else perTopic.push(...views);
      return answer;
    });
    out.topics.push({ name: t.name, partitions });
  }
  return out;
}

function countRecords(views: readonly Buffer[]): number {
  let records = 0;
  for (const v of views) {
    for (let pos = 0; pos + RECORD_COUNT_OFFSET + 4 <= v.length; pos += LOG_OVERHEAD + readInt32(v, pos + 8)) {
      records += readInt32(v, pos + RECORD_COUNT_OFFSET);
    }
  }
  return records;
}

function handleFetch(
  ctx: BrokerContext,
  req: FetchRequest,
  reply: Reply,
  _payload: Uint8Array,
  conn: Connection,
): void {
  const cap = Math.max(0, Math.min(req.maxBytes, ctx.config.maxBackpressureBytes));

  const answer = () => {
    conn.whenWritable(() => {
      if (!conn.open) {
        reply.drop();
        return;
      }
      const c = collect(ctx, req, cap);
      for (const [topic, views] of c.bytesByTopic) {
        let bytes = 0;
        for (const v of views) bytes += v.length;
        ctx.metrics.fetched(topic, bytes, countRecords(views));
      }
      reply.send({ throttleTimeMs: 0, topics: c.topics }, c.raws);
    });
  };

  if (!conn.congested) {
    const first = collect(ctx, req, cap);
    const ready =
      first.hasError || first.bytes >= req.minBytes || req.maxWaitMs <= 0 || ctx.closing || first.logs.length === 0;
    if (!ready) {
      waitForData(ctx, req, conn, first, answer);
      return;
    }
  }
  answer();
}

/** Parks the fetch until appends bring its minBytes, its maxWaitMs passes, or the connection closes. */
function waitForData(
  ctx: BrokerContext,
  req: FetchRequest,
  conn: Connection,
  first: Collected,
  answer: () => void,
): void {
  let timer: NodeJS.Timeout | undefined;
  const onClose = () => {
    clearTimeout(timer);
    ctx.fetchWaiters.remove(waiter);
    answer(); // runs at once on a closed connection: drops the reply
  };
  const waiter: FetchWaiter = {
    missing: req.minBytes - first.bytes,
    wake() {
      clearTimeout(timer);
      conn.offClose(onClose);
      answer();
    },
  };
  timer = setTimeout(
    () => {
      ctx.fetchWaiters.remove(waiter);
      waiter.wake();
    },
    Math.min(req.maxWaitMs, MAX_FETCH_WAIT_MS),
  );
  ctx.fetchWaiters.add(waiter, first.logs);
  conn.onClose(onClose);
}

export const fetchHandler = defineHandler(Fetch, handleFetch);
