/**
 * RecordBatch v2 decoder (layout in `record-batch-layout.ts`). Decoding only decodes: it checks
 * what the bytes say about themselves (sizes, magic, CRC, varints, that every record ends where
 * its length says) and throws CORRUPT_MESSAGE naming what and where; it does not judge offsets,
 * sequences or timestamps. Keys and values of uncompressed batches are views into the input, not
 * copies: they stay valid only as long as the caller keeps those bytes unchanged.
 */
import { type CompressionType, compressionName, decompress } from './compression.js';
import { crc32c } from './crc32c.js';
import type { RecordHeader } from './record-batch-encode.js';
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_LENGTH_OFFSET,
  COMPRESSION_CODEC_MASK,
  CONTROL_FLAG_MASK,
  CRC_OFFSET,
  HEADER_SIZE_UP_TO_MAGIC,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAGIC_V2,
  MAX_TIMESTAMP_OFFSET,
  MIN_BATCH_LENGTH,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RECORD_COUNT_OFFSET,
  RECORDS_OFFSET,
  readInt16,
  readInt32,
  readInt64,
  readUint32,
  TIMESTAMP_TYPE_MASK,
  TRANSACTIONAL_FLAG_MASK,
} from './record-batch-layout.js';
import { corrupt, fields, MIN_RECORD_SIZE, readPlainRecord, readRecord } from './record-read.js';
import type { VarintCursor } from './varint.js';

export interface DecodedRecord {
  offset: number;
  timestamp: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: RecordHeader[];
  /** The record's own attributes byte (unused by Kafka so far, 0). */
  attributes: number;
}

export interface BatchHeader {
  baseOffset: number;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  compression: CompressionType;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
  isTransactional: boolean;
  isControl: boolean;
}

export interface DecodedBatch extends BatchHeader {
  records: DecodedRecord[];
}

export interface DecodeOptions {
  /** Check each batch's CRC-32C. Default true. */
  verifyCrc?: boolean;
  /** Ignore a trailing partial batch, as Kafka consumers do with a fetch cut at maxBytes. Default true. */
  allowPartial?: boolean;
}

/** Total bytes of the batch at `pos` (12 + batchLength). Throws CORRUPT_MESSAGE if it cannot be a batch. */
export function batchSize(buf: Uint8Array, pos = 0): number {
  if (buf.length - pos < LOG_OVERHEAD) {
    throw corrupt(`batch at byte ${pos}: ${buf.length - pos} bytes, too few to hold its length`);
  }
  const batchLength = readInt32(buf, pos + BATCH_LENGTH_OFFSET);
  if (batchLength < MIN_BATCH_LENGTH) {
    throw corrupt(`batch at byte ${pos}: batchLength ${batchLength} is below the minimum ${MIN_BATCH_LENGTH}`);
  }
  return LOG_OVERHEAD + batchLength;
}

/**
 * True when the batch at `pos` is entirely inside `buf` and its stored CRC matches its bytes.
 * False for a batch cut short or with an impossible length: nothing there can be trusted.
 */
export function verifyBatchCrc(buf: Uint8Array, pos = 0): boolean {
  if (buf.length - pos < RECORD_BATCH_OVERHEAD) return false;
  const batchLength = readInt32(buf, pos + BATCH_LENGTH_OFFSET);
  if (batchLength < MIN_BATCH_LENGTH) return false;
  const end = pos + LOG_OVERHEAD + batchLength;
  if (end > buf.length) return false;
  return crc32c(buf, 0, pos + ATTRIBUTES_OFFSET, end) === readUint32(buf, pos + CRC_OFFSET);
}

/**
 * The header of the batch at `pos`, without touching its records (nor checking its CRC). Cheap:
 * the broker reads producer id, epoch and sequence with it. Throws CORRUPT_MESSAGE when fewer
 * than 61 bytes are there, the magic is not 2, the length is impossible or the codec id unknown.
 */
