import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { gunzipSync as fflateGunzip, gzipSync as fflateGzip } from 'fflate';
import { RivuletError } from '../../src/errors.js';
import { compress, decompress, hasCodec, registerCodec } from '../../src/protocol/compression.js';
import { crc32c } from '../../src/protocol/crc32c.js';
import {
  decodeRecordBatches,
  encodeRecordBatch,
  RECORD_BATCH_OVERHEAD,
  type RecordInput,
  readBatchHeader,
} from '../../src/protocol/record-batch.js';

const T0 = 1_700_000_000_000;
const dec = new TextDecoder();
const text = (b: Uint8Array | null) => (b === null ? null : dec.decode(b));
const hasCode = (code: string, pattern?: RegExp) => (err: unknown) =>
  err instanceof RivuletError && err.code === code && (pattern === undefined || pattern.test(err.message));

const INPUT: RecordInput[] = Array.from({ length: 200 }, (_, i) => ({
  key: `user-${i % 7}`,
  value: `{"event":"click","page":"/products/${i % 13}","n":${i}}`,
  headers: i % 3 === 0 ? [{ key: 'trace', value: Uint8Array.of(i & 0xff) }] : undefined,
}));

/** Rebuilds `plain` (an uncompressed batch) with its records section compressed by `pack` under codec `id`. */
function recompress(plain: Uint8Array, id: number, pack: (b: Uint8Array) => Uint8Array): Uint8Array {
  const packed = pack(plain.subarray(RECORD_BATCH_OVERHEAD));
  const out = new Uint8Array(RECORD_BATCH_OVERHEAD + packed.length);
  out.set(plain.subarray(0, RECORD_BATCH_OVERHEAD));
  out.set(packed, RECORD_BATCH_OVERHEAD);
  const view = new DataView(out.buffer);
  view.setInt32(8, out.length - 12);
  view.setInt16(21, (view.getInt16(21) & ~0x07) | id);
  view.setUint32(17, crc32c(out, 0, 21, out.length));
  return out;
}

describe('gzip batches', () => {
  test('a gzip batch round-trips and says gzip in attributes bits 0-2', () => {
    const batch = encodeRecordBatch(INPUT, { timestamp: T0, compression: 'gzip' });
    const header = readBatchHeader(batch);
    assert.equal(header.attributes & 0x07, 1);
    assert.equal(header.compression, 'gzip');
    assert.equal(header.recordCount, INPUT.length);
    const [decoded] = decodeRecordBatches(batch);
    decoded!.records.forEach((r, i) => {
      assert.equal(r.offset, i);
      assert.equal(text(r.key), INPUT[i]!.key);
      assert.equal(text(r.value), INPUT[i]!.value);
      assert.equal(r.headers.length, i % 3 === 0 ? 1 : 0);
    });
  });

  test('the header stays uncompressed; only the records section shrinks', () => {
    const plain = encodeRecordBatch(INPUT, { timestamp: T0 });
    const packed = encodeRecordBatch(INPUT, { timestamp: T0, compression: 'gzip' });
    assert.ok(packed.length < plain.length / 3, `${packed.length} vs ${plain.length}`);
    // Header bytes other than length, CRC and attributes are identical.
    assert.deepEqual(packed.subarray(23, RECORD_BATCH_OVERHEAD), plain.subarray(23, RECORD_BATCH_OVERHEAD));
    assert.deepEqual(packed.subarray(0, 8), plain.subarray(0, 8));
  });

  test("the records section is standard gzip: node:zlib's gunzip gives the uncompressed records", () => {
    const plain = encodeRecordBatch(INPUT, { timestamp: T0 });
    const packed = encodeRecordBatch(INPUT, { timestamp: T0, compression: 'gzip' });
    const section = packed.subarray(RECORD_BATCH_OVERHEAD);
    assert.deepEqual([...section.subarray(0, 2)], [0x1f, 0x8b]); // the gzip magic
    assert.deepEqual(new Uint8Array(gunzipSync(section)), plain.subarray(RECORD_BATCH_OVERHEAD));
  });

  test('a batch gzipped by node:zlib (as a Java producer would) decodes', () => {
    const plain = encodeRecordBatch(INPUT, { timestamp: T0 });
    const foreign = recompress(plain, 1, (b) => gzipSync(b, { level: 9 }));
    const [decoded] = decodeRecordBatches(foreign);
    assert.equal(decoded!.records.length, INPUT.length);
    assert.equal(text(decoded!.records[199]!.value), INPUT[199]!.value);
  });

  test('keys and values of a compressed batch are views into the decompressed bytes, not the input', () => {
    const batch = encodeRecordBatch(INPUT, { timestamp: T0, compression: 'gzip' });
    const [decoded] = decodeRecordBatches(batch);
    assert.notEqual(decoded!.records[0]!.value!.buffer, batch.buffer);
  });

  test('the CRC covers the compressed bytes: a flipped byte there is a CRC mismatch', () => {
    const batch = encodeRecordBatch(INPUT, { timestamp: T0, compression: 'gzip' });
    batch[RECORD_BATCH_OVERHEAD + 20]! ^= 0xff;
    assert.throws(() => decodeRecordBatches(batch), hasCode('CORRUPT_MESSAGE', /CRC mismatch/));
  });

  test('gzip bytes that do not inflate are corrupt, not a crash', () => {
    const plain = encodeRecordBatch(INPUT, { timestamp: T0 });
    const garbage = recompress(plain, 1, () => Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff));
    assert.throws(() => decodeRecordBatches(garbage), hasCode('CORRUPT_MESSAGE', /gzip data does not decompress/));
    assert.throws(() => decompress('gzip', Uint8Array.of(1, 2, 3)), hasCode('CORRUPT_MESSAGE'));
  });
});

