/**
 * Builds RecordBatch v2 bytes for storage tests and reads them back. Record `n` of a test log holds
 * the value `rec-<n>` (plus optional padding), so a read can be checked against its offsets.
 */
import {
  type DecodedBatch,
  type DecodedRecord,
  decodeRecordBatches,
  encodeRecordBatch,
} from '../../src/protocol/record-batch.js';

export interface BatchSpec {
  /** Index of the batch's first record: its values are rec-<first>, rec-<first+1>, … */
  first: number;
  count: number;
  /** CreateTime of every record (default: a fixed 2024 instant plus `first`). */
  timestamp?: number;
  /** Padding bytes appended to each value, to make batches (and segments) fill faster. */
  pad?: number;
  compression?: 'none' | 'gzip';
}

export const BASE_TIMESTAMP = Date.UTC(2024, 0, 1);

export function recordValue(n: number, pad = 0): string {
  return `rec-${n}${pad > 0 ? `:${'x'.repeat(pad)}` : ''}`;
}

export function makeBatch(spec: BatchSpec): Uint8Array {
  const timestamp = spec.timestamp ?? BASE_TIMESTAMP + spec.first;
  const records = Array.from({ length: spec.count }, (_, i) => ({
    key: `k${spec.first + i}`,
    value: recordValue(spec.first + i, spec.pad ?? 0),
    timestamp,
  }));
  return encodeRecordBatch(records, { timestamp, compression: spec.compression ?? 'none' });
}

/** Several batches back to back in one buffer (a produce request's record set). */
export function concatBatches(batches: Uint8Array[]): Buffer {
  return Buffer.concat(batches);
}

/** Decodes every batch of a read's views. */
export function decodeViews(views: readonly Uint8Array[]): DecodedBatch[] {
  return views.flatMap((v) => decodeRecordBatches(v, { allowPartial: false }));
}

/** Every record of a read's views, in order. */
export function recordsOf(views: readonly Uint8Array[]): DecodedRecord[] {
  return decodeViews(views).flatMap((b) => b.records);
}

export function text(bytes: Uint8Array | null): string {
  return bytes === null ? '<null>' : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/** The record number a value stands for (rec-<n>[:pad]). */
export function numberOf(value: Uint8Array | null): number {
  const m = /^rec-(\d+)/.exec(text(value));
  if (m === null) throw new Error(`unexpected value ${text(value).slice(0, 40)}`);
  return Number(m[1]);
}
