/**
 * RecordBatch v2 encoder (layout in `record-batch-layout.ts`). The producer's hot path, so it
 * sizes the whole batch first, allocates once and writes bytes in place: no per-record buffers,
 * no concatenation. String keys, values and header keys are measured as UTF-8 in the sizing pass
 * and written straight into the batch in the writing pass.
 */
import { RECORD_BATCH_OVERHEAD, RECORDS_OFFSET } from './record-batch-layout.js';
import {
  allocated,
  type BatchOptions,
  checkSafeInteger,
  headerFields,
  invalid,
  seal,
  type WrittenRecords,
} from './record-batch-seal.js';
import { encodeVarint, encodeVarlong, sizeOfVarint, sizeOfVarlong } from './varint.js';

export interface RecordHeader {
  key: string;
  value: Uint8Array | null;
}

export type { BatchOptions, WrittenRecords };
export { sealRecordBatch } from './record-batch-seal.js';

export interface RecordInput {
  key?: Uint8Array | string | null;
  value: Uint8Array | string | null;
  /** An array keeps order and allows repeated keys; an object is read in its own-key order. */
  headers?: RecordHeader[] | Record<string, Uint8Array | string | null>;
  /** Milliseconds since the epoch (CreateTime); defaults to the batch's `timestamp`. */
  timestamp?: number;
}

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

/** Writes bytes with their length prefix at `pos`; returns the end. */
export function writeBytes(v: Uint8Array, buf: Uint8Array, pos: number): number {
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

/**
 * Size of one record's body (what follows its length prefix), in the sizing pass: strings are
 * measured and their lengths pushed for {@link writeRecordAt}, in order. `i` names it in errors.
 */
function recordBodySize(
  key: RecordInput['key'],
  value: RecordInput['value'],
  headers: RecordInput['headers'],
  timestampDelta: number,
  offsetDelta: number,
  i: number,
): number {
  return (
    1 + // attributes
    sizeOfVarlong(timestampDelta) +
    sizeOfVarint(offsetDelta) +
    sizeKeyOrValue(key, i, 'key') +
    sizeKeyOrValue(value, i, 'value') +
    (headers === undefined || headers === null ? 1 : sizeHeaders(headers, i)) // headerCount 0 is one byte
  );
}

/** Writes one record (length prefix and body) at `pos`; strings as the sizing pass measured them. */
function writeRecordAt(
  out: Uint8Array,
  pos: number,
  bodySize: number,
  key: RecordInput['key'],
  value: RecordInput['value'],
  headers: RecordInput['headers'],
  timestampDelta: number,
  offsetDelta: number,
): number {
  pos = encodeVarint(bodySize, out, pos);
  out[pos++] = 0; // record attributes
  pos = encodeVarlong(timestampDelta, out, pos);
  pos = encodeVarint(offsetDelta, out, pos);
  pos = key instanceof Uint8Array ? writeBytes(key, out, pos) : writeField(key, out, pos);
  pos = value instanceof Uint8Array ? writeBytes(value, out, pos) : writeField(value, out, pos);
  if (headers === undefined || headers === null)
    out[pos++] = 0; // headerCount 0
  else pos = writeHeaders(headers, out, pos);
  return pos;
}

/** The record {@link measureRecord} sized last, for {@link writeMeasuredRecord} (one object, reused). */
const measured: {
  body: number;
  key: RecordInput['key'];
  value: RecordInput['value'];
  headers: RecordInput['headers'];
  timestampDelta: number;
  offsetDelta: number;
} = { body: 0, key: null, value: null, headers: undefined, timestampDelta: 0, offsetDelta: 0 };

/**
 * The producer's append path, one record at a time: its full size (length prefix included) as
 * record `offsetDelta` of a batch, `timestampDelta` after the batch's base timestamp. Then
 * {@link writeMeasuredRecord} writes it, where it fits, before anything else is encoded.
 * Throws INVALID_ARGUMENT (naming `records/<offsetDelta>`) for a field of the wrong type.
 */
export function measureRecord(
  key: RecordInput['key'],
  value: RecordInput['value'],
  headers: RecordInput['headers'],
  timestampDelta: number,
  offsetDelta: number,
): number {
  stringCount = 0;
  arenaUsed = 0;
  const body = recordBodySize(key, value, headers, timestampDelta, offsetDelta, offsetDelta);
  measured.body = body;
  measured.key = key;
  measured.value = value;
  measured.headers = headers;
  measured.timestampDelta = timestampDelta;
  measured.offsetDelta = offsetDelta;
  return sizeOfVarint(body) + body;
}

/** Writes the record {@link measureRecord} just sized at `pos` of `out`; returns the end. */
export function writeMeasuredRecord(out: Uint8Array, pos: number): number {
  stringCursor = 0;
  const m = measured;
  const end = writeRecordAt(out, pos, m.body, m.key, m.value, m.headers, m.timestampDelta, m.offsetDelta);
  // Not kept: the caller's bytes are its own again.
  m.key = null;
  m.value = null;
  m.headers = undefined;
  if (arena.length > ARENA_KEEP) arena = new Uint8Array(ARENA_INITIAL);
  return end;
}

/**
 * Encodes `records` as one RecordBatch v2. Offsets are 0..n-1 relative to `baseOffset`; each
 * record's timestamp is its own or the batch default. Throws INVALID_ARGUMENT on unusable input,
 * UNSUPPORTED_COMPRESSION_TYPE when the chosen codec is not installed.
 */
export function encodeRecordBatch(records: RecordInput[], opts: BatchOptions = {}): Uint8Array {
  const count = records.length;
  if (count === 0) throw invalid('a batch needs at least one record', 'records');
  const h = headerFields(opts);
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
    const ts =
      t === undefined ? defaultTimestamp : Number.isSafeInteger(t) ? t : checkSafeInteger(t, `records/${i}/timestamp`);
    if (i === 0) {
      baseTimestamp = ts;
      maxTimestamp = ts;
    } else if (ts > maxTimestamp) {
      maxTimestamp = ts;
    }
    const body = recordBodySize(r.key, r.value, r.headers, ts - baseTimestamp, i, i);
    bodySizes[i] = body;
    recordsSize += sizeOfVarint(body) + body;
  }

  // Pass 2: records, written at RECORDS_OFFSET of a buffer that is the batch when uncompressed.
  const allocate = opts.allocate;
  const size = RECORD_BATCH_OVERHEAD + recordsSize;
  const out = allocate === undefined || h.codecId !== 0 ? new Uint8Array(size) : allocated(allocate, size);
  stringCursor = 0;
  let pos = RECORDS_OFFSET;
  for (let i = 0; i < count; i++) {
    const r = records[i]!;
    pos = writeRecordAt(
      out,
      pos,
      bodySizes[i]!,
      r.key,
      r.value,
      r.headers,
      (r.timestamp ?? defaultTimestamp) - baseTimestamp,
      i,
    );
  }
  if (arena.length > ARENA_KEEP) arena = new Uint8Array(ARENA_INITIAL);
  if (pos !== out.length) {
    // Only reachable if a caller mutated the records during the call.
    throw invalid(`records changed while being encoded (sized ${out.length}, wrote ${pos})`, 'records');
  }
  return seal(out, { count, end: pos, baseTimestamp, maxTimestamp }, h, opts);
}