describe('codec registry', () => {
  test("'none' passes data through; gzip is installed by default, the others are not", () => {
    const data = Uint8Array.of(1, 2, 3);
    assert.equal(compress('none', data), data);
    assert.equal(decompress('none', data), data);
    assert.equal(hasCodec('gzip'), true);
    assert.equal(hasCodec('snappy'), false);
    assert.equal(hasCodec('lz4'), false);
    assert.equal(hasCodec('zstd'), false);
  });

  test('encoding with a codec that is not installed is UNSUPPORTED_COMPRESSION_TYPE', () => {
    for (const type of ['snappy', 'lz4', 'zstd'] as const) {
      assert.throws(
        () => encodeRecordBatch([{ value: 'v' }], { compression: type }),
        hasCode('UNSUPPORTED_COMPRESSION_TYPE', new RegExp(type)),
      );
    }
    for (const name of ['brotli', 'toString', '__proto__']) {
      assert.throws(
        () => encodeRecordBatch([{ value: 'v' }], { compression: name as 'gzip' }),
        hasCode('UNSUPPORTED_COMPRESSION_TYPE', /unknown compression type/),
      );
    }
  });

  test('decoding a zstd batch without a zstd codec is UNSUPPORTED_COMPRESSION_TYPE', () => {
    const plain = encodeRecordBatch([{ value: 'v' }], { timestamp: T0 });
    const zstd = recompress(plain, 4, (b) => b);
    assert.throws(() => decodeRecordBatches(zstd), hasCode('UNSUPPORTED_COMPRESSION_TYPE', /zstd/));
  });

  test("'none' cannot be replaced and unknown names cannot be registered", () => {
    const codec = { compress: (b: Uint8Array) => b, decompress: (b: Uint8Array) => b };
    assert.throws(() => registerCodec('none', codec), hasCode('INVALID_ARGUMENT'));
    assert.throws(() => registerCodec('brotli' as 'gzip', codec), hasCode('INVALID_ARGUMENT'));
    assert.throws(() => registerCodec('toString' as 'gzip', codec), hasCode('INVALID_ARGUMENT'));
  });

  test('a registered codec (node:zlib for gzip, as the Node side may do) is used both ways', () => {
    let calls = 0;
    registerCodec('gzip', {
      compress: (b) => {
        calls++;
        return gzipSync(b);
      },
      decompress: (b) => {
        calls++;
        return gunzipSync(b);
      },
    });
    try {
      const batch = encodeRecordBatch(INPUT, { timestamp: T0, compression: 'gzip' });
      const [decoded] = decodeRecordBatches(batch);
      assert.equal(calls, 2);
      assert.equal(text(decoded!.records[5]!.value), INPUT[5]!.value);
      // fflate, the default, reads what node:zlib wrote.
      const section = batch.subarray(RECORD_BATCH_OVERHEAD);
      assert.deepEqual(fflateGunzip(section), new Uint8Array(gunzipSync(section)));
    } finally {
      registerCodec('gzip', { compress: (b) => fflateGzip(b), decompress: (b) => fflateGunzip(b) });
    }
  });

  test('a codec added for a new type (lz4 here, a stand-in) makes such batches encodable and decodable', () => {
    registerCodec('lz4', { compress: (b) => b.slice().reverse(), decompress: (b) => b.slice().reverse() });
    const batch = encodeRecordBatch([{ key: 'k', value: 'v' }], { timestamp: T0, compression: 'lz4' });
    assert.equal(readBatchHeader(batch).compression, 'lz4');
    assert.equal(text(decodeRecordBatches(batch)[0]!.records[0]!.value), 'v');
  });
});
