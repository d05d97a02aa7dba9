/**
 * The last step of encoding a RecordBatch v2 (layout in `record-batch-layout.ts`): with the records
 * written at RECORDS_OFFSET, compress them if asked, then write the header and the CRC. Shared by
 * `encodeRecordBatch` (all records at once) and the producer's batches, written record by record
 * as they are sent (`measureRecord` / `writeMeasuredRecord`).
 */
import { RivuletError } from '../errors.js';
import { COMPRESSION_IDS, type CompressionType, compress } from './compression.js';
import { crc32c } from './crc32c.js';
import { crc32cCombine } from './crc32c-combine.js';
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_LENGTH_OFFSET,
  CRC_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAGIC_V2,
  MAX_TIMESTAMP_OFFSET,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RECORD_COUNT_OFFSET,
  RECORDS_OFFSET,
  setInt64,
  TRANSACTIONAL_FLAG_MASK,
  viewOf,
} from './record-batch-layout.js';

export interface BatchOptions {
  /** Written as given; the broker stamps the real one on append. Default 0. */
  baseOffset?: number;
  /** Default -1; the broker stamps it. */
  partitionLeaderEpoch?: number;
  /** Default -1 (not idempotent). */
  producerId?: number;
  /** Default -1. */
  producerEpoch?: number;
  /** Default -1. */
  baseSequence?: number;
  /** Default 'none'. */
  compression?: CompressionType;
  /** The timestamp of records that have none. Default `Date.now()`, read once per batch. */
  timestamp?: number;
  isTransactional?: boolean;
  /**
   * Where the batch is written: returns a buffer of at least `size` bytes, of which the batch is
   * a view of the first `size` (every one of them written, so the buffer may be reused). Default:
   * a new Uint8Array. With compression, only the compressed batch is written there.
   */
  allocate?: (size: number) => Uint8Array;
}

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
const INT16_MIN = -0x8000;
const INT16_MAX = 0x7fff;

export function invalid(message: string, path: string): RivuletError {
  return new RivuletError('INVALID_ARGUMENT', `${path}: ${message}`, { path });
}

/** A batch's header fields other than its records', checked once (see BatchOptions). */
export interface HeaderFields {
  baseOffset: number;
  leaderEpoch: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  codecId: number;
}

export function headerFields(opts: BatchOptions): HeaderFields {
  const compression = opts.compression ?? 'none';
  const codecId = Object.hasOwn(COMPRESSION_IDS, compression) ? COMPRESSION_IDS[compression] : undefined;
  if (codecId === undefined) {
    throw new RivuletError('UNSUPPORTED_COMPRESSION_TYPE', `unknown compression type '${String(compression)}'`);
  }
  return {
    baseOffset: checkSafeInteger(opts.baseOffset ?? 0, 'baseOffset'),
    leaderEpoch: checkInt(
      opts.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH,
      INT32_MIN,
      INT32_MAX,
      'partitionLeaderEpoch',
    ),
    producerId: checkSafeInteger(opts.producerId ?? NO_PRODUCER_ID, 'producerId'),
    producerEpoch: checkInt(opts.producerEpoch ?? NO_PRODUCER_EPOCH, INT16_MIN, INT16_MAX, 'producerEpoch'),
    baseSequence: checkInt(opts.baseSequence ?? NO_SEQUENCE, INT32_MIN, INT32_MAX, 'baseSequence'),
    codecId,
  };
}

/** The first `size` bytes of what `allocate` gives. */
export function allocated(allocate: (size: number) => Uint8Array, size: number): Uint8Array {
  const buf = allocate(size);
  if (!(buf instanceof Uint8Array) || buf.length < size) {
    throw new RangeError(`allocate(${size}) must return a Uint8Array of at least ${size} bytes`);
  }
  return buf.length === size ? buf : buf.subarray(0, size);
}

function checkInt(value: number, min: number, max: number, name: string): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalid(`must be an integer in [${min}, ${max}], got ${value}`, name);
  }
  return value;
}

export function checkSafeInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value)) throw invalid(`must be an integer within ±(2^53 − 1), got ${value}`, name);
  return value;
}

/** What {@link sealRecordBatch} needs of the records already written. */
export interface WrittenRecords {
  /** Records written, from RECORDS_OFFSET up to `end`. */
  count: number;
  end: number;
  baseTimestamp: number;
  maxTimestamp: number;
  /**
   * The CRC-32C of the records' bytes, [RECORDS_OFFSET, end), when the writer computed it as it
   * went (while they were in cache): combined with the header's, not read again. Ignored when
   * the records are compressed here.
   */
  crc?: number;
}

/**
 * Completes a batch whose `records.count` records sit at [RECORDS_OFFSET, records.end) of `out`:
 * compresses them when `opts.compression` says so (into a buffer from `opts.allocate`), then writes
 * the header and the CRC. Uncompressed, the batch is `out` up to `end`, header written in place.
 */
export function sealRecordBatch(out: Uint8Array, records: WrittenRecords, opts: BatchOptions = {}): Uint8Array {
  return seal(out, records, headerFields(opts), opts);
}

export function seal(out: Uint8Array, r: WrittenRecords, h: HeaderFields, opts: BatchOptions): Uint8Array {
  if (r.count === 0) throw invalid('a batch needs at least one record', 'records');
  let batch = out.length === r.end ? out : out.subarray(0, r.end);
  if (h.codecId !== 0) {
    const packed = compress(opts.compression!, out.subarray(RECORDS_OFFSET, r.end));
    const packedSize = RECORD_BATCH_OVERHEAD + packed.length;
    batch = opts.allocate === undefined ? new Uint8Array(packedSize) : allocated(opts.allocate, packedSize);
    batch.set(packed, RECORDS_OFFSET);
  }
  // The header, then the CRC over [attributes, end).
  const view = viewOf(batch);
  setInt64(view, BASE_OFFSET_OFFSET, h.baseOffset);
  view.setInt32(BATCH_LENGTH_OFFSET, batch.length - LOG_OVERHEAD);
  view.setInt32(PARTITION_LEADER_EPOCH_OFFSET, h.leaderEpoch);
  batch[MAGIC_OFFSET] = MAGIC_V2;
  view.setInt16(ATTRIBUTES_OFFSET, h.codecId | (opts.isTransactional ? TRANSACTIONAL_FLAG_MASK : 0));
  view.setInt32(LAST_OFFSET_DELTA_OFFSET, r.count - 1);
  setInt64(view, BASE_TIMESTAMP_OFFSET, r.baseTimestamp);
  setInt64(view, MAX_TIMESTAMP_OFFSET, r.maxTimestamp);
  setInt64(view, PRODUCER_ID_OFFSET, h.producerId);
  view.setInt16(PRODUCER_EPOCH_OFFSET, h.producerEpoch);
  view.setInt32(BASE_SEQUENCE_OFFSET, h.baseSequence);
  view.setInt32(RECORD_COUNT_OFFSET, r.count);
  const crc =
    r.crc === undefined || h.codecId !== 0
      ? crc32c(batch, 0, ATTRIBUTES_OFFSET, batch.length)
      : crc32cCombine(crc32c(batch, 0, ATTRIBUTES_OFFSET, RECORDS_OFFSET), r.crc, r.end - RECORDS_OFFSET);
  view.setUint32(CRC_OFFSET, crc);
  return batch;
}
