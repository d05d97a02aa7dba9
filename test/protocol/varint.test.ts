import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RivuletError } from '../../src/errors.js';
import {
  decodeVarint,
  decodeVarlong,
  encodeVarint,
  encodeVarlong,
  readVarint,
  sizeOfVarint,
  sizeOfVarlong,
  type VarintCursor,
} from '../../src/protocol/varint.js';

const corrupt = (err: unknown) => err instanceof RivuletError && err.code === 'CORRUPT_MESSAGE';
const invalidArgument = (err: unknown) => err instanceof RivuletError && err.code === 'INVALID_ARGUMENT';

function varint(value: number): number[] {
  const buf = new Uint8Array(16);
  return [...buf.subarray(0, encodeVarint(value, buf, 0))];
}

function varlong(value: number): number[] {
  const buf = new Uint8Array(16);
  return [...buf.subarray(0, encodeVarlong(value, buf, 0))];
}

/** An independent zigzag int64 varint writer, on bigint, to check the number-only one against. */
function referenceVarlong(value: bigint): number[] {
  let z = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  const out: number[] = [];
  while (z >= 0x80n) {
    out.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  out.push(Number(z));
  return out;
}

// Expected bytes from Kafka's own ByteUtilsTest (testVarintSerde, testVarlongSerde),
// apache/kafka clients/src/test/java/org/apache/kafka/common/utils/ByteUtilsTest.java.
const VARINT_VECTORS: [number, number[]][] = [
  [0, [0x00]],
  [-1, [0x01]],
  [1, [0x02]],
  [63, [0x7e]],
  [-64, [0x7f]],
  [64, [0x80, 0x01]],
  [-65, [0x81, 0x01]],
  [8191, [0xfe, 0x7f]],
  [-8192, [0xff, 0x7f]],
  [8192, [0x80, 0x80, 0x01]],
  [-8193, [0x81, 0x80, 0x01]],
  [1048575, [0xfe, 0xff, 0x7f]],
  [-1048576, [0xff, 0xff, 0x7f]],
  [1048576, [0x80, 0x80, 0x80, 0x01]],
  [-1048577, [0x81, 0x80, 0x80, 0x01]],
  [134217727, [0xfe, 0xff, 0xff, 0x7f]],
  [-134217728, [0xff, 0xff, 0xff, 0x7f]],
  [134217728, [0x80, 0x80, 0x80, 0x80, 0x01]],
  [-134217729, [0x81, 0x80, 0x80, 0x80, 0x01]],
  [2 ** 31 - 1, [0xfe, 0xff, 0xff, 0xff, 0x0f]],
  [-(2 ** 31), [0xff, 0xff, 0xff, 0xff, 0x0f]],
];

const VARLONG_ONLY_VECTORS: [number, number[]][] = [
  [17179869183, [0xfe, 0xff, 0xff, 0xff, 0x7f]],
  [-17179869184, [0xff, 0xff, 0xff, 0xff, 0x7f]],
  [17179869184, [0x80, 0x80, 0x80, 0x80, 0x80, 0x01]],
  [-17179869185, [0x81, 0x80, 0x80, 0x80, 0x80, 0x01]],
  [2199023255551, [0xfe, 0xff, 0xff, 0xff, 0xff, 0x7f]],
  [-2199023255552, [0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]],
  [2199023255552, [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]],
  [-2199023255553, [0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]],
  [281474976710655, [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]],
  [-281474976710656, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]],
  [281474976710656, [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]],
  [-281474976710657, [0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]],
];

describe('varint (zigzag int32)', () => {
  test("Kafka's ByteUtilsTest vectors encode to the same bytes and decode back", () => {
    for (const [value, bytes] of VARINT_VECTORS) {
      assert.deepEqual(varint(value), bytes, `encode ${value}`);
      assert.equal(sizeOfVarint(value), bytes.length, `size ${value}`);
      assert.deepEqual(decodeVarint(Uint8Array.from(bytes)), { value, pos: bytes.length }, `decode ${value}`);
    }
  });

  test('encodes at a position and returns the position after it', () => {
    const buf = new Uint8Array(8).fill(0xaa);
    assert.equal(encodeVarint(64, buf, 3), 5);
    assert.deepEqual([...buf], [0xaa, 0xaa, 0xaa, 0x80, 0x01, 0xaa, 0xaa, 0xaa]);
    assert.deepEqual(decodeVarint(buf, 3), { value: 64, pos: 5 });
  });

  test('a cursor reads consecutive varints and stops at its end', () => {
    const buf = Uint8Array.from([0x01, 0x80, 0x01, 0x7e, 0x02]);
    const c: VarintCursor = { buf, pos: 0, end: 4 };
    assert.equal(readVarint(c), -1);
    assert.equal(readVarint(c), 64);
    assert.equal(readVarint(c), 63);
    assert.equal(c.pos, 4);
    assert.throws(() => readVarint(c), corrupt); // the fifth byte is past `end`
  });

  test('a varint cut short is corrupt, and the message says where', () => {
    assert.throws(() => decodeVarint(Uint8Array.from([0x80])), /varint past the end of the data at byte 0/);
    assert.throws(() => decodeVarint(Uint8Array.from([0x81, 0x80])), corrupt);
    assert.throws(() => decodeVarint(new Uint8Array(0)), corrupt);
    assert.throws(() => decodeVarint(Uint8Array.from([0x00, 0x80]), 1), /at byte 1/);
  });

  test("an overlong varint is corrupt (Kafka's testInvalidVarint: one overflow byte)", () => {
    assert.throws(() => decodeVarint(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01])), corrupt);
  });

  test('a fifth byte carrying bits beyond 32 is corrupt', () => {
    assert.throws(() => decodeVarint(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x1f])), corrupt);
    assert.throws(() => decodeVarint(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x10])), corrupt);
  });

  test('every int32 around each byte-length boundary round-trips with a matching size', () => {
    const buf = new Uint8Array(8);
    for (const edge of [0, 2 ** 6, 2 ** 13, 2 ** 20, 2 ** 27, 2 ** 31 - 1]) {
      for (const v of [edge - 1, edge, edge + 1, -edge - 1, 0 - edge, -edge + 1]) {
        if (v > 2 ** 31 - 1 || v < -(2 ** 31)) continue;
        const end = encodeVarint(v, buf, 0);
        assert.equal(end, sizeOfVarint(v), `size of ${v}`);
        assert.deepEqual(decodeVarint(buf), { value: v, pos: end }, `round trip ${v}`);
      }
    }
  });
});

