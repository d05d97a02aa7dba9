/**
 * Reading one record of a RecordBatch v2 (layout in `record-batch-layout.ts`) into {@link fields},
 * for the batch decoder. Two readers: the common record (every varint in one to three bytes, no
 * headers) by {@link readPlainRecord}, plain locals with no cursor object or try/catch, which is
 * the consumer's per-record loop; anything else, and anything wrong, by {@link readRecord}, which
 * checks every field and names what is wrong and where. Decoding 1 MiB fetches of 100 B records
 * (each value's view included) takes about a fifth less time per record with the first
 * (BENCHMARKS.md, round five).
 */
import { RivuletError } from '../errors.js';
import type { RecordHeader } from './record-batch-encode.js';
import { readVarint, readVarlong, type VarintCursor } from './varint.js';

/** The smallest record: length, attributes, timestampDelta, offsetDelta, key, value, headerCount. */
export const MIN_RECORD_SIZE = 7;
/** The smallest header: key length 0 and a null value. */
const MIN_HEADER_SIZE = 2;
/** Header keys up to this many bytes are tried as ASCII before falling back to TextDecoder. */
const SHORT_STRING = 32;

const utf8 = new TextDecoder();

export function corrupt(message: string): RivuletError {
  return new RivuletError('CORRUPT_MESSAGE', message);
}

/** The fields of the record last read, by {@link readPlainRecord} or by {@link readRecord}. */
export const fields = {
  /** Where the record ends. */
  end: 0,
  attributes: 0,
  timestampDelta: 0,
  offsetDelta: 0,
  keyFrom: 0,
  keyLength: 0,
  valueFrom: 0,
  valueLength: 0,
};

/**
 * The varint at `data[pos]` if it takes one to three bytes before `end` (|value| < 2^20): its
 * zigzag form shifted left by two, or'ed with its size in bytes; -1 for anything else. One number
 * back and no state aside, so the calls below inline to a few instructions each.
 */
function small(data: Uint8Array, pos: number, end: number): number {
  if (pos >= end) return -1;
  const a = data[pos]!;
  if (a < 0x80) return (a << 2) | 1;
  if (pos + 1 >= end) return -1;
  const b = data[pos + 1]!;
  if (b < 0x80) return (((a & 0x7f) | (b << 7)) << 2) | 2;
  if (pos + 2 >= end) return -1;
  const c = data[pos + 2]!;
  if (c >= 0x80) return -1;
  return (((a & 0x7f) | ((b & 0x7f) << 7) | (c << 14)) << 2) | 3;
}

/** The value of what {@link small} read. */
function smallValue(r: number): number {
  const z = r >>> 2;
  return (z >>> 1) ^ -(z & 1);
}

/**
 * The common record, read at `pos` into {@link fields} without a cursor or a try: every varint in
 * one to three bytes (records under 1 MiB, offset deltas under 2^20), no headers, and every length
 * within the record. False for anything else, with nothing read: the general path then reads that
 * record and says what is wrong with it, if anything is. Consumers spend most of their time here.
 */
export function readPlainRecord(data: Uint8Array, pos: number, stop: number): boolean {
  let r = small(data, pos, stop);
  if (r < 0) return false;
  const length = smallValue(r);
  let p = pos + (r & 3);
  const end = p + length;
  if (length < MIN_RECORD_SIZE - 1 || end > stop) return false;
  const attributes = data[p++]!;
  r = small(data, p, end);
  if (r < 0) return false;
  const timestampDelta = smallValue(r);
  p += r & 3;
  r = small(data, p, end);
  if (r < 0) return false;
  const offsetDelta = smallValue(r);
  p += r & 3;
  r = small(data, p, end);
  if (r < 0) return false;
  const keyLength = smallValue(r);
  const keyFrom = p + (r & 3);
  if (keyLength < -1) return false;
  p = keyLength > 0 ? keyFrom + keyLength : keyFrom;
  r = small(data, p, end);
  if (r < 0) return false;
  const valueLength = smallValue(r);
  const valueFrom = p + (r & 3);
  if (valueLength < -1) return false;
  p = valueLength > 0 ? valueFrom + valueLength : valueFrom;
  // Exactly one byte left, the header count 0.
  if (p + 1 !== end || data[p] !== 0) return false;
  fields.end = end;
  fields.attributes = attributes;
  fields.timestampDelta = timestampDelta;
  fields.offsetDelta = offsetDelta;
  fields.keyFrom = keyFrom;
  fields.keyLength = keyLength;
  fields.valueFrom = valueFrom;
  fields.valueLength = valueLength;
  return true;
}

