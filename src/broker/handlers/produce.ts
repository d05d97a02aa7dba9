/**
 * Produce (src/protocol/apis/produce.ts). The payload is a view into uWS's message buffer, valid
 * only during this call: every partition is validated and appended synchronously, straight from
 * it (the one copy is the log's, into the mapping). Only the answer may wait:
 * - acks=0: no answer; acks=1: answered after the append;
 * - acks=-1 with `--flush ack`: answered once PartitionLog.sync() (group commit, off the event
 *   loop) covers every partition written; with `interval:<ms>` or `os`, after the append (the
 *   flush policy, not the request, decides when data reaches the disk, as in Kafka's default).
 *
 * Per partition, in order: topic (auto-created if allowed), partition, batch headers (magic,
 * lengths), idempotence (producer id, epoch, sequences from the headers), then the append, which
 * checks max.message.bytes and every CRC before writing anything. Internal topics (`__*`, e.g.
 * `__consumer_offsets`) are written by the broker only: INVALID_TOPIC_EXCEPTION, as in Kafka.
 */
import { RivuletError } from '../../errors.js';
import type { TopicLog } from '../../log/log-manager.js';
import type { PartitionLog } from '../../log/partition-log.js';
import { topicNameProblem } from '../../log/topic-name.js';
import { Produce, type ProducePartitionResponse, type ProduceRequest } from '../../protocol/apis/produce.js';
import { readBatchHeader } from '../../protocol/record-batch.js';
import { LOG_OVERHEAD } from '../../protocol/record-batch-layout.js';
import type { Connection } from '../connection.js';
import { type BrokerContext, defineHandler, type Reply, wireError } from '../context.js';
import { refuseInternalTopic } from '../group/internal-topics.js';
import { topicsChanged } from '../group/topic-changes.js';
import { addSequence } from '../producer-state.js';

const ACKS_NONE = 0;
const ACKS_ALL = -1;

/** What the batch headers of one partition's bytes say. */
interface BatchRun {
  records: number;
  producerId: number;
  epoch: number;
  firstSeq: number;
  lastSeq: number;
}

function partitionError(index: number, err: unknown, logStartOffset = -1): ProducePartitionResponse {
  const w = wireError(err);
  return {
    index,
    errorCode: w.code,
    errorMessage: w.message,
    baseOffset: -1,
    logAppendTimeMs: -1,
    logStartOffset,
    details: w.details ?? null,
  };
}

/** Reads every batch header of `buf[start, end)`: sizes, record count, producer fields. */
function readRun(buf: Uint8Array, start: number, end: number): BatchRun {
  if (start === end) throw new RivuletError('CORRUPT_MESSAGE', 'no record batch for this partition');
  const run: BatchRun = { records: 0, producerId: -1, epoch: -1, firstSeq: -1, lastSeq: -1 };
  for (let pos = start, i = 0; pos < end; i++) {
    const h = readBatchHeader(buf, pos);
    const size = LOG_OVERHEAD + h.batchLength;
    if (pos + size > end) {
      throw new RivuletError('CORRUPT_MESSAGE', `batch ${i} claims ${size} bytes, only ${end - pos} are left`);
    }
    run.records += h.recordCount;
    if (i === 0) {
      run.producerId = h.producerId;
      run.epoch = h.producerEpoch;
      run.firstSeq = h.baseSequence;
    } else if (h.producerId !== run.producerId || h.producerEpoch !== run.epoch) {
      throw new RivuletError(
        'INVALID_RECORD',
        `batch ${i} comes from another producer than batch 0 of the same partition`,
      );
    } else if (run.producerId >= 0 && h.baseSequence !== addSequence(run.lastSeq, 1)) {
      throw new RivuletError(
        'OUT_OF_ORDER_SEQUENCE_NUMBER',
        `batch ${i} sequence ${h.baseSequence} does not follow ${run.lastSeq}`,
        {
          details: {
            producerId: run.producerId,
            sequence: h.baseSequence,
            expectedSequence: addSequence(run.lastSeq, 1),
          },
        },
      );
    }
    run.lastSeq = run.producerId >= 0 ? addSequence(h.baseSequence, h.lastOffsetDelta) : -1;
    pos += size;
  }
  return run;
}

