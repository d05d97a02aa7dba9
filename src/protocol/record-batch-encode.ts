/**
 * RecordBatch v2 encoder (layout in `record-batch-layout.ts`). The producer's hot path, so it
 * sizes the whole batch first, allocates once and writes bytes in place: no per-record buffers,
 * no concatenation. String keys, values and header keys are measured as UTF-8 in the sizing pass
 * and written straight into the batch in the writing pass.
 */
import { RivuletError } from '../errors.js';
import { COMPRESSION_IDS, type CompressionType, compress } from './compression.js';
import { crc32c } from './crc32c.js';
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
import { encodeVarint, encodeVarlong, sizeOfVarint, sizeOfVarlong } from './varint.js';

export interface RecordHeader {
  key: string;
  value: Uint8Array | null;
}

export interface RecordInput {
  key?: Uint8Array | string | null;
  value: Uint8Array | string | null;
  /** An array keeps order and allows repeated keys; an object is read in its own-key order. */
  headers?: RecordHeader[] | Record<string, Uint8Array | string | null>;
  /** Milliseconds since the epoch (CreateTime); defaults to the batch's `timestamp`. */
  timestamp?: number;
}

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
/** Below this many bytes a copy loop beats `Uint8Array.set`. */
const SMALL_COPY = 32;
/**
 * Strings shorter than this are measured by a JS loop and written in place; longer ones are
 * UTF-8-encoded once, while sizing, into a scratch arena and copied in the writing pass (a
 * native encodeInto plus a memcpy beats a JS measuring loop from about 32 chars on).
 */
const LONG_STRING = 32;
/** Lengths below this are one-byte varints (zigzag doubles them). */
const VARINT_ONE_BYTE_LIMIT = 64;
/** The varint for -1 (a null key or value) is one byte. */
const NULL_LENGTH_SIZE = 1;
const ARENA_INITIAL = 64 * 1024;
/** An arena grown past this is dropped after the call rather than kept for the next one. */
const ARENA_KEEP = 1024 * 1024;

const utf8 = new TextEncoder();

// Sizing-pass results, reused across calls (encoding is synchronous and never re-entered):
// each record's body size; for every string, in the order they are met, its UTF-8 length and,
// for long ones, where its bytes sit in the arena.
let bodySizes = new Int32Array(256);
let strings = new Int32Array(512);
let stringCount = 0;
let stringCursor = 0;
let arena = new Uint8Array(ARENA_INITIAL);
let arenaUsed = 0;

function pushString(n: number): void {
  if (stringCount === strings.length) {
    const grown = new Int32Array(strings.length * 2);
    grown.set(strings);
    strings = grown;
  }
  strings[stringCount++] = n;
}

/** Measures `s` (and, when long, encodes it into the arena); returns its UTF-8 length. */
function sizeString(s: string): number {
  const chars = s.length;
  if (chars < LONG_STRING) {
    const n = utf8Length(s);
    pushString(n);
    return n;
  }
  const room = chars * 3; // the most UTF-8 bytes one UTF-16 unit can become
  if (arenaUsed + room > arena.length) {
    const grown = new Uint8Array(Math.max(arena.length * 2, arenaUsed + room));
    grown.set(arena.subarray(0, arenaUsed));
    arena = grown;
  }
  const n = utf8.encodeInto(s, arena.subarray(arenaUsed)).written;
  pushString(n);
  pushString(arenaUsed);
  arenaUsed += n;
  return n;
}

/** UTF-8 length of `s` as TextEncoder writes it (a lone surrogate becomes U+FFFD, 3 bytes). */
export function utf8Length(s: string): number {
  const n = s.length;
  let bytes = n;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      bytes += 1;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 2; // 4 bytes for 2 UTF-16 units
        i++;
      } else {
        bytes += 2;
      }
    } else {
      bytes += 2;
    }
  }
  return bytes;
}

function invalid(message: string, path: string): RivuletError {
  return new RivuletError('INVALID_ARGUMENT', `${path}: ${message}`, { path });
}

/** Size of a length-prefixed nullable byte field; pushes string lengths. `path()` names it in errors. */
function sizeField(v: Uint8Array | string | null | undefined, path: () => string): number {
  if (v === null || v === undefined) return NULL_LENGTH_SIZE;
  let n: number;
  if (typeof v === 'string') {
    n = sizeString(v);
  } else if (v instanceof Uint8Array) {
    n = v.length;
  } else {
    throw invalid('must be a Uint8Array, a string or null', path());
  }
  return sizeOfVarint(n) + n;
}

function sizeHeaders(headers: NonNullable<RecordInput['headers']>, i: number): number {
  const path = `records/${i}/headers`;
  if (Array.isArray(headers)) {
    let size = sizeOfVarint(headers.length);
    for (let h = 0; h < headers.length; h++) {
      const header = headers[h]!;
      if (typeof header?.key !== 'string') throw invalid('header key must be a string', `${path}/${h}/key`);
      size += sizeField(header.key, () => path) + sizeField(header.value, () => `${path}/${h}/value`);
    }
    return size;
  }
  const keys = Object.keys(headers);
  let size = sizeOfVarint(keys.length);
  for (const k of keys) size += sizeField(k, () => path) + sizeField(headers[k], () => `${path}/${k}`);
  return size;
}

