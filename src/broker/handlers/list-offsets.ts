/**
 * ListOffsets (src/protocol/apis/list-offsets.ts): -1 latest (the high watermark), -2 earliest
 * (the log start), otherwise the first batch whose maxTimestamp ≥ timestamp, answered with that
 * batch's base offset and maxTimestamp (offset and timestamp -1 when there is none).
 */
import { RivuletError } from '../../errors.js';
import type { PartitionLog } from '../../log/partition-log.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from '../../protocol/apis/common.js';
import { ListOffsets, type ListOffsetsRequest } from '../../protocol/apis/list-offsets.js';
import { ErrorCodes } from '../../protocol/error-codes.js';
import { readBatchHeader } from '../../protocol/record-batch.js';
import { type BrokerContext, defineHandler, type Reply, wireError } from '../context.js';

const NONE = -1;

function lookup(log: PartitionLog, timestamp: number): { offset: number; timestamp: number } {
  if (timestamp === LATEST_TIMESTAMP) return { offset: log.highWatermark, timestamp: NONE };
  if (timestamp === EARLIEST_TIMESTAMP) return { offset: log.logStartOffset, timestamp: NONE };
  if (timestamp < 0) {
    throw new RivuletError('INVALID_REQUEST', `timestamp ${timestamp}: use -1 (latest), -2 (earliest) or a time in ms`);
  }
  const offset = log.offsetForTimestamp(timestamp);
  if (offset === null) return { offset: NONE, timestamp: NONE };
  const view = log.read(offset, 1)[0];
  return { offset, timestamp: view === undefined ? NONE : readBatchHeader(view, 0).maxTimestamp };
}

function handleListOffsets(ctx: BrokerContext, req: ListOffsetsRequest, reply: Reply): void {
  const topics = req.topics.map((t) => {
    const topic = ctx.logs.topic(t.name);
    const partitions = t.partitions.map((p) => {
      try {
        const log = topic?.partitions[p.index];
        if (log === undefined) {
          throw new RivuletError('UNKNOWN_TOPIC_OR_PARTITION', `unknown topic or partition ${t.name}/${p.index}`);
        }
        return { index: p.index, errorCode: ErrorCodes.NONE, errorMessage: null, ...lookup(log, p.timestamp) };
      } catch (err) {
        const w = wireError(err);
        return { index: p.index, errorCode: w.code, errorMessage: w.message, timestamp: NONE, offset: NONE };
      }
    });
    return { name: t.name, partitions };
  });
  reply.send({ topics });
}

export const listOffsetsHandler = defineHandler(ListOffsets, handleListOffsets);
