/**
 * RecordBatch v2 (magic 2), byte for byte as Kafka's `DefaultRecordBatch`, big-endian:
 *
 *   offset  size  field
 *        0     8  baseOffset            int64   stamped by the broker; outside the CRC
 *        8     4  batchLength           int32   bytes after this field (total = 12 + batchLength)
 *       12     4  partitionLeaderEpoch  int32   stamped by the broker; outside the CRC
 *       16     1  magic                 int8    = 2
 *       17     4  crc                   uint32  CRC-32C of bytes [21, end)
 *       21     2  attributes            int16   bits 0-2 compression · 3 timestampType (1 = LogAppendTime)
 *                                               · 4 transactional · 5 control · 6 delete horizon set
 *       23     4  lastOffsetDelta       int32
 *       27     8  baseTimestamp         int64
 *       35     8  maxTimestamp          int64
 *       43     8  producerId            int64   -1 when not idempotent
 *       51     2  producerEpoch         int16   -1 when not idempotent
 *       53     4  baseSequence          int32   -1 when not idempotent
 *       57     4  recordCount           int32
 *       61     …  records               (compressed as a whole when bits 0-2 ≠ 0)
 *
 * Each record:
 *   length varint (bytes after it) · attributes int8 (unused, 0) · timestampDelta varlong ·
 *   offsetDelta varint · keyLength varint (-1 = null) · key · valueLength varint (-1 = null) · value ·
 *   headerCount varint · headers: keyLength varint · key (UTF-8, never null) ·
 *   valueLength varint (-1 = null) · value
 */
import { RivuletError } from '../errors.js';

export const BASE_OFFSET_OFFSET = 0;
export const BATCH_LENGTH_OFFSET = 8;
export const PARTITION_LEADER_EPOCH_OFFSET = 12;
export const MAGIC_OFFSET = 16;
export const CRC_OFFSET = 17;
export const ATTRIBUTES_OFFSET = 21;
export const LAST_OFFSET_DELTA_OFFSET = 23;
export const BASE_TIMESTAMP_OFFSET = 27;
export const MAX_TIMESTAMP_OFFSET = 35;
export const PRODUCER_ID_OFFSET = 43;
export const PRODUCER_EPOCH_OFFSET = 51;
export const BASE_SEQUENCE_OFFSET = 53;
export const RECORD_COUNT_OFFSET = 57;
export const RECORDS_OFFSET = 61;

/** baseOffset + batchLength: the bytes not counted by batchLength. */
export const LOG_OVERHEAD = 12;
/** Bytes up to and including magic: enough to size a batch and tell its format. */
export const HEADER_SIZE_UP_TO_MAGIC = 17;
/** The fixed header of a batch, before its records. */
export const RECORD_BATCH_OVERHEAD = 61;
/** The smallest legal batchLength: a header with no records. */
export const MIN_BATCH_LENGTH = RECORD_BATCH_OVERHEAD - LOG_OVERHEAD;

export const MAGIC_V2 = 2;

export const COMPRESSION_CODEC_MASK = 0x07;
export const TIMESTAMP_TYPE_MASK = 0x08;
export const TRANSACTIONAL_FLAG_MASK = 0x10;
export const CONTROL_FLAG_MASK = 0x20;
export const DELETE_HORIZON_FLAG_MASK = 0x40;

export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;

const TWO_POW_32 = 0x100000000;
/** An int64's high word must lie in [-2^21, 2^21) for the value to be a safe integer. */
const SAFE_HIGH_WORD = 0x200000;

/** Writes a safe integer as a big-endian int64. */
export function setInt64(view: DataView, at: number, value: number): void {
  const hi = Math.floor(value / TWO_POW_32);
  view.setInt32(at, hi);
  view.setUint32(at + 4, value - hi * TWO_POW_32);
}

// Big-endian readers straight off the bytes: no DataView to allocate per call on the broker's
// hot path (readBatchHeader), and as fast as DataView once inlined.

export function readInt16(buf: Uint8Array, at: number): number {
  return ((buf[at]! << 24) | (buf[at + 1]! << 16)) >> 16;
}

export function readInt32(buf: Uint8Array, at: number): number {
  return (buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!;
}

export function readUint32(buf: Uint8Array, at: number): number {
  return readInt32(buf, at) >>> 0;
}

/**
 * Reads a big-endian int64 as a number. Throws CORRUPT_MESSAGE when it is outside ±2^53, where a
 * number no longer holds every integer; `what` names the field in the message.
 */
export function readInt64(buf: Uint8Array, at: number, what: string): number {
  const hi = readInt32(buf, at);
  if (hi >= SAFE_HIGH_WORD || hi < -SAFE_HIGH_WORD) {
    throw new RivuletError('CORRUPT_MESSAGE', `${what} at byte ${at} is an int64 outside ±2^53`);
  }
  return hi * TWO_POW_32 + readUint32(buf, at + 4);
}

/** A DataView over exactly the bytes of `buf` (which may be a Buffer or a subarray). */
export function viewOf(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}
