/**
 * Settling a batch for good: acknowledged (its buffer handed back to the pool when the rules of
 * batch-buffers.ts allow it), or failed before it was ever sent.
 */
import type { Accumulator, OutgoingBatch, PartitionQueue } from './accumulator.js';
import type { BatchBufferPool } from './batch-buffers.js';

/** What settling reads of the sender. */
export interface SettlementContext {
  readonly acc: Accumulator;
  readonly buffers: BatchBufferPool;
}

export function succeed(s: SettlementContext, q: PartitionQueue, b: OutgoingBatch, baseOffset: number): void {
  remove(q.inFlight, b);
  if (b.baseSequence >= 0) q.ackedEpoch = b.producerEpoch;
  b.succeed(baseOffset);
  // Answered, after going out once (no other request may still hold the bytes): reusable.
  if (b.acks !== 0 && b.sends === 1 && b.bytes !== undefined) {
    s.buffers.give(b.bytes);
    b.bytes = undefined;
  }
  s.acc.settled(q, b);
}

/** Fails a batch that was never sent. */
export function giveUp(s: SettlementContext, q: PartitionQueue, b: OutgoingBatch, err: unknown): void {
  remove(q.waiting, b);
  remove(q.retry, b);
  b.fail(err);
  s.acc.settled(q, b);
}

/** Fails every batch not in flight that matches. */
export function failQueued(s: SettlementContext, match: (b: OutgoingBatch) => boolean, err: unknown): void {
  for (const q of [...s.acc.active]) {
    for (const list of [q.waiting, q.retry]) {
      for (const b of [...list]) {
        if (!match(b)) continue;
        remove(list, b);
        b.fail(err);
        s.acc.settled(q, b);
      }
    }
  }
}

export function remove<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}
