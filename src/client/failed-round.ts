/**
 * A sent batch that failed: split, retried or given up on. A retriable failure joins its
 * partition's failed round, held until nothing of the partition is in flight; then the round goes
 * back first, in order, after a backoff (accumulator.ts has a partition's states).
 */
import type { RivuletError } from '../errors.js';
import type { Accumulator, OutgoingBatch, PartitionQueue } from './accumulator.js';
import { remove } from './batch-settlement.js';
import type { Cluster } from './cluster.js';
import type { ProducerIdentity } from './producer-identity.js';
import { backoffMs } from './retry.js';
import type { SenderOptions } from './sender.js';

/** What failure handling reads of the sender. */
export interface FailureContext {
  readonly cluster: Cluster;
  readonly acc: Accumulator;
  readonly identity: ProducerIdentity;
  readonly opts: SenderOptions;
}

export function fail(s: FailureContext, q: PartitionQueue, b: OutgoingBatch, err: RivuletError): void {
  remove(q.inFlight, b);
  s.cluster.onPartitionError(q.topic, err);
  const idempotent = b.baseSequence >= 0;
  let retriable = err.retriable;
  if (idempotent && err.code === 'OUT_OF_ORDER_SEQUENCE_NUMBER') {
    // Expected when an earlier batch of the partition failed or is still unanswered: this one
    // goes again after it.
    retriable = q.rewinding || q.inFlight.some((x) => x.order < b.order);
  }
  if (idempotent && err.code === 'UNKNOWN_PRODUCER_ID') {
    // The broker lost this producer's state (e.g. it was reset): continue under a new epoch.
    s.identity.needsBump = true;
    retriable = true;
  }
  q.rewinding = true;
  if (err.code === 'MESSAGE_TOO_LARGE' && b.recordCount > 1 && !s.cluster.isClosed) {
    // Too large for the topic (max.message.bytes): send it as two halves, in its place, so only
    // a record that is too large by itself fails. Their sequences follow a new epoch. Later
    // batches of the topic (max.message.bytes is a topic setting) close at half this one's size:
    // without that, a batchBytes above the limit made every batch fail once (1 KiB records at
    // 2 MiB batches: 6× slower). Halving finds the limit in one or two refusals; a gentler step
    // (three quarters) needed more of them, each a round trip and a backoff, and measured slower.
    s.acc.lowerBatchBytes(q.topic, Math.max(1, Math.floor(b.estimatedBytes / 2)));
    const halves = b.split(Date.now());
    s.acc.unsettled.delete(b);
    for (const h of halves) s.acc.unsettled.add(h);
    q.failedRound.push(...halves);
    if (idempotent) s.identity.needsBump = true;
    return;
  }
  if (retriable && b.attempts < s.opts.retry.retries && !s.cluster.isClosed) {
    b.attempts++;
    q.failedRound.push(b);
    return;
  }
  if (idempotent) s.identity.needsBump = true;
  b.fail(err);
  s.acc.settled(q, b);
}

/** Once a partition with a failure has nothing in flight, its failed batches go back first, in order. */
export function settleQueue(s: FailureContext, q: PartitionQueue): void {
  if (!q.rewinding || q.inFlight.length > 0) return;
  q.rewinding = false;
  if (q.failedRound.length > 0) {
    let attempts = 0;
    for (const b of q.failedRound) attempts = Math.max(attempts, b.attempts);
    for (const b of q.failedRound) b.retried = true;
    q.retry = q.failedRound.concat(q.retry).sort((x, y) => x.order - y.order);
    q.failedRound = [];
    q.retryAt = Date.now() + backoffMs(s.opts.retry, attempts - 1);
  }
  if (q.isIdle) s.acc.active.delete(q);
}