export function readBatchHeader(buf: Uint8Array, pos = 0): BatchHeader {
  if (buf.length - pos < RECORD_BATCH_OVERHEAD) {
    throw corrupt(
      `batch at byte ${pos}: ${buf.length - pos} bytes, fewer than its ${RECORD_BATCH_OVERHEAD}-byte header`,
    );
  }
  const magic = buf[pos + MAGIC_OFFSET]!;
  if (magic !== MAGIC_V2) throw corrupt(`batch at byte ${pos}: magic ${magic}, only ${MAGIC_V2} is supported`);
  const batchLength = readInt32(buf, pos + BATCH_LENGTH_OFFSET);
  if (batchLength < MIN_BATCH_LENGTH) {
    throw corrupt(`batch at byte ${pos}: batchLength ${batchLength} is below the minimum ${MIN_BATCH_LENGTH}`);
  }
  const attributes = readInt16(buf, pos + ATTRIBUTES_OFFSET);
  const compression = compressionName(attributes & COMPRESSION_CODEC_MASK);
  if (compression === undefined) {
    throw corrupt(`batch at byte ${pos}: unknown compression id ${attributes & COMPRESSION_CODEC_MASK}`);
  }
  return {
    baseOffset: readInt64(buf, pos + BASE_OFFSET_OFFSET, 'baseOffset'),
    batchLength,
    partitionLeaderEpoch: readInt32(buf, pos + PARTITION_LEADER_EPOCH_OFFSET),
    magic,
    crc: readUint32(buf, pos + CRC_OFFSET),
    attributes,
    compression,
    lastOffsetDelta: readInt32(buf, pos + LAST_OFFSET_DELTA_OFFSET),
    baseTimestamp: readInt64(buf, pos + BASE_TIMESTAMP_OFFSET, 'baseTimestamp'),
    maxTimestamp: readInt64(buf, pos + MAX_TIMESTAMP_OFFSET, 'maxTimestamp'),
    producerId: readInt64(buf, pos + PRODUCER_ID_OFFSET, 'producerId'),
    producerEpoch: readInt16(buf, pos + PRODUCER_EPOCH_OFFSET),
    baseSequence: readInt32(buf, pos + BASE_SEQUENCE_OFFSET),
    recordCount: readInt32(buf, pos + RECORD_COUNT_OFFSET),
    isTransactional: (attributes & TRANSACTIONAL_FLAG_MASK) !== 0,
    isControl: (attributes & CONTROL_FLAG_MASK) !== 0,
  };
}

/**
 * Decodes every whole batch in `buf`, in order. A trailing partial batch is ignored unless
 * `allowPartial` is false, when it is CORRUPT_MESSAGE like any other damage.
 */
export function decodeRecordBatches(buf: Uint8Array, opts: DecodeOptions = {}): DecodedBatch[] {
  const verifyCrc = opts.verifyCrc ?? true;
  const allowPartial = opts.allowPartial ?? true;
  const batches: DecodedBatch[] = [];
  const len = buf.length;
  let pos = 0;
  while (pos < len) {
    const remaining = len - pos;
    // As Kafka's ByteBufferLogInputStream: the length is judged as soon as it is there; a batch
    // is partial only if its declared size runs past the end.
    let size = -1;
    if (remaining >= HEADER_SIZE_UP_TO_MAGIC) {
      size = batchSize(buf, pos);
      if (remaining >= size) {
        batches.push(decodeRecordBatch(buf, pos, verifyCrc));
        pos += size;
        continue;
      }
    }
    if (allowPartial) break;
    const needs = size < 0 ? `at least ${HEADER_SIZE_UP_TO_MAGIC}` : String(size);
    throw corrupt(`batch at byte ${pos} is truncated: it needs ${needs} bytes, ${remaining} remain`);
  }
  return batches;
}

/**
 * Builds one record as the caller wants it, straight from the bytes: the key is
 * `data[keyFrom, keyFrom + keyLength)` and the value likewise, a length of -1 meaning null;
 * `headers` is null when the record has none. Lets a consumer make its own message objects (and
 * its own kind of byte views) in the one decoding pass, with nothing built in between.
 */
export type RecordBuilder<T> = (
  data: Uint8Array,
  offset: number,
  timestamp: number,
  keyFrom: number,
  keyLength: number,
  valueFrom: number,
  valueLength: number,
  headers: RecordHeader[] | null,
  attributes: number,
) => T;

const decodedRecord: RecordBuilder<DecodedRecord> = (
  data,
  offset,
  timestamp,
  keyFrom,
  keyLength,
  valueFrom,
  valueLength,
  headers,
  attributes,
) => ({
  offset,
  timestamp,
  key: keyLength < 0 ? null : data.subarray(keyFrom, keyFrom + keyLength),
  value: valueLength < 0 ? null : data.subarray(valueFrom, valueFrom + valueLength),
  headers: headers === null ? [] : headers,
  attributes,
});

