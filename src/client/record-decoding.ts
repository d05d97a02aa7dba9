/**
 * Fetched record batches decoded into the messages handed to the application. This is the
 * per-record hot path: each record is built straight into its message, over the fetched bytes.
 */
import { RivuletError } from '../errors.js';
import { type BatchHeader, decodeRecordBatchesInto, type RecordBuilder } from '../protocol/record-batch.js';
import { bytesView, headersObject, NO_HEADERS } from './bytes.js';
import type { PartitionState } from './partition-state.js';
import type { KafkaMessage } from './types.js';

/** Bytes that fail their CRC or layout will fail the same way next time: stop, saying where. */
export function corruptAt(where: string, path: string, err: unknown): RivuletError {
  const why = err instanceof Error ? err.message : String(err);
  return new RivuletError('CORRUPT_MESSAGE', `${where}: ${why}`, { retriable: false, path, cause: err });
}

/**
 * The messages at or after `from` in `chunks`, and the offset after the last batch. With `s`, a
 * start by timestamp skips the records before it (moving `s.position` past them).
 */
export function decodeMessages(
  chunks: Uint8Array[],
  from: number,
  verifyCrc: boolean,
  s: PartitionState | undefined,
): { messages: KafkaMessage[]; next: number } {
  const messages: KafkaMessage[] = [];
  let next = from;
  const onBatch = (batch: BatchHeader, first: number): void => {
    const end = batch.baseOffset + batch.lastOffsetDelta + 1;
    if (end > next) next = end;
    if (batch.isControl) {
      messages.length = first;
      return;
    }
    // A fetch returns the whole batch holding the offset asked for: drop what is before it.
    if (batch.baseOffset >= from && s?.skipBeforeTimestamp === undefined) return;
    let kept = first;
    for (let i = first; i < messages.length; i++) {
      const m = messages[i]!;
      if (m.offset < from) continue;
      if (s?.skipBeforeTimestamp !== undefined) {
        if (m.timestamp < s.skipBeforeTimestamp) {
          if (s.position <= m.offset) s.position = m.offset + 1;
          continue;
        }
        s.skipBeforeTimestamp = undefined;
      }
      messages[kept++] = m;
    }
    messages.length = kept;
  };
  const opts = { verifyCrc };
  for (const chunk of chunks) decodeRecordBatchesInto(chunk, opts, buildMessage, messages, onBatch);
  return { messages, next };
}

/** Each record straight into the message handed out: byte views over the fetched bytes, no copies. */
const buildMessage: RecordBuilder<KafkaMessage> = (data, offset, timestamp, keyFrom, keyLength, valueFrom, valueLength, headers) => ({
  key: bytesView(data, keyFrom, keyLength),
  value: bytesView(data, valueFrom, valueLength),
  headers: headers === null ? NO_HEADERS : headersObject(headers),
  offset,
  timestamp,
});
