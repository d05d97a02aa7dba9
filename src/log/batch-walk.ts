/**
 * What the log checks in TypeScript before handing a batch set to the storage engine: the batch
 * boundaries (the native append re-validates length, magic and CRC of each), `max.message.bytes`,
 * and the LogAppendTime stamp.
 * (The batch layout is documented in `protocol/record-batch-layout.ts`.)
 */
import { RivuletError } from '../errors.js';
import {
  ATTRIBUTES_OFFSET,
  BATCH_LENGTH_OFFSET,
  CRC_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAGIC_V2,
  MAX_TIMESTAMP_OFFSET,
  RECORD_BATCH_OVERHEAD,
  readInt64,
  setInt64,
  TIMESTAMP_TYPE_MASK,
  viewOf,
} from '../protocol/record-batch-layout.js';
import { native } from './native.js';

/** INVALID_ARGUMENT unless [start, start+length) is a range of `buf`. */
export function checkRange(buf: Uint8Array, start: number, length: number): void {
  if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 0 || start + length > buf.length) {
    throw new RivuletError(
      'INVALID_ARGUMENT',
      `range [${start}, ${start + length}) outside a ${buf.length}-byte buffer`,
    );
  }
}

/**
 * Walks the batch boundaries of `buf[start, start+length)`. Returns the number of batches;
 * CORRUPT_MESSAGE when a length does not add up, MESSAGE_TOO_LARGE above `maxMessageBytes`.
 */
export function walkBatches(buf: Uint8Array, start: number, length: number, maxMessageBytes: number): number {
  const view = viewOf(buf);
  const end = start + length;
  let pos = start;
  let count = 0;
  while (pos < end) {
    if (end - pos < RECORD_BATCH_OVERHEAD) {
      throw new RivuletError(
        'CORRUPT_MESSAGE',
        `truncated record batch at byte ${pos - start}: ${end - pos} bytes left`,
      );
    }
    const size = LOG_OVERHEAD + view.getInt32(pos + BATCH_LENGTH_OFFSET);
    if (size < RECORD_BATCH_OVERHEAD || size > end - pos) {
      throw new RivuletError('CORRUPT_MESSAGE', `record batch at byte ${pos - start} has a bad length ${size}`);
    }
    if (size > maxMessageBytes) {
      throw new RivuletError(
        'MESSAGE_TOO_LARGE',
        `record batch of ${size} bytes exceeds max.message.bytes ${maxMessageBytes}`,
        { details: { size, maxMessageBytes } },
      );
    }
    pos += size;
    count++;
  }
  return count;
}

/**
 * Stamps `now` as the LogAppendTime of every batch (attributes bit 3 and maxTimestamp, as Kafka's
 * `DefaultRecordBatch.setMaxTimestamp`), rewriting the CRC. Each CRC is checked before it is
 * rewritten, so a batch damaged in transit is refused rather than given a fresh, valid CRC.
 * Writes into `buf` (the request's own bytes).
 */
export function stampLogAppendTime(buf: Uint8Array, start: number, length: number, now: number): void {
  const view = viewOf(buf);
  const end = start + length;
  for (let pos = start; pos < end; ) {
    const size = LOG_OVERHEAD + view.getInt32(pos + BATCH_LENGTH_OFFSET);
    if (view.getInt8(pos + MAGIC_OFFSET) !== MAGIC_V2) {
      throw new RivuletError('CORRUPT_MESSAGE', `record batch at byte ${pos - start} is not magic ${MAGIC_V2}`);
    }
    const body = buf.subarray(pos + ATTRIBUTES_OFFSET, pos + size);
    if (native.crc32c(body) !== view.getUint32(pos + CRC_OFFSET)) {
      throw new RivuletError('CORRUPT_MESSAGE', `record batch at byte ${pos - start} fails its CRC`);
    }
    view.setInt16(pos + ATTRIBUTES_OFFSET, view.getInt16(pos + ATTRIBUTES_OFFSET) | TIMESTAMP_TYPE_MASK);
    setInt64(view, pos + MAX_TIMESTAMP_OFFSET, now);
    view.setUint32(pos + CRC_OFFSET, native.crc32c(body));
    pos += size;
  }
}

/** maxTimestamp of the batch at the start of `buf` (a zero-copy read), or -1 if there is none. */
export function firstBatchMaxTimestamp(buf: Uint8Array): number {
  if (buf.length < RECORD_BATCH_OVERHEAD) return -1;
  return readInt64(buf, MAX_TIMESTAMP_OFFSET, 'maxTimestamp');
}
