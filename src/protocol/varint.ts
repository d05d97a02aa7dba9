/**
 * Zigzag variable-length integers, as Kafka's `ByteUtils.writeVarint` / `writeVarlong` write them:
 * zigzag maps a signed value to an unsigned one (0, -1, 1, -2, … → 0, 1, 2, 3, …), which is then
 * written 7 bits per byte, least significant group first, the high bit of each byte set when more
 * bytes follow.
 *
 *   varint:  int32, 1..5 bytes (MAX_VARINT_BYTES)
 *   varlong: int64 on the wire, 1..10 bytes; here limited to the safe-integer range ±(2^53 − 1),
 *            which takes at most 8 bytes (MAX_SAFE_VARLONG_BYTES). A longer or larger value is
 *            reported as corrupt rather than silently rounded.
 *
 * No bigint anywhere: a value that does not fit in 31 bits is split into its low six bits and
 * the rest with exact float arithmetic (division by powers of two is exact for safe integers).
 *
 * Readers work on a mutable {@link VarintCursor} so the record decoder allocates nothing per field;
 * {@link decodeVarint} / {@link decodeVarlong} are the convenient `{ value, pos }` form.
 */
import { RivuletError } from '../errors.js';

export const MAX_VARINT_BYTES = 5;
export const MAX_VARLONG_BYTES = 10;
/** The longest varlong whose value is within ±(2^53 − 1). */
export const MAX_SAFE_VARLONG_BYTES = 8;

const TWO_POW_7 = 128;
/** The varlong payload after the first byte may carry at most 47 bits (6 + 47 = 53). */
const MAX_SAFE_VARLONG_REST = 2 ** 47;

/** A read position over `buf[pos, end)`; readers advance `pos`. */
export interface VarintCursor {
  buf: Uint8Array;
  pos: number;
  end: number;
}

export interface DecodedVarint {
  value: number;
  /** The position just after the varint. */
  pos: number;
}

function corrupt(what: string, pos: number): RivuletError {
  return new RivuletError('CORRUPT_MESSAGE', `${what} at byte ${pos}`);
}

// ---------------------------------------------------------------- sizes

/** Bytes {@link encodeVarint} writes for `value` (an int32). */
export function sizeOfVarint(value: number): number {
  const z = ((value << 1) ^ (value >> 31)) >>> 0;
  if (z < 0x80) return 1;
  if (z < 0x4000) return 2;
  if (z < 0x200000) return 3;
  if (z < 0x10000000) return 4;
  return 5;
}

/** Bytes {@link encodeVarlong} writes for `value` (a safe integer). */
export function sizeOfVarlong(value: number): number {
  // Within int32 the 64-bit zigzag value equals the 32-bit one.
  if ((value | 0) === value) return sizeOfVarint(value);
  checkSafe(value);
  const base = value >= 0 ? value : -value - 1;
  let rest = Math.floor(base / 64); // everything above the first byte's 7 bits (6 value + 1 sign)
  let n = 1;
  while (rest > 0) {
    rest = Math.floor(rest / TWO_POW_7);
    n++;
  }
  return n;
}

function checkSafe(value: number): void {
  if (!Number.isSafeInteger(value)) {
    throw new RivuletError('INVALID_ARGUMENT', `varlong value ${value} is not an integer within ±(2^53 − 1)`);
  }
}

// ---------------------------------------------------------------- encoding

/** Writes `value` (an int32) at `buf[pos]`; returns the position after it. The caller sized `buf`. */
export function encodeVarint(value: number, buf: Uint8Array, pos: number): number {
  let z = ((value << 1) ^ (value >> 31)) >>> 0;
  while (z >= 0x80) {
    buf[pos++] = (z & 0x7f) | 0x80;
    z >>>= 7;
  }
  buf[pos++] = z;
  return pos;
}

