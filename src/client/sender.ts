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
 */
import { RivuletError } from '../errors.js';
import { Produce } from '../protocol/apis/produce.js';
import { encodeRecordBatch } from '../protocol/record-batch.js';
import type { Accumulator, OutgoingBatch, PartitionQueue, WireAcks } from './accumulator.js';
import { BatchBufferPool } from './batch-buffers.js';
import type { Cluster } from './cluster.js';
import type { Connection } from './connection.js';
import { type Item, produceRequest, readProduceAnswer } from './produce-request.js';
import { nextSequence, type ProducerIdentity, restamp } from './producer-identity.js';
import { backoffMs, type RetryPolicy } from './retry.js';

export interface SenderOptions {
  idempotent: boolean;
  lingerMs: number;
  maxInFlight: number;
  maxRequestBytes: number;
  ackTimeoutMs: number;
  retry: RetryPolicy;
  allowAutoTopicCreation: boolean;
}

export class Sender {
  private readonly inFlight = new Map<Connection, number>();
  private idempotentInFlight = 0;
  private scheduled = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Infinity;
  /** Topics whose metadata is being fetched (or waiting to be fetched again), with failed attempts so far. */
  private readonly metadataAttempts = new Map<string, number>();
  private readonly metadataBusy = new Set<string>();
  /** An InitProducerId is under way. */
  private identityPending = false;
  /** Where the next drain starts among the active queues (so every partition gets its turn). */
  private rotation = 0;
  /**
   * Buffers for encoded batches (batch-buffers.ts has the rules for giving one back). Its free
   * buffers are bounded by what one connection may have in flight.
   */
  readonly buffers: BatchBufferPool;
  private readonly take = (size: number): Uint8Array => this.buffers.take(size);