/**
 * Reads any record at `c.pos` into {@link fields} and returns its headers (null: none), checking
 * every field; throws CORRUPT_MESSAGE naming the record and what is wrong with it.
 */
export function readRecord(
  c: VarintCursor,
  data: Uint8Array,
  stop: number,
  where: string,
  i: number,
  of: string,
): RecordHeader[] | null {
  const at = c.pos;
  c.end = stop;
  const length = readLength(c, where, i, of);
  const recordEnd = c.pos + length;
  if (length < MIN_RECORD_SIZE - 1 || recordEnd > stop) {
    throw corrupt(`${where}, record ${i} at byte ${at}${of}: length ${length} does not fit`);
  }
  c.end = recordEnd;
  let headers: RecordHeader[] | null = null;
  try {
    fields.attributes = data[c.pos++]!;
    fields.timestampDelta = readVarlong(c);
    fields.offsetDelta = readVarint(c);
    fields.keyLength = readLengthOf(c);
    fields.keyFrom = c.pos;
    if (fields.keyLength > 0) c.pos += fields.keyLength;
    fields.valueLength = readLengthOf(c);
    fields.valueFrom = c.pos;
    if (fields.valueLength > 0) c.pos += fields.valueLength;
    if (c.pos >= recordEnd || data[c.pos] !== 0) headers = readHeaders(c, data);
    else c.pos++; // headerCount 0, the common case
    if (c.pos !== recordEnd) throw corrupt(`${recordEnd - c.pos} bytes left over inside the record`);
  } catch (err) {
    throw located(err, `${where}, record ${i} at byte ${at}${of}`);
  }
  fields.end = recordEnd;
  return headers;
}

/** Reads a nullable field's length (-1 = null) and checks the field fits in the record; leaves `c.pos` at its bytes. */
function readLengthOf(c: VarintCursor): number {
  const at = c.pos;
  const n = readVarint(c);
  if (n < -1) throw corrupt(`negative length ${n} at byte ${at}`);
  if (c.pos + n > c.end) throw corrupt(`length ${n} at byte ${at} runs past the record`);
  return n;
}

function readLength(c: VarintCursor, where: string, i: number, of: string): number {
  try {
    return readVarint(c);
  } catch (err) {
    throw located(err, `${where}, record ${i} length${of}`);
  }
}

/** Prefixes a CORRUPT_MESSAGE raised deep in a record with where the record is. */
function located(err: unknown, where: string): unknown {
  if (err instanceof RivuletError && err.code === 'CORRUPT_MESSAGE') {
    return new RivuletError('CORRUPT_MESSAGE', `${where}: ${err.message}`, { cause: err });
  }
  return err;
}

function readNullableBytes(c: VarintCursor, data: Uint8Array): Uint8Array | null {
  const at = c.pos;
  const n = readVarint(c);
  if (n === -1) return null;
  if (n < -1) throw corrupt(`negative length ${n} at byte ${at}`);
  const from = c.pos;
  if (from + n > c.end) throw corrupt(`length ${n} at byte ${at} runs past the record`);
  c.pos = from + n;
  return data.subarray(from, from + n);
}

function readHeaders(c: VarintCursor, data: Uint8Array): RecordHeader[] {
  const at = c.pos;
  const count = readVarint(c);
  if (count < 0 || count > (c.end - c.pos) / MIN_HEADER_SIZE) {
    throw corrupt(`header count ${count} at byte ${at} cannot fit in the record`);
  }
  const headers: RecordHeader[] = [];
  for (let h = 0; h < count; h++) {
    const keyAt = c.pos;
    const keyLength = readVarint(c);
    if (keyLength < 0) throw corrupt(`header ${h} key length ${keyLength} at byte ${keyAt} (keys cannot be null)`);
    const from = c.pos;
    if (from + keyLength > c.end)
      throw corrupt(`header ${h} key length ${keyLength} at byte ${keyAt} runs past the record`);
    c.pos = from + keyLength;
    const key = decodeUtf8(data, from, from + keyLength);
    const value = readNullableBytes(c, data);
    headers.push({ key, value });
  }
  return headers;
}

function decodeUtf8(data: Uint8Array, from: number, to: number): string {
  if (to - from <= SHORT_STRING) {
    let s = '';
    let i = from;
    for (; i < to; i++) {
      const b = data[i]!;
      if (b >= 0x80) break;
      s += String.fromCharCode(b);
    }
    if (i === to) return s;
  }
  return utf8.decode(data.subarray(from, to));
}
