import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RivuletError } from '../../src/errors.js';
import { crc32c } from '../../src/protocol/crc32c.js';
import {
  batchSize,
  decodeRecordBatch,
  decodeRecordBatches,
  encodeRecordBatch,
  RECORD_BATCH_OVERHEAD,
  readBatchHeader,
  verifyBatchCrc,
} from '../../src/protocol/record-batch.js';

const T0 = 1_700_000_000_000;
const dec = new TextDecoder();
const text = (b: Uint8Array | null) => (b === null ? null : dec.decode(b));
const corrupt = (pattern?: RegExp) => (err: unknown) =>
  err instanceof RivuletError && err.code === 'CORRUPT_MESSAGE' && (pattern === undefined || pattern.test(err.message));

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Rewrites the CRC of the batch at 0 after a test edits its bytes, so only the edit is wrong. */
function reseal(batch: Uint8Array): Uint8Array {
  new DataView(batch.buffer, batch.byteOffset).setUint32(17, crc32c(batch, 0, 21, batch.length));
  return batch;
}

const sample = (n = 3, baseOffset = 0) =>
  encodeRecordBatch(
    Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    { timestamp: T0, baseOffset },
  );

describe('readBatchHeader', () => {
  test('reads every header field without decoding records', () => {
    const batch = encodeRecordBatch(
      [
        { value: 'a', timestamp: T0 },
        { value: 'b', timestamp: T0 + 10 },
      ],
      {
        baseOffset: 2 ** 40,
        partitionLeaderEpoch: 3,
        producerId: 2 ** 45 + 1,
        producerEpoch: 7,
        baseSequence: 100,
        isTransactional: true,
      },
    );
    assert.deepEqual(readBatchHeader(batch), {
      baseOffset: 2 ** 40,
      batchLength: batch.length - 12,
      partitionLeaderEpoch: 3,
      magic: 2,
      crc: crc32c(batch, 0, 21, batch.length),
      attributes: 0x10,
      compression: 'none',
      lastOffsetDelta: 1,
      baseTimestamp: T0,
      maxTimestamp: T0 + 10,
      producerId: 2 ** 45 + 1,
      producerEpoch: 7,
      baseSequence: 100,
      recordCount: 2,
      isTransactional: true,
      isControl: false,
    });
  });

  test('defaults: producer id, epoch, sequence and leader epoch are -1', () => {
    const h = readBatchHeader(sample());
    assert.equal(h.producerId, -1);
    assert.equal(h.producerEpoch, -1);
    assert.equal(h.baseSequence, -1);
    assert.equal(h.partitionLeaderEpoch, -1);
    assert.equal(h.isTransactional, false);
  });

  test('reads the batch at a non-zero position, and needs only the 61 header bytes', () => {
    const second = sample(2, 50);
    const buf = concat(sample(1), second);
    const at = sample(1).length;
    assert.equal(readBatchHeader(buf, at).baseOffset, 50);
    assert.equal(readBatchHeader(second.subarray(0, RECORD_BATCH_OVERHEAD)).recordCount, 2);
  });

  test('the control bit and the compression id are reported', () => {
    const batch = sample();
    batch[22] = 0x20 | 0x01; // control, gzip (low byte of the int16 attributes)
    const h = readBatchHeader(batch);
    assert.equal(h.isControl, true);
    assert.equal(h.compression, 'gzip');
  });

  test('fewer than 61 bytes, a magic other than 2, an impossible length or codec id 5-7 are corrupt', () => {
    const batch = sample();
    assert.throws(() => readBatchHeader(batch.subarray(0, 60)), corrupt(/fewer than its 61-byte header/));
    const v1 = batch.slice();
    v1[16] = 1;
    assert.throws(() => readBatchHeader(v1), corrupt(/magic 1/));
    const short = batch.slice();
    new DataView(short.buffer).setInt32(8, 48);
    assert.throws(() => readBatchHeader(short), corrupt(/batchLength 48/));
    const codec = batch.slice();
    codec[22] = 5;
    assert.throws(() => readBatchHeader(codec), corrupt(/compression id 5/));
  });

  test('a baseOffset beyond 2^53 is corrupt rather than silently rounded', () => {
    const batch = sample();
    new DataView(batch.buffer).setBigInt64(0, 2n ** 60n);
    assert.throws(() => readBatchHeader(batch), corrupt(/baseOffset/));
  });
});

