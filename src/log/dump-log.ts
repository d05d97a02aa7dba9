/**
 * `dumpLog(path)`: what a segment's `.log` file holds, batch by batch, read with node:fs and the
 * TypeScript codec only, so it works without the addon and on a copy taken from a broken broker.
 *
 * The walk stops at the first batch it cannot trust and says where and why (a bad length, a wrong
 * magic, a CRC mismatch, a batch cut short by the end of the file). A zeroed header (baseOffset 0
 * and batchLength 0) is the preallocated tail of an active or crashed segment: the end of data,
 * not an error.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { readBatchHeader, verifyBatchCrc } from '../protocol/record-batch.js';
import {
  BATCH_LENGTH_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAGIC_V2,
  MIN_BATCH_LENGTH,
  readInt32,
  TIMESTAMP_TYPE_MASK,
} from '../protocol/record-batch-layout.js';

export interface DumpedBatch {
  /** Byte position of the batch in the file. */
  position: number;
  baseOffset: number;
  lastOffset: number;
  /** Records in the batch. */
  count: number;
  /** Bytes of the batch (12 + batchLength). */
  size: number;
  crcOk: boolean;
  baseTimestamp: number;
  maxTimestamp: number;
  timestampType: 'CreateTime' | 'LogAppendTime';
  compression: string;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  isTransactional: boolean;
  isControl: boolean;
}

export interface DumpResult {
  batches: DumpedBatch[];
  /** Bytes of valid batches (where recovery would cut). */
  validBytes: number;
  /** Size of the file. */
  fileSize: number;
  /** The first batch that cannot be trusted; absent when the data ended cleanly. */
  invalid?: { position: number; reason: string };
  /** A human-readable listing, one line per batch and a last line that says how it ended. */
  text: string;
}

export function dumpLog(path: string): DumpResult {
  const fd = openSync(path, 'r');
  try {
    return walk(fd, fstatSync(fd).size, path);
  } finally {
    closeSync(fd);
  }
}

function walk(fd: number, fileSize: number, path: string): DumpResult {
  const batches: DumpedBatch[] = [];
  const lines: string[] = [`Dumping ${path}`];
  let buf = Buffer.allocUnsafe(64 * 1024);
  let position = 0;
  let invalid: { position: number; reason: string } | undefined;
  let end = 'end of file';

  const readAt = (pos: number, length: number): Buffer => {
    if (buf.length < length) buf = Buffer.allocUnsafe(Math.max(length, buf.length * 2));
    let got = 0;
    while (got < length) {
      const n = readSync(fd, buf, got, length - got, pos + got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  };

  while (position < fileSize) {
    const left = fileSize - position;
    if (left < LOG_OVERHEAD) {
      const head = readAt(position, left);
      if (head.every((b) => b === 0)) {
        end = `end of data: ${left} zero bytes of preallocated space follow`;
      } else {
        invalid = { position, reason: `truncated: ${left} bytes left, too few for a batch header` };
      }
      break;
    }
    const head = readAt(position, LOG_OVERHEAD);
    const batchLength = readInt32(head, BATCH_LENGTH_OFFSET);
    if (batchLength === 0 && head.every((b) => b === 0)) {
      end = `end of data: ${left} bytes of zero preallocation follow`;
      break;
    }
    if (batchLength < MIN_BATCH_LENGTH) {
      invalid = { position, reason: `bad length: batchLength ${batchLength} is below the minimum ${MIN_BATCH_LENGTH}` };
      break;
    }
    const size = LOG_OVERHEAD + batchLength;
    if (size > left) {
      invalid = { position, reason: `truncated: the batch needs ${size} bytes, only ${left} remain in the file` };
      break;
    }
    const bytes = readAt(position, size);
    if (bytes[MAGIC_OFFSET] !== MAGIC_V2) {
      invalid = { position, reason: `bad magic: ${bytes[MAGIC_OFFSET]}, expected ${MAGIC_V2}` };
      break;
    }
    let header: ReturnType<typeof readBatchHeader>;
    try {
      header = readBatchHeader(bytes, 0);
    } catch (err) {
      invalid = { position, reason: `bad header: ${(err as Error).message}` };
      break;
    }
    const crcOk = verifyBatchCrc(bytes, 0);
    const batch: DumpedBatch = {
      position,
      baseOffset: header.baseOffset,
      lastOffset: header.baseOffset + header.lastOffsetDelta,
      count: header.recordCount,
      size,
      crcOk,
      baseTimestamp: header.baseTimestamp,
      maxTimestamp: header.maxTimestamp,
      timestampType: (header.attributes & TIMESTAMP_TYPE_MASK) !== 0 ? 'LogAppendTime' : 'CreateTime',
      compression: header.compression,
      producerId: header.producerId,
      producerEpoch: header.producerEpoch,
      baseSequence: header.baseSequence,
      isTransactional: header.isTransactional,
      isControl: header.isControl,
    };
    if (!crcOk) {
      invalid = { position, reason: `CRC mismatch: stored ${hex(header.crc)} does not match the batch's bytes` };
      lines.push(`${line(batch)} (invalid)`);
      break;
    }
    batches.push(batch);
    lines.push(line(batch));
    position += size;
  }
  if (invalid !== undefined) {
    lines.push(`invalid batch at position ${invalid.position}: ${invalid.reason}`);
    lines.push(`${position} bytes of valid batches; recovery cuts everything from position ${position} on`);
  } else {
    lines.push(`${batches.length} batches, ${position} bytes; ${end}`);
  }
  const result: DumpResult = { batches, validBytes: position, fileSize, text: `${lines.join('\n')}\n` };
  if (invalid !== undefined) result.invalid = invalid;
  return result;
}

function line(b: DumpedBatch): string {
  return (
    `baseOffset: ${b.baseOffset} lastOffset: ${b.lastOffset} count: ${b.count} position: ${b.position} ` +
    `size: ${b.size} maxTimestamp: ${b.maxTimestamp} ${b.timestampType} compression: ${b.compression} ` +
    `producerId: ${b.producerId} producerEpoch: ${b.producerEpoch} baseSequence: ${b.baseSequence} ` +
    `isTransactional: ${b.isTransactional} isControl: ${b.isControl} crcOk: ${b.crcOk}`
  );
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