/** Resolves (auto-creating if allowed) the topic of a produce; throws the error its partitions get. */
function produceTopic(ctx: BrokerContext, name: string): TopicLog {
  refuseInternalTopic(name, 'produce to');
  const existing = ctx.logs.topic(name);
  if (existing !== undefined) return existing;
  const problem = topicNameProblem(name);
  if (problem !== null) throw new RivuletError('INVALID_TOPIC_EXCEPTION', `invalid topic name: ${problem}`);
  if (!ctx.config.autoCreateTopics) {
    throw new RivuletError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${name} does not exist (auto-create-topics is off)`);
  }
  const created = ctx.logs.createTopic(name, ctx.config.numPartitions);
  topicsChanged(ctx);
  return created;
}

/** Appends one partition's bytes; returns its answer and the log when it must be synced. */
function appendPartition(
  ctx: BrokerContext,
  topic: TopicLog,
  index: number,
  buf: Uint8Array,
  start: number,
  length: number,
  appended: Map<PartitionLog, number>,
): { response: ProducePartitionResponse; log: PartitionLog | null } {
  const log = topic.partitions[index];
  if (log === undefined) {
    const err = new RivuletError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${topic.name} has no partition ${index}`);
    return { response: partitionError(index, err), log: null };
  }
  try {
    const run = readRun(buf, start, start + length);
    const producers = run.producerId >= 0 ? ctx.producers : null;
    if (producers !== null) {
      const currentEpoch = producers.currentEpoch(run.producerId);
      const check = producers.of(log).check(run.producerId, run.epoch, run.firstSeq, run.lastSeq, currentEpoch);
      if (check.kind === 'duplicate') {
        const response = {
          index,
          errorCode: 0,
          errorMessage: null,
          baseOffset: check.baseOffset,
          logAppendTimeMs: -1,
          logStartOffset: log.logStartOffset,
          details: null,
        };
        return { response, log };
      }
    }
    const r = log.append(buf, start, length);
    producers?.appended(log, run.producerId, run.epoch, run.firstSeq, run.lastSeq, r.baseOffset);
    ctx.metrics.produced(topic.name, length, run.records);
    appended.set(log, (appended.get(log) ?? 0) + length);
    const response = {
      index,
      errorCode: 0,
      errorMessage: null,
      baseOffset: r.baseOffset,
      logAppendTimeMs: r.appendTime,
      logStartOffset: log.logStartOffset,
      details: null,
    };
    return { response, log };
  } catch (err) {
    return { response: partitionError(index, err, log.logStartOffset), log: null };
  }
}

/** Request-level refusals: sizes that do not add up, or a connection over its in-flight bound. */
function checkRequest(req: ProduceRequest, payload: Uint8Array, conn: Connection, limit: number): RivuletError | null {
  let total = 0;
  for (let ti = 0; ti < req.topics.length; ti++) {
    const partitions = req.topics[ti]!.partitions;
    for (let pi = 0; pi < partitions.length; pi++) {
      const bytes = partitions[pi]!.bytes;
      if (bytes < 0) {
        const path = `topics/${ti}/partitions/${pi}/bytes`;
        return new RivuletError('INVALID_REQUEST', `${path}: must not be negative`, { path });
      }
      total += bytes;
    }
  }
  if (total !== payload.length) {
    return new RivuletError(
      'INVALID_REQUEST',
      `the body lists ${total} record bytes, the payload holds ${payload.length}`,
    );
  }
  if (conn.inflightProduceBytes > 0 && conn.inflightProduceBytes + total > limit) {
    return new RivuletError(
      'THROTTLING_QUOTA_EXCEEDED',
      `${conn.inflightProduceBytes} produce bytes of this connection await their answer; the limit is ${limit}`,
      { details: { inflightBytes: conn.inflightProduceBytes, limit } },
    );
  }
  return null;
}

function handleProduce(
  ctx: BrokerContext,
  req: ProduceRequest,
  reply: Reply,
  payload: Uint8Array,
  conn: Connection,
): void | Promise<void> {
  const refusal = checkRequest(req, payload, conn, ctx.config.maxInflightBytesPerConnection);
  if (refusal !== null) {
    // acks=0 never gets an answer, not even this one (as in Kafka, the producer does not wait).
    if (req.acks === ACKS_NONE) reply.drop(refusal.errorNumber);
    else reply.fail(refusal);
    return;
  }
  const total = payload.length;

  const appended = new Map<PartitionLog, number>();
  const toSync = new Map<PartitionLog, ProducePartitionResponse[]>();
  let pos = 0;
  const topics = req.topics.map((t) => {
    let topic: TopicLog | null = null;
    let topicError: unknown = null;
    try {
      topic = produceTopic(ctx, t.name);
    } catch (err) {
      topicError = err;
    }
    const partitions = t.partitions.map((p) => {
      const start = pos;
      pos += p.bytes;
      if (topic === null) return partitionError(p.index, topicError);
      const { response, log } = appendPartition(ctx, topic, p.index, payload, start, p.bytes, appended);
      if (log !== null) toSync.set(log, [...(toSync.get(log) ?? []), response]);
      return response;
    });
    return { name: t.name, partitions };
  });
  for (const [log, bytes] of appended) ctx.fetchWaiters.appended(log, bytes);

  if (req.acks === ACKS_NONE) {
    reply.drop();
    return;
  }
  if (req.acks !== ACKS_ALL || ctx.flush.mode !== 'ack' || toSync.size === 0) {
    reply.send({ topics });
    return;
  }
  return awaitSync(toSync, conn, total).then(() => reply.send({ topics }));
}

/** acks=all under `--flush ack`: waits for the group commit of every partition written. */
async function awaitSync(
  toSync: Map<PartitionLog, ProducePartitionResponse[]>,
  conn: Connection,
  bytes: number,
): Promise<void> {
  conn.inflightProduceBytes += bytes;
  try {
    const logs = [...toSync.keys()];
    const results = await Promise.allSettled(logs.map((log) => log.sync()));
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') return;
      for (const response of toSync.get(logs[i]!)!) Object.assign(response, partitionError(response.index, r.reason));
    });
  } finally {
    conn.inflightProduceBytes -= bytes;
  }
}

export const produceHandler = defineHandler(Produce, handleProduce);
