import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32c } from '../../src/protocol/crc32c.js';

const ascii = (s: string) => new TextEncoder().encode(s);

/** Bit-at-a-time CRC-32C: slow, obviously right, independent of the table-driven one. */
function bitwiseCrc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

// Check values from RFC 3720 (iSCSI), appendix B.4, and the common "123456789" check value.
test('"123456789" gives the CRC-32C check value 0xE3069283', () => {
  assert.equal(crc32c(ascii('123456789')), 0xe3069283);
});

test('32 zero bytes give 0x8A9136AA (RFC 3720 B.4)', () => {
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
});

test('32 0xFF bytes give 0x62A8AB43 (RFC 3720 B.4)', () => {
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
});

test('32 ascending bytes give 0x46DD794E and 32 descending bytes 0x113FDB5C (RFC 3720 B.4)', () => {
  const up = Uint8Array.from({ length: 32 }, (_, i) => i);
  const down = Uint8Array.from({ length: 32 }, (_, i) => 31 - i);
  assert.equal(crc32c(up), 0x46dd794e);
  assert.equal(crc32c(down), 0x113fdb5c);
});

test('empty input gives 0', () => {
  assert.equal(crc32c(new Uint8Array(0)), 0);
});

test('chaining over split points equals one shot, at every split of an odd-length input', () => {
  const data = Uint8Array.from({ length: 1031 }, (_, i) => (i * 131 + 7) & 0xff);
  const whole = crc32c(data);
  for (let split = 0; split <= data.length; split += 1) {
    const first = crc32c(data, 0, 0, split);
    assert.equal(crc32c(data, first, split, data.length), whole, `split at ${split}`);
  }
  // Three pieces, through subarrays rather than start/end.
  const a = crc32c(data.subarray(0, 10));
  const b = crc32c(data.subarray(10, 500), a);
  assert.equal(crc32c(data.subarray(500), b), whole);
});

test('start/end select a window, the same as a subarray of it', () => {
  const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 17) & 0xff);
  for (const [s, e] of [
    [0, 0],
    [1, 2],
    [3, 11],
    [5, 300],
    [17, 290],
  ] as const) {
    assert.equal(crc32c(data, 0, s, e), crc32c(data.subarray(s, e)), `[${s}, ${e})`);
  }
});

test('the slicing-by-16 table path agrees with a bitwise CRC for every length up to 64', () => {
  const data = Uint8Array.from({ length: 64 }, (_, i) => (i * 73 + 41) & 0xff);
  for (let n = 0; n <= 64; n++) {
    assert.equal(crc32c(data.subarray(0, n)), bitwiseCrc32c(data.subarray(0, n)), `length ${n}`);
  }
});

test('works on a Node Buffer that is a slice of a larger pool', () => {
  const pooled = Buffer.from('xx123456789yy').subarray(2, 11);
  assert.notEqual(pooled.byteOffset, 0);
  assert.equal(crc32c(pooled), 0xe3069283);
});

test('the word-at-a-time path agrees with a bitwise CRC at every alignment and length around its threshold', () => {
  const data = new Uint8Array(400);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  for (let shift = 0; shift < 4; shift++) {
    for (const length of [63, 64, 65, 67, 80, 127, 128, 131, 200, 396 - shift]) {
      const window = data.subarray(shift, shift + length);
      assert.equal(crc32c(window), bitwiseCrc32c(window), `shift ${shift}, length ${length}`);
      assert.equal(crc32c(data, 0, shift, shift + length), bitwiseCrc32c(window), `start ${shift}, length ${length}`);
    }
  }
});

test('crc32cCombine: the CRC of A ‖ B from the CRCs of A and B, at every kind of split', async () => {
  const { crc32cCombine } = await import('../../src/protocol/crc32c-combine.js');
  const data = new Uint8Array(3 * 1024 * 1024 + 77);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  const whole = crc32c(data);
  for (const cut of [0, 1, 7, 61, 4096, 1024 * 1024, data.length - 1, data.length]) {
    const a = data.subarray(0, cut);
    const b = data.subarray(cut);
    assert.equal(crc32cCombine(crc32c(a), crc32c(b), b.length), whole, `cut at ${cut}`);
  }
  // Three parts, combined left to right, as the producer does run by run.
  const parts = [data.subarray(0, 100), data.subarray(100, 70_000), data.subarray(70_000)];
  let crc = crc32c(parts[0]!);
  for (const p of parts.slice(1)) crc = crc32cCombine(crc, crc32c(p), p.length);
  assert.equal(crc, whole);
  assert.equal(crc32cCombine(bitwiseCrc32c(ascii('1234')), bitwiseCrc32c(ascii('56789')), 5), 0xe3069283);
});
