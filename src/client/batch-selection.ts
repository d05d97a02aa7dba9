/**
 * What the sender sends next: per partition the batch that may go (the ordering rules after a
 * failure and under a new epoch), and per request at most one batch per partition, all with the
 * same acks, up to `maxRequestBytes`.
 */
import type { OutgoingBatch, PartitionQueue, WireAcks } from './accumulator.js';
import { type EncodingContext, encode } from './batch-encoding.js';
import type { Item } from './produce-request.js';

/** The batch `q` would send next, or when to look again. */
export function candidate(s: EncodingContext, q: PartitionQueue, now: number): OutgoingBatch | number | undefined {
  if (q.rewinding) return undefined; // woken when its last in-flight batch settles
  // Retried batches go one at a time, and nothing is sent behind one until it is answered: a
  // broker that has no state for this producer yet accepts any sequence, so only this keeps
  // order after a failure (Kafka's producer does the same).
  const last = q.inFlight[q.inFlight.length - 1];
  if (last?.retried) return undefined;
  if (q.retry.length > 0) {
    if (q.inFlight.length > 0) return undefined;
    return now >= q.retryAt ? q.retry[0] : q.retryAt;
  }
  const b = q.waiting[0];
  if (b === undefined) return undefined;
  // Likewise the first idempotent batch of a partition under an epoch goes alone: until the
  // broker has acknowledged one, it has no sequence to hold the next ones to.
  if (q.inFlight.length > 0 && s.opts.idempotent && b.acks !== 0 && q.ackedEpoch !== s.identity.producerEpoch) {
    return undefined;
  }
  if (b.sealed || now - b.createdAt >= s.opts.lingerMs) return b;
  return b.createdAt + s.opts.lingerMs;
}

/**
 * The batches of one request, taken from `queues` (encoded, moved to in flight); every item has
 * the same acks. The queues that may have more to send go to `rest`.
 */
export function chooseBatches(
  s: EncodingContext,
  queues: PartitionQueue[],
  rest: PartitionQueue[],
  now: number,
): Item[] {
  const items: Item[] = [];
  let acks: WireAcks | undefined;
  let bytes = 0;
  for (const q of queues) {
    const b = candidate(s, q, now);
    if (b === undefined || typeof b === 'number') continue;
    if (s.opts.idempotent && b.acks !== 0 && !s.identity.ready) continue; // drain asks for it
    if (acks !== undefined && b.acks !== acks) {
      rest.push(q);
      continue;
    }
    if (!encode(s, q, b)) {
      rest.push(q);
      continue;
    }
    const size = b.bytes!.length;
    if (items.length > 0 && bytes + size > s.opts.maxRequestBytes) {
      rest.push(q);
      continue;
    }
    acks = b.acks;
    bytes += size;
    take(q, b);
    items.push({ q, b });
    if (typeof candidate(s, q, now) === 'object') rest.push(q);
  }
  return items;
}

/** Moves `b` from its queue's retry or waiting list to in flight. */
function take(q: PartitionQueue, b: OutgoingBatch): void {
  if (q.retry[0] === b) q.retry.shift();
  else q.waiting.shift();
  q.inFlight.push(b);
}