  constructor(
    private readonly cluster: Cluster,
    private readonly acc: Accumulator,
    private readonly identity: ProducerIdentity,
    private readonly opts: SenderOptions,
  ) {
    this.buffers = new BatchBufferPool(opts.maxInFlight * opts.maxRequestBytes);
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
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.drain();
    }, Math.max(0, at - Date.now()));
  }

  /** Stops timers; batches still queued fail with `err`. */
  shutdown(err: RivuletError): void {
    this.clearTimer();
    this.failQueued(() => true, err);
  }

  /** The batch `q` would send next, or when to look again. */
  private candidate(q: PartitionQueue, now: number): OutgoingBatch | number | undefined {
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
    if (q.inFlight.length > 0 && this.opts.idempotent && b.acks !== 0 && q.ackedEpoch !== this.identity.producerEpoch) {
      return undefined;
    }
    if (b.sealed || now - b.createdAt >= this.opts.lingerMs) return b;
    return b.createdAt + this.opts.lingerMs;
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
      const c = this.candidate(q, now);
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
    for (const topic of needMetadata) this.refreshMetadata(topic);
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
      const items: Item[] = [];
      const rest: PartitionQueue[] = [];
      let acks: WireAcks | undefined;
      let bytes = 0;
      for (const q of queues) {
        const b = this.candidate(q, now);
        if (b === undefined || typeof b === 'number') continue;
        if (this.opts.idempotent && b.acks !== 0 && !this.identity.ready) continue; // drain asks for it
        if (acks !== undefined && b.acks !== acks) {
          rest.push(q);
          continue;
        }
        if (!this.encode(q, b)) {
          rest.push(q);
          continue;
        }
        const size = b.bytes!.length;
        if (items.length > 0 && bytes + size > this.opts.maxRequestBytes) {
          rest.push(q);
          continue;
        }
        acks = b.acks;
        bytes += size;
        take(q, b);
        items.push({ q, b });
        if (typeof this.candidate(q, now) === 'object') rest.push(q);
      }
      if (items.length === 0) break;
      void this.sendRequest(conn, acks!, items);
      queues = rest;
    }
  }

  /** Encodes `b` (once; its sequence is fixed here). False when it cannot be sent: it failed. */
  private encode(q: PartitionQueue, b: OutgoingBatch): boolean {
    if (b.bytes !== undefined) return true;
    this.acc.seal(b);
    const idempotent = this.opts.idempotent && b.acks !== 0;
    const seq = idempotent ? q.nextSequence : -1;
    let bytes: Uint8Array;
    try {
      bytes = encodeRecordBatch(b.records, {
        producerId: idempotent ? this.identity.producerId : -1,
        producerEpoch: idempotent ? this.identity.producerEpoch : -1,
        baseSequence: seq,
        compression: b.compression,
        // acks=0 is never answered: nothing would ever prove its bytes written (batch-buffers.ts).
        ...(b.acks === 0 ? {} : { allocate: this.take }),
      });
    } catch (err) {
      this.giveUp(q, b, err);
      return false;
    }
    if (bytes.length > this.opts.maxRequestBytes) {
      this.buffers.give(bytes); // never sent
      const what = `a batch of ${bytes.length} bytes for ${q.topic}/${q.partition} exceeds maxRequestBytes (${this.opts.maxRequestBytes})`;
      this.giveUp(q, b, new RivuletError('MESSAGE_TOO_LARGE', what, { path: `${q.topic}/${q.partition}` }));
      return false;
    }
    b.bytes = bytes;
    // The bytes hold everything now (a split decodes them): let the records go while the batch
    // waits for its answer, so they die young.
    b.records = [];
    b.baseSequence = seq;
    b.producerEpoch = idempotent ? this.identity.producerEpoch : -1;
    if (idempotent) q.nextSequence = nextSequence(seq, b.recordCount);
    return true;
  }

  /** Fails a batch that was never sent. */
  private giveUp(q: PartitionQueue, b: OutgoingBatch, err: unknown): void {
    remove(q.waiting, b);
    remove(q.retry, b);
    b.fail(err);
    this.acc.settled(q, b);
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
      if (acks === 0) for (const { q, b } of items) this.succeed(q, b, -1);
      else {
        readProduceAnswer(
          res.body,
          items,
          ({ q, b }, baseOffset) => this.succeed(q, b, baseOffset),
          ({ q, b }, err) => this.fail(q, b, err),
        );
      }
    } catch (err) {
      const error =
        err instanceof RivuletError ? err : new RivuletError('CONNECTION_ERROR', String(err), { cause: err });
      for (const { q, b } of items) this.fail(q, b, error);
    } finally {
      this.inFlight.set(conn, (this.inFlight.get(conn) ?? 1) - 1);
      this.idempotentInFlight -= idempotentCount;
      for (const { q } of items) this.settleQueue(q);
      this.drain();
    }
  }

  private succeed(q: PartitionQueue, b: OutgoingBatch, baseOffset: number): void {
    remove(q.inFlight, b);
    if (b.baseSequence >= 0) q.ackedEpoch = b.producerEpoch;
    b.succeed(baseOffset);
    // Answered, after going out once (no other request may still hold the bytes): reusable.
    if (b.acks !== 0 && b.sends === 1 && b.bytes !== undefined) {
      this.buffers.give(b.bytes);
      b.bytes = undefined;
    }
    this.acc.settled(q, b);
  }

  private fail(q: PartitionQueue, b: OutgoingBatch, err: RivuletError): void {
    remove(q.inFlight, b);
    this.cluster.onPartitionError(q.topic, err);
    const idempotent = b.baseSequence >= 0;
    let retriable = err.retriable;
    if (idempotent && err.code === 'OUT_OF_ORDER_SEQUENCE_NUMBER') {
      // Expected when an earlier batch of the partition failed or is still unanswered: this one
      // goes again after it.
      retriable = q.rewinding || q.inFlight.some((x) => x.order < b.order);
    }
    if (idempotent && err.code === 'UNKNOWN_PRODUCER_ID') {
      // The broker lost this producer's state (e.g. it was reset): continue under a new epoch.
      this.identity.needsBump = true;
      retriable = true;
    }
    q.rewinding = true;
    if (err.code === 'MESSAGE_TOO_LARGE' && b.recordCount > 1 && !this.cluster.isClosed) {
      // Too large for the topic (max.message.bytes): send it as two halves, in its place, so only
      // a record that is too large by itself fails. Their sequences follow a new epoch.
      const halves = b.split(Date.now());
      this.acc.unsettled.delete(b);
      for (const h of halves) this.acc.unsettled.add(h);
      q.failedRound.push(...halves);
      if (idempotent) this.identity.needsBump = true;
      return;
    }
    if (retriable && b.attempts < this.opts.retry.retries && !this.cluster.isClosed) {
      b.attempts++;
      q.failedRound.push(b);
      return;
    }
    if (idempotent) this.identity.needsBump = true;
    b.fail(err);
    this.acc.settled(q, b);
  }

  /** Once a partition with a failure has nothing in flight, its failed batches go back first, in order. */
  private settleQueue(q: PartitionQueue): void {
    if (!q.rewinding || q.inFlight.length > 0) return;
    q.rewinding = false;
    if (q.failedRound.length > 0) {
      let attempts = 0;
      for (const b of q.failedRound) attempts = Math.max(attempts, b.attempts);
      for (const b of q.failedRound) b.retried = true;
      q.retry = q.failedRound.concat(q.retry).sort((x, y) => x.order - y.order);
      q.failedRound = [];
      q.retryAt = Date.now() + backoffMs(this.opts.retry, attempts - 1);
    }
    if (q.isIdle) this.acc.active.delete(q);
  }

  private ensureIdentity(): void {
    if (this.identityPending) return;
    if (this.identity.needsBump && this.idempotentInFlight > 0) return; // bump once they settle
    const bumping = this.identity.producerId >= 0;
    this.identityPending = true;
    this.identity.ensure().then(
      () => {
        this.identityPending = false;
        if (bumping) this.resequence();
        this.drain();
      },
      (err: unknown) => {
        this.identityPending = false;
        this.failQueued((b) => b.acks !== 0, err);
      },
    );
  }

  /**
   * After an epoch bump: every queued idempotent batch gets new sequences from 0, in order. The
   * halves of a split batch are encoded here, in their place; waiting batches not encoded yet get
   * theirs when they are.
   */
  private resequence(): void {
    const { producerId, producerEpoch } = this.identity;
    for (const q of this.acc.allQueues()) {
      q.nextSequence = 0;
      for (const b of [...q.retry, ...q.waiting]) {
        if (b.bytes === undefined) {
          if (!q.retry.includes(b)) break; // the unencoded tail of `waiting`
          this.encode(q, b);
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

  private refreshMetadata(topic: string): void {
    if (this.metadataBusy.has(topic)) return;
    this.metadataBusy.add(topic);
    this.cluster.topic(topic, this.opts.allowAutoTopicCreation).then(
      () => {
        this.metadataBusy.delete(topic);
        this.metadataAttempts.delete(topic);
        this.drain();
      },
      (err: unknown) => {
        const attempts = (this.metadataAttempts.get(topic) ?? 0) + 1;
        if (err instanceof RivuletError && err.retriable && attempts <= this.opts.retry.retries) {
          this.metadataAttempts.set(topic, attempts);
          setTimeout(() => {
            this.metadataBusy.delete(topic);
            this.drain();
          }, backoffMs(this.opts.retry, attempts - 1));
          return;
        }
        this.metadataBusy.delete(topic);
        this.metadataAttempts.delete(topic);
        this.failQueued((b) => b.topic === topic, err);
      },
    );
  }

  /** Fails every batch not in flight that matches. */
  private failQueued(match: (b: OutgoingBatch) => boolean, err: unknown): void {
    for (const q of [...this.acc.active]) {
      for (const list of [q.waiting, q.retry]) {
        for (const b of [...list]) {
          if (!match(b)) continue;
          remove(list, b);
          b.fail(err);
          this.acc.settled(q, b);
        }
      }
    }
  }
}

/** Moves `b` from its queue's retry or waiting list to in flight. */
function take(q: PartitionQueue, b: OutgoingBatch): void {
  if (q.retry[0] === b) q.retry.shift();
  else q.waiting.shift();
  q.inFlight.push(b);
}

function remove<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}
