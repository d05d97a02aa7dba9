import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RivuletError } from '../../src/errors.js';
import { crc32c } from '../../src/protocol/crc32c.js';
import {
  type DecodedRecord,
  decodeRecordBatches,
  encodeRecordBatch,
  RECORD_BATCH_OVERHEAD,
  type RecordInput,
  utf8Length,
} from '../../src/protocol/record-batch.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (s: string) => enc.encode(s);
const text = (b: Uint8Array | null) => (b === null ? null : dec.decode(b));
const invalidArgument = (err: unknown) => err instanceof RivuletError && err.code === 'INVALID_ARGUMENT';

const T0 = 1_700_000_000_000; // 0x0000018BCFE56800

function int64(v: bigint): number[] {
  const out: number[] = [];
  const u = BigInt.asUintN(64, v);
  for (let i = 7; i >= 0; i--) out.push(Number((u >> BigInt(i * 8)) & 0xffn));
  return out;
}
const int32 = (v: number) => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const int16 = (v: number) => [(v >>> 8) & 0xff, v & 0xff];

function only(buf: Uint8Array) {
  const batches = decodeRecordBatches(buf);
  assert.equal(batches.length, 1);
  return batches[0]!;
}

describe('encodeRecordBatch: exact bytes', () => {
  test('one record, key "k", value "v", one header, fixed timestamp: every byte as computed by hand', () => {
    const batch = encodeRecordBatch([{ key: 'k', value: 'v', headers: [{ key: 'h', value: bytes('x') }] }], {
      timestamp: T0,
    });

    // The record, field by field (varints are zigzag: n → 2n, -1 → 1).
    const record = [
      0x18, //           length 12 (the bytes after this varint)
      0x00, //           attributes
      0x00, //           timestampDelta 0 (varlong)
      0x00, //           offsetDelta 0
      0x02,
      0x6b, //     keyLength 1, "k"
      0x02,
      0x76, //     valueLength 1, "v"
      0x02, //           headerCount 1
      0x02,
      0x68, //     header keyLength 1, "h"
      0x02,
      0x78, //     header valueLength 1, "x"
    ];
    assert.equal(record.length, 13);
    const afterCrc = [
      ...int16(0), //                 attributes: no compression, CreateTime, not transactional
      ...int32(0), //                 lastOffsetDelta
      0x00,
      0x00,
      0x01,
      0x8b,
      0xcf,
      0xe5,
      0x68,
      0x00, // baseTimestamp 1700000000000
      0x00,
      0x00,
      0x01,
      0x8b,
      0xcf,
      0xe5,
      0x68,
      0x00, // maxTimestamp
      ...int64(-1n), //               producerId -1
      ...int16(0xffff), //            producerEpoch -1
      ...int32(0xffffffff), //        baseSequence -1
      ...int32(1), //                 recordCount
      ...record,
    ];
    const crc = crc32c(Uint8Array.from(afterCrc));
    const expected = [
      ...int64(0n), //                baseOffset
      ...int32(61 + 13 - 12), //      batchLength: everything after this field = 62
      ...int32(0xffffffff), //        partitionLeaderEpoch -1
      0x02, //                        magic
      ...int32(crc), //               CRC-32C of attributes..end
      ...afterCrc,
    ];
    assert.equal(expected.length, 74);
    assert.deepEqual([...batch], expected);
  });

  test('null key and value are length -1 (0x01); an empty key and value are length 0 (0x00)', () => {
    const nulls = encodeRecordBatch([{ key: null, value: null }], { timestamp: T0 });
    assert.deepEqual([...nulls.subarray(RECORD_BATCH_OVERHEAD)], [0x0c, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00]);
    const empties = encodeRecordBatch([{ key: '', value: new Uint8Array(0) }], { timestamp: T0 });
    assert.deepEqual([...empties.subarray(RECORD_BATCH_OVERHEAD)], [0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
  });

  test('the header carries producer id, epoch, sequence, leader epoch, base offset and the transactional bit', () => {
    const batch = encodeRecordBatch([{ value: 'a' }, { value: 'b' }, { value: 'c' }], {
      timestamp: T0,
      baseOffset: 2 ** 40 + 5,
      partitionLeaderEpoch: 9,
      producerId: 2 ** 50 + 3,
      producerEpoch: 0x1234,
      baseSequence: 0x7ffffffe,
      isTransactional: true,
    });
    assert.deepEqual([...batch.subarray(0, 8)], int64(2n ** 40n + 5n));
    assert.deepEqual([...batch.subarray(12, 16)], int32(9));
    assert.deepEqual([...batch.subarray(21, 23)], int16(0x10));
    assert.deepEqual([...batch.subarray(23, 27)], int32(2));
    assert.deepEqual([...batch.subarray(43, 51)], int64(2n ** 50n + 3n));
    assert.deepEqual([...batch.subarray(51, 53)], int16(0x1234));
    assert.deepEqual([...batch.subarray(53, 57)], int32(0x7ffffffe));
    assert.deepEqual([...batch.subarray(57, 61)], int32(3));
  });

  test('the CRC covers attributes to the end, so baseOffset and leader epoch can be stamped after', () => {
    const batch = encodeRecordBatch([{ value: 'v' }], { timestamp: T0 });
    const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
    assert.equal(view.getUint32(17), crc32c(batch, 0, 21, batch.length));
    view.setBigInt64(0, 123456789n);
    view.setInt32(12, 42);
    const decoded = only(batch);
    assert.equal(decoded.baseOffset, 123456789);
    assert.equal(decoded.partitionLeaderEpoch, 42);
    assert.equal(decoded.records[0]!.offset, 123456789);
  });
});

describe('encodeRecordBatch / decodeRecordBatches round trips', () => {
  test('null, empty and non-empty keys and values come back as they went in', () => {
    const input: RecordInput[] = [
      { key: null, value: null },
      { value: 'no key at all' },
      { key: '', value: '' },
      { key: new Uint8Array(0), value: new Uint8Array(0) },
      { key: bytes('k'), value: Uint8Array.from([0, 255, 128, 1]) },
    ];
    const { records } = only(encodeRecordBatch(input, { timestamp: T0 }));
    assert.deepEqual(
      records.map((r) => [r.key === null ? null : [...r.key], r.value === null ? null : [...r.value]]),
      [
        [null, null],
        [null, [...bytes('no key at all')]],
        [[], []],
        [[], []],
        [[0x6b], [0, 255, 128, 1]],
      ],
    );
  });

  test('strings are UTF-8: multi-byte characters, astral characters and a lone surrogate (as U+FFFD)', () => {
    const input = ['é', '€', '日本語', '😀 emoji', 'a\ud800b', '\udc00', `${'x'.repeat(200)}ü`];
    const { records } = only(
      encodeRecordBatch(
        input.map((s) => ({ key: s, value: s })),
        { timestamp: T0 },
      ),
    );
    records.forEach((r, i) => {
      const expected = enc.encode(input[i]!);
      assert.deepEqual([...r.key!], [...expected], `key ${i}`);
      assert.equal(utf8Length(input[i]!), expected.length, `utf8Length ${i}`);
    });
    assert.equal(text(records[4]!.value), 'a\ufffdb');
  });

  test('long string keys, values and headers (past 32 chars, past 2 MiB in all) survive, and the next batch too', () => {
    const long = (i: number) => `${'ü€😀'.repeat(i % 50)}${'payload-'.repeat(40)}#${i}`;
    const input = Array.from({ length: 3000 }, (_, i) => ({
      key: long(i + 1),
      value: long(i),
      headers: { [`header-name-that-is-long-${'-'.repeat(i % 40)}`]: long(i + 2) },
    }));
    const decoded = only(encodeRecordBatch(input, { timestamp: T0 }));
    decoded.records.forEach((r, i) => {
      assert.equal(text(r.key), long(i + 1));
      assert.equal(text(r.value), long(i));
      assert.equal(r.headers[0]!.key, `header-name-that-is-long-${'-'.repeat(i % 40)}`);
      assert.equal(text(r.headers[0]!.value), long(i + 2));
    });
    const after = only(encodeRecordBatch([{ key: 'short', value: long(7) }], { timestamp: T0 }));
    assert.equal(text(after.records[0]!.value), long(7));
  });

  test('headers: order, repeated keys, null and empty values, UTF-8 keys; object form in key order', () => {
    const input: RecordInput[] = [
      {
        value: 'a',
        headers: [
          { key: 'trace', value: bytes('1') },
          { key: 'trace', value: bytes('2') },
          { key: 'nothing', value: null },
          { key: 'empty', value: new Uint8Array(0) },
          { key: 'clé-日本', value: bytes('ü') },
          { key: '', value: bytes('empty key') },
        ],
      },
      { value: 'b', headers: { 'content-type': 'text/plain', gone: null, raw: Uint8Array.from([1, 2]) } },
      { value: 'c', headers: [] },
      { value: 'd', headers: {} },
    ];
    const { records } = only(encodeRecordBatch(input, { timestamp: T0 }));
    const flat = (r: DecodedRecord) => r.headers.map((h) => [h.key, h.value === null ? null : [...h.value]]);
    assert.deepEqual(flat(records[0]!), [
      ['trace', [0x31]],
      ['trace', [0x32]],
      ['nothing', null],
      ['empty', []],
      ['clé-日本', [...bytes('ü')]],
      ['', [...bytes('empty key')]],
    ]);
    assert.deepEqual(flat(records[1]!), [
      ['content-type', [...bytes('text/plain')]],
      ['gone', null],
      ['raw', [1, 2]],
    ]);
    assert.deepEqual(records[2]!.headers, []);
    assert.deepEqual(records[3]!.headers, []);
  });

  test('10,000 records: offsets are baseOffset + index and every value survives', () => {
    const input = Array.from({ length: 10_000 }, (_, i) => ({ key: `k${i}`, value: `value-${i}` }));
    const batch = only(encodeRecordBatch(input, { timestamp: T0, baseOffset: 1000 }));
    assert.equal(batch.recordCount, 10_000);
    assert.equal(batch.lastOffsetDelta, 9_999);
    batch.records.forEach((r, i) => {
      assert.equal(r.offset, 1000 + i);
      assert.equal(text(r.key), `k${i}`);
      assert.equal(text(r.value), `value-${i}`);
    });
  });

  test('per-record timestamps: negative deltas, deltas past int32, base = first, max = largest', () => {
    const stamps = [T0, T0 - 1, T0 + 2 ** 40, T0 - 2 ** 35, 0, T0 + 1];
    const batch = only(
      encodeRecordBatch(
        stamps.map((timestamp) => ({ value: 'x', timestamp })),
        { timestamp: 7 },
      ),
    );
    assert.equal(batch.baseTimestamp, T0);
    assert.equal(batch.maxTimestamp, T0 + 2 ** 40);
    assert.deepEqual(
      batch.records.map((r) => r.timestamp),
      stamps,
    );
  });

  test('records without a timestamp take the batch default; without one either, about now', () => {
    const fixed = only(encodeRecordBatch([{ value: 'a' }, { value: 'b', timestamp: T0 + 5 }], { timestamp: T0 }));
    assert.deepEqual(
      fixed.records.map((r) => r.timestamp),
      [T0, T0 + 5],
    );
    const before = Date.now();
    const now = only(encodeRecordBatch([{ value: 'a' }]));
    assert.ok(now.baseTimestamp >= before && now.baseTimestamp <= Date.now());
  });

  test('a large value (1 MiB) and a large record count in one batch', () => {
    const big = Uint8Array.from({ length: 1 << 20 }, (_, i) => i & 0xff);
    const { records } = only(encodeRecordBatch([{ value: big }, { value: 'small' }], { timestamp: T0 }));
    assert.deepEqual(records[0]!.value, big);
    assert.equal(text(records[1]!.value), 'small');
  });

  test('uncompressed keys and values are views into the input buffer, not copies', () => {
    const batch = encodeRecordBatch([{ key: 'key', value: 'value' }], { timestamp: T0 });
    const { records } = only(batch);
    assert.equal(records[0]!.value!.buffer, batch.buffer);
    batch[batch.length - 2] = 0x21; // changing the input shows through the view
    assert.equal(text(records[0]!.value), 'valu!');
  });

  test('decodes from a Node Buffer slice that starts inside a larger allocation', () => {
    const batch = encodeRecordBatch([{ key: 'k', value: 'v' }], { timestamp: T0 });
    const pooled = Buffer.concat([Buffer.from('garbage-before'), batch, Buffer.from('!')]);
    const slice = pooled.subarray(14, 14 + batch.length);
    assert.notEqual(slice.byteOffset, 0);
    const { records } = only(slice);
    assert.equal(text(records[0]!.value), 'v');
  });

  test('a batch built from Buffers (a Node caller) is the same as one built from Uint8Arrays', () => {
    const a = encodeRecordBatch([{ key: Buffer.from('k'), value: Buffer.from('v'.repeat(100)) }], { timestamp: T0 });
    const b = encodeRecordBatch([{ key: bytes('k'), value: bytes('v'.repeat(100)) }], { timestamp: T0 });
    assert.deepEqual(a, b);
  });
});

describe('encodeRecordBatch rejects unusable input', () => {
  test('an empty record list', () => {
    assert.throws(() => encodeRecordBatch([]), invalidArgument);
  });

  test('non-integer or unsafe timestamps and base offsets', () => {
    assert.throws(() => encodeRecordBatch([{ value: 'a', timestamp: 1.5 }]), invalidArgument);
    assert.throws(() => encodeRecordBatch([{ value: 'a' }], { timestamp: 2 ** 53 }), invalidArgument);
    assert.throws(() => encodeRecordBatch([{ value: 'a' }], { baseOffset: Number.NaN }), invalidArgument);
  });

  test('producer epoch, sequence and leader epoch out of their int16/int32 ranges', () => {
    assert.throws(() => encodeRecordBatch([{ value: 'a' }], { producerEpoch: 0x8000 }), invalidArgument);
    assert.throws(() => encodeRecordBatch([{ value: 'a' }], { baseSequence: 2 ** 31 }), invalidArgument);
    assert.throws(() => encodeRecordBatch([{ value: 'a' }], { partitionLeaderEpoch: -(2 ** 31) - 1 }), invalidArgument);
  });

  test('a key or value that is neither bytes, string nor null, with its path in the message', () => {
    const bad = [{ value: 'ok' }, { value: 42 as unknown as string }];
    assert.throws(() => encodeRecordBatch(bad), /records\/1\/value/);
    assert.throws(
      () => encodeRecordBatch([{ value: 'a', headers: [{ key: null as unknown as string, value: null }] }]),
      invalidArgument,
    );
  });
});
