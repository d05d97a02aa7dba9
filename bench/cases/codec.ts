/**
 * Codec micro-benchmarks: the producer's encode, the consumer's decode, the TypeScript CRC-32C and
 * the key hash. Task names say how much one operation covers, so records/s = ops/s × records per
 * op and bytes/s = ops/s × bytes per op.
 */
import type { Bench } from 'tinybench';
import { crc32cPortable as crc32c } from '../../src/protocol/crc32c.js';
import { murmur2 } from '../../src/protocol/murmur2.js';
import { decodeRecordBatches, encodeRecordBatch, type RecordInput } from '../../src/protocol/record-batch.js';

const RECORDS_PER_BATCH = 100;
const VALUE_BYTES = 100;
const KEYS = 1024;
const KEY_BYTES = 16;

/** Deterministic filler, so runs compare. */
function filled(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export function addCodecCases(bench: Bench): void {
  const records: RecordInput[] = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({
    key: `key-${i % 16}`,
    value: filled(VALUE_BYTES, i + 1),
  }));
  const batch = encodeRecordBatch(records, { timestamp: 1_700_000_000_000 });
  const crc16k = filled(16 * 1024, 7);
  const crc1m = filled(1024 * 1024, 11);
  const keys = Array.from({ length: KEYS }, (_, i) => filled(KEY_BYTES, i + 101));

  // Every task returns its result (tinybench ignores it), so the work cannot be optimised away.
  let k = 0;

  bench
    .add(
      `encodeRecordBatch: ${RECORDS_PER_BATCH} records × ${VALUE_BYTES} B values (records/op = ${RECORDS_PER_BATCH})`,
      () => {
        return encodeRecordBatch(records, { timestamp: 1_700_000_000_000 });
      },
    )
    .add(
      `decodeRecordBatches + CRC: ${RECORDS_PER_BATCH} records × ${VALUE_BYTES} B values (records/op = ${RECORDS_PER_BATCH})`,
      () => {
        return decodeRecordBatches(batch);
      },
    )
    .add('crc32c (TypeScript): 16 KiB (bytes/op = 16384)', () => {
      return crc32c(crc16k);
    })
    .add('crc32c (TypeScript): 1 MiB (bytes/op = 1048576)', () => {
      return crc32c(crc1m);
    })
    .add(`murmur2: ${KEY_BYTES}-byte key (keys/op = 1)`, () => {
      return murmur2(keys[k++ & (KEYS - 1)]!);
    });
}