/** Writes `value` (a safe integer) at `buf[pos]`; returns the position after it. */
export function encodeVarlong(value: number, buf: Uint8Array, pos: number): number {
  if ((value | 0) === value) return encodeVarint(value, buf, pos);
  checkSafe(value);
  // zigzag(v) = 2·base + sign, base = v ≥ 0 ? v : −v − 1. 2·base + sign may pass 2^53 and lose its
  // low bit as a double, so the first byte is built from base's low six bits and the sign, and the
  // rest is base / 64, which is exact.
  const negative = value < 0;
  const base = negative ? -value - 1 : value;
  let rest = Math.floor(base / 64);
  const first = ((base % 64) << 1) | (negative ? 1 : 0);
  // |value| > 2^31 here, so rest > 0 and a continuation byte always follows.
  buf[pos++] = first | 0x80;
  while (rest >= TWO_POW_7) {
    buf[pos++] = (rest % TWO_POW_7) | 0x80;
    rest = Math.floor(rest / TWO_POW_7);
  }
  buf[pos++] = rest;
  return pos;
}

// ---------------------------------------------------------------- decoding

/** Reads an int32 varint at `c.pos` and advances it. Throws CORRUPT_MESSAGE on a short or overlong one. */
export function readVarint(c: VarintCursor): number {
  const buf = c.buf;
  const start = c.pos;
  const end = c.end;
  let pos = start;
  if (pos >= end) throw corrupt('varint past the end of the data', start);
  let b = buf[pos++]!;
  if (b < 0x80) {
    c.pos = pos;
    return (b >>> 1) ^ -(b & 1);
  }
  let z = b & 0x7f;
  for (let shift = 7; ; shift += 7) {
    if (pos >= end) throw corrupt('varint past the end of the data', start);
    b = buf[pos++]!;
    if (shift === 28) {
      // The fifth byte holds the top four bits of a 32-bit value and ends the varint.
      if (b > 0x0f) throw corrupt('varint longer than 5 bytes or beyond 32 bits', start);
      z = (z | (b << 28)) >>> 0;
      break;
    }
    z |= (b & 0x7f) << shift;
    if (b < 0x80) break;
  }
  c.pos = pos;
  return (z >>> 1) ^ -(z & 1);
}

/**
 * Reads a varlong at `c.pos` and advances it. Throws CORRUPT_MESSAGE on a short one or one whose
 * value is beyond ±(2^53 − 1) (which includes every varlong longer than 8 bytes, so the 10-byte
 * int64 limit never comes into play).
 */
export function readVarlong(c: VarintCursor): number {
  const buf = c.buf;
  const start = c.pos;
  const end = c.end;
  let pos = start;
  if (pos >= end) throw corrupt('varlong past the end of the data', start);
  const first = buf[pos++]!;
  if (first < 0x80) {
    c.pos = pos;
    return (first >>> 1) ^ -(first & 1);
  }
  // rest = the bits above the first byte's seven.
  let rest = 0;
  let scale = 1;
  for (let i = 1; ; i++) {
    if (pos >= end) throw corrupt('varlong past the end of the data', start);
    const b = buf[pos++]!;
    rest += (b & 0x7f) * scale;
    scale *= TWO_POW_7;
    if (b < 0x80) break;
    // A ninth byte would carry bits 56 and up: beyond the safe range (Kafka never pads with
    // empty 0x80 groups, so a long-but-small encoding is not worth accepting either).
    if (i >= MAX_SAFE_VARLONG_BYTES - 1) throw corrupt('varlong beyond ±(2^53 − 1)', start);
  }
  if (rest >= MAX_SAFE_VARLONG_REST) throw corrupt('varlong beyond ±(2^53 − 1)', start);
  c.pos = pos;
  const base = ((first & 0x7f) >>> 1) + rest * 64;
  return first & 1 ? -base - 1 : base;
}

/** Decodes an int32 varint at `buf[pos]` (reading no further than `end`). */
export function decodeVarint(buf: Uint8Array, pos = 0, end = buf.length): DecodedVarint {
  const c: VarintCursor = { buf, pos, end };
  const value = readVarint(c);
  return { value, pos: c.pos };
}

/** Decodes a varlong at `buf[pos]` (reading no further than `end`). */
export function decodeVarlong(buf: Uint8Array, pos = 0, end = buf.length): DecodedVarint {
  const c: VarintCursor = { buf, pos, end };
  const value = readVarlong(c);
  return { value, pos: c.pos };
}
