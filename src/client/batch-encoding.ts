/**
 * A batch's bytes and sequence numbers: completed once, when it is first taken for sending (its
 * sequence is fixed then): the records written during send() get their header and CRC in place,
 * or, compressed, go into a new buffer from the pool; re-stamped in place after an epoch bump.
 * The halves of a split batch are encoded whole here, from their records.
 */
import { RivuletError } from '../errors.js';
import { type BatchOptions, encodeRecordBatch, sealRecordBatch } from '../protocol/record-batch.js';
import type { Accumulator, OutgoingBatch, PartitionQueue } from './accumulator.js';
import type { BatchBufferPool } from './batch-buffers.js';
import { giveUp } from './batch-settlement.js';
import { nextSequence, type ProducerIdentity, restamp } from './producer-identity.js';
import type { SenderOptions } from './sender.js';

/** What encoding (and choosing what to send) reads of the sender. */
export interface EncodingContext {
  readonly acc: Accumulator;
  readonly identity: ProducerIdentity;
  readonly opts: SenderOptions;
  readonly buffers: BatchBufferPool;
  /** `buffers.take`, bound once. */
  readonly take: (size: number) => Uint8Array;
}

/** Encodes `b` (once; its sequence is fixed here). False when it cannot be sent: it failed. */
export function encode(s: EncodingContext, q: PartitionQueue, b: OutgoingBatch): boolean {
  if (b.bytes !== undefined) return true;
  s.acc.seal(b);
  const idempotent = s.opts.idempotent && b.acks !== 0;
  const seq = idempotent ? q.nextSequence : -1;
  let bytes: Uint8Array;
  const opts: BatchOptions = {
    producerId: idempotent ? s.identity.producerId : -1,
    producerEpoch: idempotent ? s.identity.producerEpoch : -1,
    baseSequence: seq,
    compression: b.compression,
    // acks=0 is never answered: nothing would ever prove its bytes written (batch-buffers.ts).
    ...(b.acks === 0 ? {} : { allocate: s.take }),
  };
  try {
    const body = b.body;
    if (body === undefined) bytes = encodeRecordBatch(b.records ?? [], opts);
    else {
      bytes = sealRecordBatch(body, b.written(), opts);
      // Compressed into a buffer of its own: the records' buffer was never sent.
      if (bytes.buffer !== body.buffer && b.acks !== 0) s.buffers.give(body);
    }
  } catch (err) {
    giveUp(s, q, b, err);
    return false;
  }
  if (bytes.length > s.opts.maxRequestBytes) {
    s.buffers.give(bytes); // never sent
    const what = `a batch of ${bytes.length} bytes for ${q.topic}/${q.partition} exceeds maxRequestBytes (${s.opts.maxRequestBytes})`;
    giveUp(s, q, b, new RivuletError('MESSAGE_TOO_LARGE', what, { path: `${q.topic}/${q.partition}` }));
    return false;
  }
  b.bytes = bytes;
  // The bytes hold everything now (a split decodes them).
  b.records = undefined;
  b.body = undefined;
  b.baseSequence = seq;
  b.producerEpoch = idempotent ? s.identity.producerEpoch : -1;
  if (idempotent) q.nextSequence = nextSequence(seq, b.recordCount);
  return true;
}

/**
 * After an epoch bump: every queued idempotent batch gets new sequences from 0, in order. The
 * halves of a split batch are encoded here, in their place; waiting batches not encoded yet get
 * theirs when they are.
 */
export function resequence(s: EncodingContext): void {
  const { producerId, producerEpoch } = s.identity;
  for (const q of s.acc.allQueues()) {
    q.nextSequence = 0;
    for (const b of [...q.retry, ...q.waiting]) {
      if (b.bytes === undefined) {
        if (!q.retry.includes(b)) break; // the unencoded tail of `waiting`
        encode(s, q, b);
        continue;
      }
      if (b.baseSequence < 0) continue; // acks 0: not idempotent
      restamp(b.bytes, producerId, producerEpoch, q.nextSequence);
      b.baseSequence = q.nextSequence;
      b.producerEpoch = producerEpoch;
      q.nextSequence = nextSequence(q.nextSequence, b.recordCount);
    }
  }
}
