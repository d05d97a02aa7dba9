/**
 * The producer's sender: takes ready batches from the accumulator, builds one Produce request per
 * leader connection with at most one batch per partition (every partition's batch in one frame),
 * keeps up to `maxInFlight` requests in flight per connection, and settles the batches from the
 * answers.
 *
 * Ordering and retries (see accumulator.ts for a partition's states): a batch is encoded once, its
 * sequence number fixed then; a retriable failure puts the partition on hold until everything it
 * has in flight has settled, then the failed batches go again first, in their original order,
 * after a backoff. With idempotence the broker drops the ones it already appended, so a lost answer
 * never duplicates a record. A batch given up on leaves a gap in its partition's sequence: the
 * epoch is bumped (once nothing idempotent is in flight) and the batches still queued are
 * re-stamped from sequence 0.
 *
 * This file holds the send loop (when to drain, which connection, the requests in flight); its
 * parts take the sender as their context: batch-selection.ts (what goes next, and in which
 * request), batch-encoding.ts (bytes and sequences), batch-settlement.ts (success and the buffer
 * hand-back), failed-round.ts (splits, retries and backoff), metadata-refresh.ts.
 */
import { RivuletError } from '../errors.js';
import { Produce } from '../protocol/apis/produce.js';
import type { Accumulator, PartitionQueue, WireAcks } from './accumulator.js';
import type { BatchBufferPool } from './batch-buffers.js';
import { type EncodingContext, resequence } from './batch-encoding.js';
import { candidate, chooseBatches } from './batch-selection.js';
import { failQueued, type SettlementContext, succeed } from './batch-settlement.js';
import type { Cluster } from './cluster.js';
import type { Connection } from './connection.js';
import { type FailureContext, fail, settleQueue } from './failed-round.js';
import { MetadataRefresh } from './metadata-refresh.js';
import { type Item, produceRequest, readProduceAnswer } from './produce-request.js';
import type { ProducerIdentity } from './producer-identity.js';
import type { RetryPolicy } from './retry.js';

export interface SenderOptions {
  idempotent: boolean;
  lingerMs: number;
  maxInFlight: number;
  maxRequestBytes: number;
  ackTimeoutMs: number;
  retry: RetryPolicy;
  allowAutoTopicCreation: boolean;
}

export class Sender implements EncodingContext, SettlementContext, FailureContext {
  private readonly inFlight = new Map<Connection, number>();
  private idempotentInFlight = 0;
  private scheduled = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Infinity;
  private readonly metadata: MetadataRefresh;
  /** An InitProducerId is under way. */
  private identityPending = false;
  /** Where the next drain starts among the active queues (so every partition gets its turn). */
  private rotation = 0;
  readonly take = (size: number): Uint8Array => this.buffers.take(size);

  // Not private: the sender's parts (the files named above) read them, with the sender as their context.
  constructor(
    readonly cluster: Cluster,
    readonly acc: Accumulator,
    readonly identity: ProducerIdentity,
    /** Buffers for batches (batch-buffers.ts has the rules for giving one back), shared with the accumulator. */
    readonly buffers: BatchBufferPool,
    readonly opts: SenderOptions,
  ) {
    this.metadata = new MetadataRefresh(
      cluster,
      opts,
      () => this.drain(),
      (topic, err) => failQueued(this, (b) => b.topic === topic, err),
    );
  }