describe('batchSize and verifyBatchCrc', () => {
  test('batchSize is 12 + batchLength, at any position', () => {
    const a = sample(1);
    const b = sample(5);
    const buf = concat(a, b);
    assert.equal(batchSize(buf, 0), a.length);
    assert.equal(batchSize(buf, a.length), b.length);
  });

  test('batchSize refuses fewer than 12 bytes and a batchLength below a bare header', () => {
    assert.throws(() => batchSize(new Uint8Array(11)), corrupt());
    assert.throws(() => batchSize(new Uint8Array(12)), corrupt(/batchLength 0/));
  });

  test('verifyBatchCrc: true for an intact batch, false after any flipped byte inside the CRC span', () => {
    const batch = sample();
    assert.equal(verifyBatchCrc(batch), true);
    for (const at of [21, 30, 60, RECORD_BATCH_OVERHEAD, batch.length - 1]) {
      const copy = batch.slice();
      copy[at]! ^= 0x01;
      assert.equal(verifyBatchCrc(copy), false, `flip at ${at}`);
    }
  });

  test('verifyBatchCrc ignores baseOffset and partitionLeaderEpoch, which lie before the CRC span', () => {
    const batch = sample();
    batch[7] = 99;
    batch[15] = 99;
    assert.equal(verifyBatchCrc(batch), true);
  });

  test('verifyBatchCrc is false for a batch cut short (nothing in it can be trusted)', () => {
    const batch = sample();
    assert.equal(verifyBatchCrc(batch.subarray(0, batch.length - 1)), false);
    assert.equal(verifyBatchCrc(batch.subarray(0, 20)), false);
  });
});

describe('decodeRecordBatches: framing', () => {
  test('several batches in one buffer decode in order with their own offsets', () => {
    const buf = concat(sample(2, 0), sample(3, 2), sample(1, 5));
    const batches = decodeRecordBatches(buf);
    assert.deepEqual(
      batches.map((b) => b.records.map((r) => r.offset)),
      [[0, 1], [2, 3, 4], [5]],
    );
    assert.equal(text(batches[1]!.records[2]!.value), 'v2');
  });

  test('an empty buffer has no batches', () => {
    assert.deepEqual(decodeRecordBatches(new Uint8Array(0)), []);
  });

  test('a trailing partial batch is ignored by default, as a fetch cut at maxBytes', () => {
    const whole = sample(2, 0);
    const next = sample(2, 2);
    for (const cut of [1, 11, 16, 17, 40, next.length - 1]) {
      const batches = decodeRecordBatches(concat(whole, next.subarray(0, cut)));
      assert.equal(batches.length, 1, `cut at ${cut}`);
      assert.equal(batches[0]!.records.length, 2);
    }
  });

  test('with allowPartial: false a truncated batch is corrupt, naming its position and size', () => {
    const whole = sample(2, 0);
    const next = sample(2, 2);
    const buf = concat(whole, next.subarray(0, 30));
    assert.throws(
      () => decodeRecordBatches(buf, { allowPartial: false }),
      corrupt(new RegExp(`batch at byte ${whole.length} is truncated: it needs ${next.length} bytes, 30 remain`)),
    );
    assert.throws(() => decodeRecordBatches(next.subarray(0, 5), { allowPartial: false }), corrupt(/truncated/));
  });

  test('decodeRecordBatch on a batch that runs past the buffer is corrupt', () => {
    const batch = sample();
    assert.throws(() => decodeRecordBatch(batch.subarray(0, batch.length - 1)), corrupt(/truncated/));
  });

  test('a length below a bare header is corrupt even when it would look partial', () => {
    const buf = concat(sample(1), new Uint8Array(20));
    assert.throws(() => decodeRecordBatches(buf), corrupt(/batchLength 0/));
  });
});

