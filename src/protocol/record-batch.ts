/**
 * Kafka RecordBatch v2: the bytes producers send, the log stores and consumers fetch, unchanged
 * (docs/ARCHITECTURE.md, "Disk format"). Isomorphic: Uint8Array in and out, no Node APIs, so the
 * SDK runs it in browsers; a Node Buffer is a Uint8Array and may be passed anywhere.
 *
 *   record-batch-layout.ts  the byte layout, header offsets, attribute bits, constants
 *   record-batch-encode.ts  encodeRecordBatch (the producer's hot path)
 *   record-batch-decode.ts  readBatchHeader, batchSize, verifyBatchCrc, decodeRecordBatches(Into)
 */
export type { CompressionType } from './compression.js';
export {
  type BatchHeader,
  batchSize,
  type DecodedBatch,
  type DecodedRecord,
  type DecodeOptions,
  decodeRecordBatch,
  decodeRecordBatches,
  decodeRecordBatchesInto,
  type RecordBuilder,
  readBatchHeader,
  verifyBatchCrc,
} from './record-batch-decode.js';
export {
  type BatchOptions,
  encodeRecordBatch,
  measureRecord,
  type RecordHeader,
  type RecordInput,
  sealRecordBatch,
  utf8Length,
  type WrittenRecords,
  writeBytes,
  writeMeasuredRecord,
} from './record-batch-encode.js';
export * from './record-batch-layout.js';