  /** Runs a drain on the next microtask (records appended in the same tick go together). */
  wake(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  private wakeAt(at: number): void {
    if (at >= this.timerAt) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.drain();
      },
      Math.max(0, at - Date.now()),
    );
  }

  /** Stops timers; batches still queued fail with `err`. */
  shutdown(err: RivuletError): void {
    this.clearTimer();
    failQueued(this, () => true, err);
  }

  private drain(): void {
    if (this.cluster.isClosed) {
      this.shutdown(new RivuletError('CLIENT_CLOSED', 'the client was closed before these records were sent'));
      return;
    }
    const now = Date.now();
    let nextWake = Infinity;
    const groups = new Map<Connection, PartitionQueue[]>();
    const needMetadata = new Set<string>();
    let needIdentity = false;
    const active = [...this.acc.active];
    const start = active.length > 0 ? this.rotation++ % active.length : 0;
    for (let i = 0; i < active.length; i++) {
      const q = active[(start + i) % active.length]!;
      const c = candidate(this, q, now);
      if (c === undefined) continue;
      if (typeof c === 'number') {
        nextWake = Math.min(nextWake, c);
        continue;
      }
      if (this.opts.idempotent && c.acks !== 0 && !this.identity.ready) {
        needIdentity = true;
        continue;
      }
      const conn = this.leaderConnection(q);
      if (conn === undefined) {
        needMetadata.add(q.topic);
        continue;
      }
      const group = groups.get(conn);
      if (group === undefined) groups.set(conn, [q]);
      else group.push(q);
    }
    for (const [conn, queues] of groups) this.fill(conn, queues, now);
    for (const topic of needMetadata) this.metadata.refresh(topic);
    if (needIdentity) this.ensureIdentity();
    if (nextWake < Infinity) this.wakeAt(nextWake);
    else this.clearTimer(); // nothing waits on time: a stale timer must not keep the process alive
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private leaderConnection(q: PartitionQueue): Connection | undefined {
    const meta = this.cluster.cachedTopic(q.topic);
    const p = meta?.partitions.find((x) => x.partition === q.partition);
    if (p === undefined || p.leader < 0) return undefined;
    try {
      return this.cluster.nodeConnection(p.leader);
    } catch {
      return undefined;
    }
  }

  /** Sends requests on `conn` while it has room and the queues have ready batches. */
  private fill(conn: Connection, queues: PartitionQueue[], now: number): void {
    while (queues.length > 0 && (this.inFlight.get(conn) ?? 0) < this.opts.maxInFlight) {
      const rest: PartitionQueue[] = [];
      const items = chooseBatches(this, queues, rest, now);
      if (items.length === 0) break;
      void this.sendRequest(conn, items[0]!.b.acks, items);
      queues = rest;
    }
  }

  private async sendRequest(conn: Connection, acks: WireAcks, items: Item[]): Promise<void> {
    const { topics, payload } = produceRequest(items);
    let idempotentCount = 0;
    for (const { b } of items) {
      b.sends++;
      if (b.baseSequence >= 0) idempotentCount++;
    }
    this.inFlight.set(conn, (this.inFlight.get(conn) ?? 0) + 1);
    this.idempotentInFlight += idempotentCount;
    try {
      const res = await conn.request(
        Produce,
        { acks, timeoutMs: this.opts.ackTimeoutMs, topics },
        { payload, expectResponse: acks !== 0 },
      );
      if (acks === 0) for (const { q, b } of items) succeed(this, q, b, -1);
      else {
        readProduceAnswer(
          res.body,
          items,
          ({ q, b }, baseOffset) => succeed(this, q, b, baseOffset),
          ({ q, b }, err) => fail(this, q, b, err),
        );
      }
    } catch (err) {
      const error =
        err instanceof RivuletError ? err : new RivuletError('CONNECTION_ERROR', String(err), { cause: err });
      for (const { q, b } of items) fail(this, q, b, error);
    } finally {
      this.inFlight.set(conn, (this.inFlight.get(conn) ?? 1) - 1);
      this.idempotentInFlight -= idempotentCount;
      for (const { q } of items) settleQueue(this, q);
      this.drain();
    }
  }

  private ensureIdentity(): void {
    if (this.identityPending) return;
    if (this.identity.needsBump && this.idempotentInFlight > 0) return; // bump once they settle
    const bumping = this.identity.producerId >= 0;
    this.identityPending = true;
    this.identity.ensure().then(
      () => {
        this.identityPending = false;
        if (bumping) resequence(this);
        this.drain();
      },
      (err: unknown) => {
        this.identityPending = false;
        failQueued(this, (b) => b.acks !== 0, err);
      },
    );
  }
}
