/**
 * The common record, read fast: the consumer's per-record loop without a cursor object, a
 * try/catch or the general varint readers. Decoding 1 MiB fetches of 100 B records (each value's
 * view included) takes about a fifth less time per record than with the general reader alone
 * (BENCHMARKS.md, round five).
 */

/** The smallest record: length, attributes, timestampDelta, offsetDelta, key, value, headerCount. */
export const MIN_RECORD_SIZE = 7;

/** The fields of the record last read, by {@link readPlainRecord} or by the decoder's general reader. */
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
function value(r: number): number {
  const z = r >>> 2;
  return (z >>> 1) ^ -(z & 1);
}

/**
 * The common record, read at `pos` into {@link fields} without a cursor or a try: every varint in
 * one to three bytes (records under 512 KiB, offset deltas under 2^20), no headers, and every length within
 * the record. False for anything else, with nothing read: the general path then reads that record
 * and says what is wrong with it, if anything is. Consumers spend most of their time in this loop.
 */
export function readPlainRecord(data: Uint8Array, pos: number, stop: number): boolean {
  let r = small(data, pos, stop);
  if (r < 0) return false;
  const length = value(r);
  let p = pos + (r & 3);
  const end = p + length;
  if (length < MIN_RECORD_SIZE - 1 || end > stop) return false;
  const attributes = data[p++]!;
  r = small(data, p, end);
  if (r < 0) return false;
  const timestampDelta = value(r);
  p += r & 3;
  r = small(data, p, end);
  if (r < 0) return false;
  const offsetDelta = value(r);
  p += r & 3;
  r = small(data, p, end);
  if (r < 0) return false;
  const keyLength = value(r);
  const keyFrom = p + (r & 3);
  if (keyLength < -1) return false;
  p = keyLength > 0 ? keyFrom + keyLength : keyFrom;
  r = small(data, p, end);
  if (r < 0) return false;
  const valueLength = value(r);
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