describe('decodeRecordBatches: damage', () => {
  test('a flipped bit in a value is a CRC mismatch, with stored and computed CRC in the message', () => {
    const batch = sample();
    batch[batch.length - 1]! ^= 0x40;
    assert.throws(
      () => decodeRecordBatches(batch),
      corrupt(/batch at byte 0 \(baseOffset 0\): CRC mismatch, stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}/),
    );
  });

  test('the CRC check can be turned off, and the damaged bytes then come through', () => {
    const batch = sample(1);
    batch[batch.length - 2] = 0x58; // "v0" → "vX" (the last byte is the header count)
    const [decoded] = decodeRecordBatches(batch, { verifyCrc: false });
    assert.equal(text(decoded!.records[0]!.value), 'vX');
  });

  test('the second batch being damaged names its own position', () => {
    const first = sample(1);
    const second = sample(1, 1);
    second[second.length - 1]! ^= 1;
    assert.throws(
      () => decodeRecordBatches(concat(first, second)),
      corrupt(new RegExp(`batch at byte ${first.length} \\(baseOffset 1\\)`)),
    );
  });

  test('recordCount larger than the records present is corrupt', () => {
    const batch = sample(3);
    batch[60] = 4;
    assert.throws(() => decodeRecordBatches(reseal(batch)), corrupt(/record 3/));
  });

  test('recordCount smaller than the records present leaves bytes over: corrupt', () => {
    const batch = sample(3);
    batch[60] = 2;
    assert.throws(() => decodeRecordBatches(reseal(batch)), corrupt(/bytes left after its 2 records/));
  });

  test('a negative or absurd recordCount is corrupt before anything is allocated', () => {
    const batch = sample(1);
    new DataView(batch.buffer).setInt32(57, -1);
    assert.throws(() => decodeRecordBatches(reseal(batch)), corrupt(/recordCount -1/));
    new DataView(batch.buffer).setInt32(57, 2 ** 31 - 1);
    assert.throws(() => decodeRecordBatches(reseal(batch)), corrupt(/recordCount 2147483647/));
  });

  test('a record length running past the batch is corrupt, naming the record', () => {
    const batch = sample(1);
    batch[61] = 0x7e; // length 63
    assert.throws(() => decodeRecordBatches(reseal(batch)), corrupt(/record 0 at byte 61: length 63 does not fit/));
  });

  test('a record length shorter than its fields is corrupt', () => {
    const batch = encodeRecordBatch(
      [
        { key: 'k', value: 'v' },
        { key: 'k', value: 'v' },
      ],
      { timestamp: T0 },
    );
    // Record 0 is: 0x10 (length 8) 00 00 00 02 'k' 02 'v' 00. Claim length 7: the header count is cut off.
    assert.equal(batch[61], 0x10);
    batch[61] = 0x0e;
    assert.throws(() => decodeRecordBatches(reseal(batch)), corrupt(/record 0/));
  });

  test('a key length running past its record is corrupt', () => {
    const batch = encodeRecordBatch([{ key: 'k', value: 'v' }], { timestamp: T0 });
    batch[65] = 0x0a; // keyLength 5 at byte 65, in a record whose 8 bytes end at 70
    assert.throws(
      () => decodeRecordBatches(reseal(batch)),
      corrupt(/record 0 at byte 61: length 5 at byte 65 runs past the record/),
    );
  });

  test('a key length below -1 is corrupt', () => {
    const batch = encodeRecordBatch([{ key: 'k', value: 'v' }], { timestamp: T0 });
    batch[65] = 0x03; // -2
    assert.throws(() => decodeRecordBatches(reseal(batch)), corrupt(/negative length -2/));
  });

  test('a null header key is corrupt (Kafka forbids it)', () => {
    const batch = encodeRecordBatch([{ value: 'v', headers: [{ key: 'h', value: null }] }], { timestamp: T0 });
    // record: len, attrs, ts, off, key -1, value 1 'v', count 1, header keyLength at 69
    assert.equal(batch[69], 0x02);
    batch[69] = 0x01;
    assert.throws(() => decodeRecordBatches(reseal(batch)), corrupt(/keys cannot be null/));
  });

  test('a varint that never ends inside its record is corrupt', () => {
    const batch = encodeRecordBatch([{ key: null, value: null }], { timestamp: T0 });
    // record: 0x0c 00 [ts] 00 01 01 00 → make the timestampDelta run on
    batch[63] = 0xff;
    batch[64] = 0xff;
    batch[65] = 0xff;
    batch[66] = 0xff;
    batch[67] = 0xff;
    assert.throws(
      () => decodeRecordBatches(reseal(batch)),
      corrupt(/record 0 at byte 61: varlong past the end of the data at byte 63/),
    );
  });

  test('LogAppendTime batches give every record the batch maxTimestamp', () => {
    const batch = encodeRecordBatch([
      { value: 'a', timestamp: T0 },
      { value: 'b', timestamp: T0 + 5 },
    ]);
    batch[22]! |= 0x08;
    new DataView(batch.buffer).setBigInt64(35, BigInt(T0 + 1000));
    const [decoded] = decodeRecordBatches(reseal(batch));
    assert.deepEqual(
      decoded!.records.map((r) => r.timestamp),
      [T0 + 1000, T0 + 1000],
    );
  });
});