/** Decodes the one batch at `pos`, which must be entirely inside `buf`. */
export function decodeRecordBatch(buf: Uint8Array, pos = 0, verifyCrc = true): DecodedBatch {
  const batch = readBatchHeader(buf, pos) as DecodedBatch;
  const records: DecodedRecord[] = [];
  decodeBatchInto(batch, buf, pos, verifyCrc, decodedRecord, records);
  batch.records = records;
  return batch;
}

/**
 * Decodes every whole batch in `buf` as {@link decodeRecordBatches} does, but builds each record
 * with `build` and appends it to `out`; after each batch, `onBatch` gets its header and the index
 * in `out` of its first record (so the caller can drop or filter what that batch added).
 */
export function decodeRecordBatchesInto<T>(
  buf: Uint8Array,
  opts: DecodeOptions,
  build: RecordBuilder<T>,
  out: T[],
  onBatch: (header: BatchHeader, first: number) => void,
): void {
  const verifyCrc = opts.verifyCrc ?? true;
  const allowPartial = opts.allowPartial ?? true;
  const len = buf.length;
  let pos = 0;
  while (pos < len) {
    const remaining = len - pos;
    let size = -1;
    if (remaining >= HEADER_SIZE_UP_TO_MAGIC) {
      size = batchSize(buf, pos);
      if (remaining >= size) {
        const header = readBatchHeader(buf, pos);
        const first = out.length;
        decodeBatchInto(header, buf, pos, verifyCrc, build, out);
        onBatch(header, first);
        pos += size;
        continue;
      }
    }
    if (allowPartial) break;
    const needs = size < 0 ? `at least ${HEADER_SIZE_UP_TO_MAGIC}` : String(size);
    throw corrupt(`batch at byte ${pos} is truncated: it needs ${needs} bytes, ${remaining} remain`);
  }
}

/** Checks the batch at `pos` (its header already read) and appends its records, built by `build`, to `out`. */
function decodeBatchInto<T>(
  header: BatchHeader,
  buf: Uint8Array,
  pos: number,
  verifyCrc: boolean,
  build: RecordBuilder<T>,
  out: T[],
): void {
  const end = pos + LOG_OVERHEAD + header.batchLength;
  if (end > buf.length) {
    throw corrupt(`batch at byte ${pos} is truncated: it needs ${end - pos} bytes, ${buf.length - pos} remain`);
  }
  if (verifyCrc) {
    const computed = crc32c(buf, 0, pos + ATTRIBUTES_OFFSET, end);
    if (computed !== header.crc) {
      throw corrupt(
        `batch at byte ${pos} (baseOffset ${header.baseOffset}): CRC mismatch, stored 0x${hex(header.crc)}, ` +
          `computed 0x${hex(computed)}`,
      );
    }
  }
  let data = buf;
  let start = pos + RECORDS_OFFSET;
  let stop = end;
  if (header.compression !== 'none') {
    data = decompress(header.compression, buf.subarray(start, stop));
    start = 0;
    stop = data.length;
  }
  decodeRecords(header, data, start, stop, pos, data !== buf, build, out);
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function decodeRecords<T>(
  header: BatchHeader,
  data: Uint8Array,
  start: number,
  stop: number,
  batchPos: number,
  decompressed: boolean,
  build: RecordBuilder<T>,
  out: T[],
): void {
  const count = header.recordCount;
  const where = `batch at byte ${batchPos}`;
  // Positions inside records count from the start of `data`: the input, or the decompressed records.
  const of = decompressed ? ' of the decompressed records' : '';
  if (count < 0 || count > (stop - start) / MIN_RECORD_SIZE) {
    throw corrupt(`${where}: recordCount ${count} cannot fit in ${stop - start} bytes of records`);
  }
  const logAppendTime = (header.attributes & TIMESTAMP_TYPE_MASK) !== 0;
  const { baseOffset, baseTimestamp, maxTimestamp } = header;
  const c: VarintCursor = { buf: data, pos: start, end: stop };
  for (let i = 0; i < count; i++) {
    const headers = readPlainRecord(data, c.pos, stop) ? null : readRecord(c, data, stop, where, i, of);
    out.push(
      build(
        data,
        baseOffset + fields.offsetDelta,
        logAppendTime ? maxTimestamp : baseTimestamp + fields.timestampDelta,
        fields.keyFrom,
        fields.keyLength,
        fields.valueFrom,
        fields.valueLength,
        headers,
        fields.attributes,
      ),
    );
    c.pos = fields.end;
  }
  if (c.pos !== stop) {
    throw corrupt(`${where}: ${stop - c.pos} bytes left after its ${count} records`);
  }
}
