import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { accelerateCrc32c, crc32c, crc32cPortable as crc32cTs } from '../../src/protocol/crc32c.js';
import { native } from './helpers.js';

test('crc32c: standard check value of "123456789" is 0xE3069283', () => {
  assert.equal(native.crc32c(Buffer.from('123456789', 'ascii')), 0xe3069283);
});

test('crc32c: 32 zero bytes give 0x8A9136AA', () => {
  assert.equal(native.crc32c(new Uint8Array(32)), 0x8a9136aa);
});

test('crc32c: empty input is 0, and returns initial unchanged', () => {
  assert.equal(native.crc32c(new Uint8Array(0)), 0);
  assert.equal(native.crc32c(new Uint8Array(0), 0xdeadbeef), 0xdeadbeef);
});

test('crc32c: the implementation is named and hardware is used where the CPU has it', () => {
  const impl = native.crc32cImpl();
  assert.ok(['avx512-vpclmulqdq', 'sse4.2', 'armv8', 'portable'].includes(impl), impl);
  if (process.arch === 'x64') assert.ok(impl === 'sse4.2' || impl === 'avx512-vpclmulqdq', impl);
});

test('crc32c: native equals TypeScript on random buffers of every length 0..4096', () => {
  const data = randomBytes(4096 + 8);
  for (let length = 0; length <= 4096; length++) {
    // Vary the start so unaligned heads and tails are covered too.
    const start = length % 8;
    const slice = data.subarray(start, start + length);
    assert.equal(native.crc32c(slice), crc32cTs(slice), `length ${length}`);
  }
});

test('crc32c: native equals TypeScript on long inputs (three-stream block paths)', () => {
  const data = randomBytes(200_000);
  for (const length of [767, 768, 769, 24_575, 24_576, 24_577, 49_153, 65_536, 131_071, 199_999]) {
    for (const start of [0, 1, 5]) {
      const slice = data.subarray(start, start + length);
      assert.equal(native.crc32c(slice), crc32cTs(slice), `length ${length} start ${start}`);
    }
  }
});

test('crc32c: initial chains like the TypeScript version', () => {
  const data = randomBytes(10_000);
  for (let i = 0; i < 200; i++) {
    const cut = Math.floor(Math.random() * data.length);
    const whole = crc32cTs(data);
    const first = native.crc32c(data.subarray(0, cut));
    assert.equal(native.crc32c(data.subarray(cut), first), whole);
    const initial = (Math.random() * 0x1_0000_0000) >>> 0;
    const slice = data.subarray(cut, Math.min(data.length, cut + 300));
    assert.equal(native.crc32c(slice, initial), crc32cTs(slice, initial));
  }
});

test('crc32c: misuse throws TypeError or RangeError', () => {
  assert.throws(() => native.crc32c('abc' as unknown as Uint8Array), TypeError);
  assert.throws(() => native.crc32c(new Uint16Array(4) as unknown as Uint8Array), TypeError);
  assert.throws(() => native.crc32c(new Uint8Array(1), -1), RangeError);
  assert.throws(() => native.crc32c(new Uint8Array(1), 2 ** 32), RangeError);
  assert.throws(() => native.crc32c(new Uint8Array(1), 1.5), RangeError);
});

test('crc32c in TypeScript goes native once the addon is loaded, with the same results on ranges', () => {
  // Loading the addon (helpers.js did) installs it as the accelerator of protocol/crc32c.
  const data = randomBytes(70_000);
  let calls = 0;
  accelerateCrc32c((bytes, initial) => {
    calls++;
    return native.crc32c(bytes, initial);
  });
  try {
    for (let i = 0; i < 300; i++) {
      const start = Math.floor(Math.random() * 1000);
      const end = start + Math.floor(Math.random() * 69_000);
      const initial = i % 3 === 0 ? 0 : (Math.random() * 0x1_0000_0000) >>> 0;
      assert.equal(crc32c(data, initial, start, end), crc32cTs(data, initial, start, end), `[${start}, ${end})`);
    }
    assert.ok(calls > 0, 'large ranges went to the accelerator');
  } finally {
    accelerateCrc32c(native.crc32c);
  }
  const before = calls;
  assert.equal(crc32c(data.subarray(0, 100)), crc32cTs(data.subarray(0, 100)));
  assert.equal(calls, before, 'the counting accelerator is gone');
});

test('crc32c: every implementation this CPU runs equals TypeScript, on every length 0..4096 and long inputs', () => {
  const impls = native.crc32cImpls();
  assert.equal(impls[0], native.crc32cImpl());
  assert.equal(impls.at(-1), 'portable');
  if (process.arch === 'x64') assert.ok(impls.includes('sse4.2'), impls.join(', '));
  const data = randomBytes(200_000);
  for (const impl of impls) {
    assert.equal(native.crc32cUsing(impl, Buffer.from('123456789', 'ascii')), 0xe3069283, impl);
    for (let length = 0; length <= 4096; length++) {
      const start = length % 8;
      const slice = data.subarray(start, start + length);
      assert.equal(native.crc32cUsing(impl, slice), crc32cTs(slice), `${impl}, length ${length}`);
    }
    for (const length of [24_576, 24_577, 131_071, 199_999]) {
      const slice = data.subarray(1, 1 + length);
      assert.equal(native.crc32cUsing(impl, slice, 0x1234), crc32cTs(slice, 0x1234), `${impl}, length ${length}`);
    }
  }
  assert.throws(() => native.crc32cUsing('no-such-impl', new Uint8Array(1)), RangeError);
});