/**
 * Size of record `i`'s key or value (`what`), with its length prefix. Bytes and nulls, the common
 * case, are sized inline here; strings and wrong types go through {@link sizeField}.
 */
function sizeKeyOrValue(v: Uint8Array | string | null | undefined, i: number, what: string): number {
  if (v instanceof Uint8Array) {
    const n = v.length;
    return (n < VARINT_ONE_BYTE_LIMIT ? 1 : sizeOfVarint(n)) + n;
  }
  if (v === null || v === undefined) return NULL_LENGTH_SIZE;
  return sizeField(v, () => `records/${i}/${what}`);
}

function writeString(s: string, buf: Uint8Array, pos: number): number {
  const n = strings[stringCursor++]!;
  pos = encodeVarint(n, buf, pos);
  const chars = s.length;
  if (chars >= LONG_STRING) {
    const from = strings[stringCursor++]!;
    if (n < SMALL_COPY) {
      for (let i = 0; i < n; i++) buf[pos + i] = arena[from + i]!;
    } else {
      buf.set(arena.subarray(from, from + n), pos);
    }
  } else if (n === chars) {
    for (let i = 0; i < chars; i++) buf[pos + i] = s.charCodeAt(i); // ASCII
  } else {
    utf8.encodeInto(s, buf.subarray(pos, pos + n));
  }
  return pos + n;
}

function writeBytes(v: Uint8Array, buf: Uint8Array, pos: number): number {
  const n = v.length;
  if (n < VARINT_ONE_BYTE_LIMIT) buf[pos++] = n << 1;
  else pos = encodeVarint(n, buf, pos);
  if (n < SMALL_COPY) {
    for (let i = 0; i < n; i++) buf[pos + i] = v[i]!;
  } else {
    buf.set(v, pos);
  }
  return pos + n;
}

/** Writes a nullable field; what strings need comes from the sizing pass, in order. */
function writeField(v: Uint8Array | string | null | undefined, buf: Uint8Array, pos: number): number {
  if (v === null || v === undefined) {
    buf[pos] = 0x01; // varint -1
    return pos + 1;
  }
  if (typeof v === 'string') return writeString(v, buf, pos);
  return writeBytes(v, buf, pos);
}

function writeHeaders(headers: RecordInput['headers'], buf: Uint8Array, pos: number): number {
  if (headers === undefined || headers === null) {
    buf[pos] = 0;
    return pos + 1;
  }
  if (Array.isArray(headers)) {
    pos = encodeVarint(headers.length, buf, pos);
    for (let h = 0; h < headers.length; h++) {
      const header = headers[h]!;
      pos = writeField(header.key, buf, pos);
      pos = writeField(header.value, buf, pos);
    }
    return pos;
  }
  const keys = Object.keys(headers);
  pos = encodeVarint(keys.length, buf, pos);
  for (const k of keys) {
    pos = writeField(k, buf, pos);
    pos = writeField(headers[k], buf, pos);
  }
  return pos;
}

/** The first `size` bytes of what `allocate` gives. */
function allocated(allocate: (size: number) => Uint8Array, size: number): Uint8Array {
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

function checkSafeInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value)) throw invalid(`must be an integer within ±(2^53 − 1), got ${value}`, name);
  return value;
}

/**
 * Encodes `records` as one RecordBatch v2. Offsets are 0..n-1 relative to `baseOffset`; each
 * record's timestamp is its own or the batch default. Throws INVALID_ARGUMENT on unusable input,
 * UNSUPPORTED_COMPRESSION_TYPE when the chosen codec is not installed.
 */