describe('varlong (zigzag int64, safe-integer range)', () => {
  test("Kafka's ByteUtilsTest vectors within ±2^53 encode to the same bytes and decode back", () => {
    for (const [value, bytes] of [...VARINT_VECTORS, ...VARLONG_ONLY_VECTORS]) {
      assert.deepEqual(varlong(value), bytes, `encode ${value}`);
      assert.equal(sizeOfVarlong(value), bytes.length, `size ${value}`);
      assert.deepEqual(decodeVarlong(Uint8Array.from(bytes)), { value, pos: bytes.length }, `decode ${value}`);
    }
  });

  test('±(2^53 − 1), the largest safe magnitudes, take 8 bytes and round-trip exactly', () => {
    for (const v of [Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 53 - 2, -(2 ** 53) + 2]) {
      const bytes = varlong(v);
      assert.deepEqual(bytes, referenceVarlong(BigInt(v)), `bytes of ${v}`);
      assert.equal(bytes.length, 8);
      assert.equal(sizeOfVarlong(v), 8);
      assert.deepEqual(decodeVarlong(Uint8Array.from(bytes)), { value: v, pos: 8 });
    }
  });

  test('values just outside int32 switch to the wide path without a seam', () => {
    for (const v of [2 ** 31, -(2 ** 31) - 1, 2 ** 32, -(2 ** 32), 2 ** 32 + 1, 2 ** 35 - 1, -(2 ** 35)]) {
      const bytes = varlong(v);
      assert.deepEqual(bytes, referenceVarlong(BigInt(v)), `bytes of ${v}`);
      assert.equal(sizeOfVarlong(v), bytes.length, `size of ${v}`);
      assert.equal(decodeVarlong(Uint8Array.from(bytes)).value, v, `round trip ${v}`);
    }
  });

  test('pseudo-random safe integers of every magnitude match the bigint reference', () => {
    let seed = 0x2545f491;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    for (let i = 0; i < 5000; i++) {
      const magnitude = Math.floor(next() * 2 ** Math.floor(next() * 54));
      const v = Math.min(magnitude, Number.MAX_SAFE_INTEGER) * (next() < 0.5 ? -1 : 1) || 0; // no -0
      const bytes = varlong(v);
      assert.deepEqual(bytes, referenceVarlong(BigInt(v)), `bytes of ${v}`);
      assert.equal(sizeOfVarlong(v), bytes.length, `size of ${v}`);
      assert.equal(decodeVarlong(Uint8Array.from(bytes)).value, v, `round trip ${v}`);
    }
  });

  test('a varlong beyond ±(2^53 − 1) is corrupt, not rounded', () => {
    for (const v of [2n ** 53n, -(2n ** 53n) - 1n, 2n ** 55n - 1n, 2n ** 63n - 1n, -(2n ** 63n)]) {
      assert.throws(() => decodeVarlong(Uint8Array.from(referenceVarlong(v))), corrupt, `decode ${v}`);
    }
  });

  test("an overlong varlong is corrupt (Kafka's testInvalidVarlong: one overflow byte)", () => {
    const bytes = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    assert.throws(() => decodeVarlong(bytes), corrupt);
  });

  test('a varlong cut short is corrupt', () => {
    assert.throws(() => decodeVarlong(Uint8Array.from([0x80, 0x80, 0x80])), /varlong past the end/);
    assert.throws(() => decodeVarlong(new Uint8Array(0)), corrupt);
  });

  test('encoding a non-integer or unsafe number is an invalid argument', () => {
    const buf = new Uint8Array(16);
    for (const v of [2 ** 53, -(2 ** 53), 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => encodeVarlong(v, buf, 0), invalidArgument, `encode ${v}`);
      assert.throws(() => sizeOfVarlong(v), invalidArgument, `size ${v}`);
    }
  });
});
