/**
 * Writing a send()'s records into their batches, as Kafka's producer does: during send(), so the
 * caller may reuse its message objects and buffers as soon as send() returns. The records come as
 * columns (one array per field, filled by the producer from the checked messages): no object per
 * record waits for the garbage collector, which at 100 B records cost 12–16 % of the records/s.
 * They are written a run at a time (consecutive records bound for one partition) in one loop.
 * Records without headers are sized and written inline, strings taken for ASCII (and written again
 * by the general path, record-batch-encode.ts, when they are not).
 *
 * A batch's CRC is brought up to date every 64 KiB or so of records, right after they are written,
 * while in cache (crc32c-combine.ts has why). A new batch's buffer comes from the producer's pool
 * (batch-buffers.ts), sized for what the send() still has for that partition, or as large as the
 * partition's last batch grew, up to the batch size: a send() of many records, or a steady stream
 * of them, fills its buffer without growing it. A batch that later sends outgrow is moved to a
 * buffer several times larger.
 */
import type { CompressionType } from '../protocol/compression.js';
import { measureRecord, type RecordInput, writeBytes, writeMeasuredRecord } from '../protocol/record-batch.js';
import { RECORDS_OFFSET } from '../protocol/record-batch-layout.js';
import { encodeVarint, encodeVarlong, sizeOfVarint, sizeOfVarlong } from '../protocol/varint.js';
import type { Accumulator, OutgoingBatch, PartitionQueue, WireAcks } from './accumulator.js';

/** Bytes written and not yet CRC'd after which a run brings its batch's CRC up to date: well within a core's L2. */
const CRC_SPAN = 64 * 1024;

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
 * Writes records order[from], …, order[to - 1] into `q`'s batches, in that order, and stops after a
 * record that completes a batch (the sticky partition moves on then: the caller chooses again).
 * Returns the position in `order` after the last record written. `room` is about the bytes the
 * send() has for `q` from `from` on.
 */
export function writeRun(
  acc: Accumulator,
  q: PartitionQueue,
  c: RecordColumns,
  order: Int32Array,
  from: number,
  to: number,
  room: number,
  acks: WireAcks,
  compression: CompressionType,
  now: number,
): number {
  let batch = acc.openBatch(q, acks, compression);
  const { keys, values, headers, stamps } = c;
  // A record whose ASCII guess failed goes again by the general path (keeping whether it completed a batch).
  let retried = false;
  let completedBefore = false;
  for (let k = from; k < to; k++) {
    const i = order[k]!;
    const key = keys[i]!;
    const value = values[i]!;
    const h = headers?.[i];
    const ts = stamps[i]!;
    // No headers, key and value bytes, null or strings taken for ASCII (one byte a character):
    // what most records are, sized and written inline. Anything else goes the general path.
    const inline = !retried && h === undefined && isInlineField(key) && isInlineField(value);
    const keyBytes = inline ? fieldLength(key) : 0;
    const valueBytes = inline ? fieldLength(value) : 0;
    let completed: boolean = completedBefore;
    retried = false;
    completedBefore = false;
    let size = 0;
    if (batch !== undefined) {
      size = inline
        ? inlineSize(keyBytes, valueBytes, ts - batch.baseTimestamp, batch.recordCount)
        : measureRecord(key, value, h, ts - batch.baseTimestamp, batch.recordCount);
      if (batch.recordCount > 0 && batch.end + size > q.batchBytes) {
        batch.catchUpCrc();
        acc.seal(batch);
        batch = undefined;
        completed = true;
      }
    }
    if (batch === undefined) {
      size = inline ? inlineSize(keyBytes, valueBytes, 0, 0) : measureRecord(key, value, h, 0, 0);
      // acks=0 buffers are not pooled (never answered): sized for this send() only.
      const last = acks === 0 ? 0 : q.lastBatchEnd;
      const capacity = Math.max(RECORDS_OFFSET + size, Math.min(q.batchBytes, Math.max(RECORDS_OFFSET + room, last)));
      batch = acc.newBatch(q, acks, compression, now, ts, capacity);
    } else if (batch.end + size > batch.body!.length) {
      acc.grow(batch, batch.end + size, q.batchBytes);
    }
    const delta = ts - batch.baseTimestamp;
    const end = inline
      ? writeInline(batch.body!, batch.end, key, value, delta, batch.recordCount)
      : writeMeasuredRecord(batch.body!, batch.end);
    if (end < 0) {
      // Not ASCII after all: this record again, by the general path.
      retried = true;
      completedBefore = completed;
      k--;
      continue;
    }
    batch.end = end;
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
    if (completed) return k + 1;
  }
  // In spans, not per run: a run of one keyed record would pay a CRC call per record.
  if (batch !== undefined && batch.end - batch.crcEnd >= CRC_SPAN) batch.catchUpCrc();
  return to;
}

/**
 * From this many characters a string is written by TextEncoder.encodeInto straight into the
 * batch; shorter ones by a loop that checks each character is ASCII as it writes it.
 */
const ENCODE_INTO_FROM = 32;
/** The body length {@link inlineSize} found, for {@link writeInline}. */
let inlineBody = 0;
const utf8 = new TextEncoder();

type Field = Uint8Array | string | null;

function isInlineField(v: unknown): v is Field {
  return v === null || typeof v === 'string' || v instanceof Uint8Array;
}

/** Bytes of a field as written inline (-1: null); a string is taken for ASCII. */
function fieldLength(v: Field): number {
  return v === null ? -1 : v.length;
}

/**
 * Size (length prefix included) of a record without headers whose key and value take
 * `keyBytes` and `valueBytes` (-1: null); {@link writeInline} writes it next.
 */
function inlineSize(keyBytes: number, valueBytes: number, timestampDelta: number, offsetDelta: number): number {
  inlineBody =
    2 + // attributes, headerCount 0
    sizeOfVarlong(timestampDelta) +
    sizeOfVarint(offsetDelta) +
    sizeOfVarint(keyBytes) +
    Math.max(0, keyBytes) +
    sizeOfVarint(valueBytes) +
    Math.max(0, valueBytes);
  return sizeOfVarint(inlineBody) + inlineBody;
}

/**
 * Writes the record {@link inlineSize} just sized at `pos`; returns its end, or -1 when a string
 * turned out not to be ASCII (more bytes than characters): nothing past `pos` counts then.
 */
function writeInline(
  out: Uint8Array,
  pos: number,
  key: Field,
  value: Field,
  timestampDelta: number,
  offsetDelta: number,
): number {
  pos = encodeVarint(inlineBody, out, pos);
  out[pos++] = 0; // attributes
  pos = encodeVarlong(timestampDelta, out, pos);
  pos = encodeVarint(offsetDelta, out, pos);
  pos = writeField(key, out, pos);
  if (pos < 0) return -1;
  pos = writeField(value, out, pos);
  if (pos < 0) return -1;
  out[pos++] = 0; // headerCount
  return pos;
}

/** A field with its length prefix; -1 for a string that is not ASCII. */
function writeField(v: Field, out: Uint8Array, pos: number): number {
  if (v === null) {
    out[pos] = 1; // length -1
    return pos + 1;
  }
  if (typeof v !== 'string') return writeBytes(v, out, pos);
  const n = v.length;
  pos = encodeVarint(n, out, pos);
  if (n >= ENCODE_INTO_FROM) {
    const { read, written } = utf8.encodeInto(v, out.subarray(pos, pos + n));
    return read === n && written === n ? pos + n : -1;
  }
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c >= 0x80) return -1;
    out[pos + i] = c;
  }
  return pos + n;
}