export function encodeRecordBatch(records: RecordInput[], opts: BatchOptions = {}): Uint8Array {
  const count = records.length;
  if (count === 0) throw invalid('a batch needs at least one record', 'records');
  const compression = opts.compression ?? 'none';
  const codecId = Object.hasOwn(COMPRESSION_IDS, compression) ? COMPRESSION_IDS[compression] : undefined;
  if (codecId === undefined) {
    throw new RivuletError('UNSUPPORTED_COMPRESSION_TYPE', `unknown compression type '${String(compression)}'`);
  }
  const baseOffset = checkSafeInteger(opts.baseOffset ?? 0, 'baseOffset');
  const leaderEpoch = checkInt(
    opts.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH,
    INT32_MIN,
    INT32_MAX,
    'partitionLeaderEpoch',
  );
  const producerId = checkSafeInteger(opts.producerId ?? NO_PRODUCER_ID, 'producerId');
  const producerEpoch = checkInt(opts.producerEpoch ?? NO_PRODUCER_EPOCH, INT16_MIN, INT16_MAX, 'producerEpoch');
  const baseSequence = checkInt(opts.baseSequence ?? NO_SEQUENCE, INT32_MIN, INT32_MAX, 'baseSequence');
  const defaultTimestamp = checkSafeInteger(opts.timestamp ?? Date.now(), 'timestamp');

  // Pass 1: sizes.
  if (bodySizes.length < count) bodySizes = new Int32Array(Math.max(count, bodySizes.length * 2));
  stringCount = 0;
  arenaUsed = 0;
  // Kafka's baseTimestamp is the first record's; later ones may be earlier (negative deltas).
  let baseTimestamp = 0;
  let maxTimestamp = 0;
  let recordsSize = 0;
  for (let i = 0; i < count; i++) {
    const r = records[i]!;
    if (r === null || typeof r !== 'object') throw invalid('must be an object', `records/${i}`);
    const t = r.timestamp;
    const ts = t === undefined ? defaultTimestamp : Number.isSafeInteger(t) ? t : checkSafeInteger(t, `records/${i}/timestamp`);
    if (i === 0) {
      baseTimestamp = ts;
      maxTimestamp = ts;
    } else if (ts > maxTimestamp) {
      maxTimestamp = ts;
    }
    const h = r.headers;
    const body =
      1 + // attributes
      sizeOfVarlong(ts - baseTimestamp) +
      sizeOfVarint(i) +
      sizeKeyOrValue(r.key, i, 'key') +
      sizeKeyOrValue(r.value, i, 'value') +
      (h === undefined || h === null ? 1 : sizeHeaders(h, i)); // headerCount 0 is one byte
    bodySizes[i] = body;
    recordsSize += sizeOfVarint(body) + body;
  }

  // Pass 2: records, written at RECORDS_OFFSET of a buffer that is the batch when uncompressed.
  const allocate = opts.allocate;
  const size = RECORD_BATCH_OVERHEAD + recordsSize;
  let out = allocate === undefined || codecId !== 0 ? new Uint8Array(size) : allocated(allocate, size);
  stringCursor = 0;
  let pos = RECORDS_OFFSET;
  for (let i = 0; i < count; i++) {
    const r = records[i]!;
    pos = encodeVarint(bodySizes[i]!, out, pos);
    out[pos++] = 0; // record attributes
    pos = encodeVarlong((r.timestamp ?? defaultTimestamp) - baseTimestamp, out, pos);
    pos = encodeVarint(i, out, pos);
    const k = r.key;
    pos = k instanceof Uint8Array ? writeBytes(k, out, pos) : writeField(k, out, pos);
    const v = r.value;
    pos = v instanceof Uint8Array ? writeBytes(v, out, pos) : writeField(v, out, pos);
    const h = r.headers;
    if (h === undefined || h === null) out[pos++] = 0; // headerCount 0
    else pos = writeHeaders(h, out, pos);
  }
  if (arena.length > ARENA_KEEP) arena = new Uint8Array(ARENA_INITIAL);
  if (pos !== out.length) {
    // Only reachable if a caller mutated the records during the call.
    throw invalid(`records changed while being encoded (sized ${out.length}, wrote ${pos})`, 'records');
  }

  if (codecId !== 0) {
    const packed = compress(compression, out.subarray(RECORDS_OFFSET));
    const packedSize = RECORD_BATCH_OVERHEAD + packed.length;
    const batch = allocate === undefined ? new Uint8Array(packedSize) : allocated(allocate, packedSize);
    batch.set(packed, RECORDS_OFFSET);
    out = batch;
  }

  // The header, then the CRC over [attributes, end).
  const view = viewOf(out);
  setInt64(view, BASE_OFFSET_OFFSET, baseOffset);
  view.setInt32(BATCH_LENGTH_OFFSET, out.length - LOG_OVERHEAD);
  view.setInt32(PARTITION_LEADER_EPOCH_OFFSET, leaderEpoch);
  out[MAGIC_OFFSET] = MAGIC_V2;
  view.setInt16(ATTRIBUTES_OFFSET, codecId | (opts.isTransactional ? TRANSACTIONAL_FLAG_MASK : 0));
  view.setInt32(LAST_OFFSET_DELTA_OFFSET, count - 1);
  setInt64(view, BASE_TIMESTAMP_OFFSET, baseTimestamp);
  setInt64(view, MAX_TIMESTAMP_OFFSET, maxTimestamp);
  setInt64(view, PRODUCER_ID_OFFSET, producerId);
  view.setInt16(PRODUCER_EPOCH_OFFSET, producerEpoch);
  view.setInt32(BASE_SEQUENCE_OFFSET, baseSequence);
  view.setInt32(RECORD_COUNT_OFFSET, count);
  view.setUint32(CRC_OFFSET, crc32c(out, 0, ATTRIBUTES_OFFSET, out.length));
  return out;
}