describe('decodeRecordBatches: the common-record reader and the general one', () => {
  // Records whose varints all take one to three bytes and that have no headers are read by a
  // reader of their own (readPlainRecord, record-read.ts); anything else by the general one.
  // Each width and shape on either side of that line must come back exactly.
  const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
  const lengths = [null, 0, 1, 63, 64, 8182, 8183, 8192, 1_048_560, 1_048_566, 1_048_575, 1_048_576];

  test('keys and values of every varint width, with and without headers, each as it went in', () => {
    const records = lengths.flatMap((n, i) => [
      { key: n === null ? null : bytes(n, i), value: bytes(lengths.length - i, i), timestamp: T0 + i * 70 },
      { key: bytes(3, i), value: n === null ? null : bytes(n, i + 1), timestamp: T0 - i * 70 },
      { key: null, value: bytes(5, i), headers: [{ key: 'h', value: bytes(2, i) }], timestamp: T0 + 10_000 * i },
    ]);
    const [batch] = decodeRecordBatches(encodeRecordBatch(records, { timestamp: T0, baseOffset: 40 }));
    assert.equal(batch!.records.length, records.length);
    for (const [i, r] of batch!.records.entries()) {
      const want = records[i]!;
      assert.equal(r.offset, 40 + i);
      assert.equal(r.timestamp, want.timestamp);
      assert.deepEqual(r.key, want.key, `record ${i} key`);
      assert.deepEqual(r.value, want.value, `record ${i} value`);
      assert.deepEqual(
        r.headers.map((h) => h.key),
        (want.headers ?? []).map((h) => h.key),
      );
    }
  });

  test('offset deltas past 8,191 (varints of three bytes) keep their offsets and values', () => {
    const records = Array.from({ length: 9000 }, (_, i) => ({ key: null, value: bytes(4, i) }));
    const [batch] = decodeRecordBatches(encodeRecordBatch(records, { timestamp: T0 }));
    assert.equal(batch!.records.length, 9000);
    for (const i of [0, 8191, 8192, 8999]) {
      assert.equal(batch!.records[i]!.offset, i);
      assert.deepEqual(batch!.records[i]!.value, records[i]!.value);
    }
  });

  test('a common-looking record whose value runs past it is still corrupt, named by the general reader', () => {
    const batch = encodeRecordBatch([{ key: null, value: 'abc' }], { timestamp: T0 });
    // record: length 0x12 (9), attributes, ts 0, offset 0, key -1 (0x01), value length 3 (0x06), 'abc', headers 0
    assert.equal(batch[66], 0x06);
    batch[66] = 0x0a; // value length 5: one byte past the record's end
    assert.throws(
      () => decodeRecordBatches(reseal(batch)),
      corrupt(/record 0 at byte 61: length 5 at byte 66 runs past the record/),
    );
  });
});
