/**
 * Writing a send()'s records into their batches, as Kafka's producer does: during send(), so the
 * caller may reuse its message objects and buffers as soon as send() returns. The records come as
 * columns (one array per field, filled by the producer from the checked messages): no object per
 * record waits for the garbage collector, which at 100 B records cost 12–16 % of the records/s.
 * They are written a run at a time (consecutive records bound for one partition) in one loop.
 *
 * Each run's bytes are added to their batch's CRC right after they are written, while in cache
 * (crc32c-combine.ts has why). A new batch's buffer comes from the producer's pool (batch-buffers.ts), sized for what the send()
 * still has for that partition, up to the batch size: a send() of many records fills its buffer
 * without growing it. A batch that later sends outgrow is moved to a larger buffer.
 */
import type { CompressionType } from '../protocol/compression.js';
import { measureRecord, type RecordInput, writeMeasuredRecord } from '../protocol/record-batch.js';
import { RECORDS_OFFSET } from '../protocol/record-batch-layout.js';
import type { Accumulator, OutgoingBatch, PartitionQueue, WireAcks } from './accumulator.js';

/** A send()'s records, checked (bytes.ts readMessage), one slot per record. */
export interface RecordColumns {
  keys: (Uint8Array | string | null)[];
  values: (Uint8Array | string | null)[];
  /** Undefined when no record has headers. */
  headers: RecordInput['headers'][] | undefined;
  stamps: Float64Array;
  /** About each record's size in a batch (for sizing buffers). */
  sizes: Float64Array;
  /** Filled here: the batch each record went to, and its index in that batch. */
  batches: OutgoingBatch[];
  indexes: Int32Array;
}

/**
 * Writes records [from, to) into `q`'s batches, in order, and stops after a record that completes
 * a batch (the sticky partition moves on then: the caller chooses again). Returns the index after
 * the last record written. `room` is about the bytes the send() has for `q` from `from` on.
 */
export function writeRun(
  acc: Accumulator,
  q: PartitionQueue,
  c: RecordColumns,
  from: number,
  to: number,
  room: number,
  acks: WireAcks,
  compression: CompressionType,
  now: number,
): number {
  let batch = acc.openBatch(q, acks, compression);
  const { keys, values, headers, stamps } = c;
  for (let i = from; i < to; i++) {
    const key = keys[i]!;
    const value = values[i]!;
    const h = headers?.[i];
    const ts = stamps[i]!;
    let completed = false;
    let size = 0;
    if (batch !== undefined) {
      size = measureRecord(key, value, h, ts - batch.baseTimestamp, batch.recordCount);
      if (batch.end + size > q.batchBytes) {
        batch.catchUpCrc();
        acc.seal(batch);
        batch = undefined;
        completed = true;
      }
    }
    if (batch === undefined) {
      size = measureRecord(key, value, h, 0, 0);
      const capacity = Math.max(
        RECORDS_OFFSET + size,
        Math.min(q.batchBytes, Math.max(RECORDS_OFFSET + room, q.lastBatchEnd)),
      );
      batch = acc.newBatch(q, acks, compression, now, ts, capacity);
    } else if (batch.end + size > batch.body!.length) {
      acc.grow(batch, batch.end + size, q.batchBytes);
    }
    batch.end = writeMeasuredRecord(batch.body!, batch.end, key, value, h, ts - batch.baseTimestamp, batch.recordCount);
    if (ts > batch.maxTimestamp) batch.maxTimestamp = ts;
    c.batches[i] = batch;
    c.indexes[i] = batch.recordCount++;
    batch.estimatedBytes = batch.end;
    room -= c.sizes[i]!;
    if (batch.end >= q.batchBytes) {
      batch.catchUpCrc();
      acc.seal(batch);
      completed = true;
    }
    if (completed) {
      batch.catchUpCrc();
      return i + 1;
    }
  }
  batch?.catchUpCrc();
  return to;
}
