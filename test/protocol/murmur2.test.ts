import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RivuletError } from '../../src/errors.js';
import { defaultPartition, murmur2, toPositive } from '../../src/protocol/murmur2.js';

const ascii = (s: string) => new TextEncoder().encode(s);

// apache/kafka clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java, testMurmur2:
// Utils.murmur2 of these byte strings, as Java ints.
const KAFKA_UTILS_TEST_VECTORS: [string, number][] = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
];

test("matches Kafka's UtilsTest.testMurmur2 vectors (tails of 0, 2 and 3 bytes)", () => {
  for (const [key, expected] of KAFKA_UTILS_TEST_VECTORS) {
    assert.equal(murmur2(ascii(key)), expected, key);
  }
});

// Partitions the Java client's default partitioner gave for these keys over 1000 partitions, as
// recorded in dpkp/kafka-python test/test_partitioner.py, test_murmur2_java_compatibility
// ("compare with output from Kafka's org.apache.kafka.clients.producer.Partitioner").
test('picks the partitions the Java client picks over 1000 partitions (the empty key, 1-byte tails)', () => {
  const cases: [Uint8Array, number][] = [
    [new Uint8Array(0), 681],
    [ascii('a'), 524],
    [ascii('ab'), 434],
    [ascii('abc'), 107],
    [ascii('123456789'), 566],
    [Uint8Array.from([0x00, 0x20]), 742],
  ];
  for (const [key, partition] of cases) assert.equal(defaultPartition(key, 1000), partition, `key ${[...key]}`);
});

test('defaultPartition is toPositive(murmur2(key)) % n, and stays in [0, n)', () => {
  for (const [key, hash] of KAFKA_UTILS_TEST_VECTORS) {
    for (const n of [1, 2, 3, 7, 12, 100, 2 ** 31 - 1]) {
      const p = defaultPartition(ascii(key), n);
      assert.equal(p, (hash & 0x7fffffff) % n);
      assert.ok(p >= 0 && p < n);
    }
  }
});

test('toPositive clears the sign bit (Integer.MIN_VALUE maps to 0, unlike Math.abs)', () => {
  assert.equal(toPositive(-(2 ** 31)), 0);
  assert.equal(toPositive(-1), 0x7fffffff);
  assert.equal(toPositive(-973932308), -973932308 & 0x7fffffff);
  assert.equal(toPositive(123), 123);
});

test('bytes ≥ 0x80 are hashed as unsigned, as Java masks them with 0xff', () => {
  // Java sign-extends a byte unless masked; Kafka masks. A high byte in the tail and in a block.
  const a = murmur2(Uint8Array.from([0xff, 0x80, 0x81]));
  const b = murmur2(Uint8Array.from([0xff, 0xfe, 0xfd, 0xfc, 0x90]));
  assert.ok(Number.isInteger(a) && a >= -(2 ** 31) && a < 2 ** 31);
  assert.ok(Number.isInteger(b) && b >= -(2 ** 31) && b < 2 ** 31);
  assert.equal(murmur2(Buffer.from([0xff, 0x80, 0x81])), a);
});

test('a hash is the same for a Buffer slice as for a fresh Uint8Array', () => {
  const slice = Buffer.from('..foobar..').subarray(2, 8);
  assert.equal(murmur2(slice), -790332482);
});

test('zero or fractional partition counts are an invalid argument', () => {
  for (const n of [0, -1, 1.5, Number.NaN]) {
    assert.throws(
      () => defaultPartition(ascii('k'), n),
      (err: unknown) => err instanceof RivuletError && err.code === 'INVALID_ARGUMENT',
    );
  }
});
