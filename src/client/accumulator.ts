/**
 * The producer's record accumulator: per topic-partition, a queue of batches waiting to be sent.
 * Records are written into their batch's buffer during send() (batch-writing.ts), as Kafka's
 * producer does; the header and CRC are written when the batch is taken for sending
 * (batch-encoding.ts).
 *
 * A partition's batches move: `waiting` (the last may be open and still growing) → `inFlight`
 * (sent, in send order) → done, or → `failedRound` (a retriable failure; held until everything in
 * flight for the partition has settled) → `retry` (re-sent first, in `order`). A batch the broker
 * finds too large is replaced by its two halves, which go the same way. While a
 * partition has a failed round open nothing new is sent for it, so retried batches keep their
 * order and, with idempotence, their sequence numbers: the broker drops any it already has.
 */
import type { CompressionType } from '../protocol/compression.js';
import { decodeRecordBatch, type RecordInput, sealRecordBatch, type WrittenRecords } from '../protocol/record-batch.js';
import { crc32c } from '../protocol/crc32c.js';
import { RECORD_BATCH_OVERHEAD, RECORDS_OFFSET } from '../protocol/record-batch-layout.js';

/** Bytes of a record beyond its key, value and headers, at most (length, attributes, deltas, lengths). */
export const RECORD_OVERHEAD_ESTIMATE = 24;
/** A batch's buffer, when a later send() outgrows it, grows this many times over (fewer copies). */
const GROWTH = 4;

export type WireAcks = 0 | 1 | -1;

let nextBatchId = 0;

export class OutgoingBatch {
  /**
   * Where the batch goes in its partition: batches must land in `order` order. A batch split in
   * two hands its range [order, order + span) to its halves, so they keep its place.
   */
  readonly order: number;
  readonly span: number;
  readonly topic: string;
  readonly partition: number;
  readonly acks: WireAcks;
  readonly compression: CompressionType;
  readonly createdAt: number;
  /**
   * The records written so far, from RECORDS_OFFSET up to `end` (the header is written when the
   * batch is encoded); undefined once encoded, and for the halves of a split batch.
   */
  body: Uint8Array | undefined;
  end = RECORDS_OFFSET;
  /**
   * The CRC-32C of the records up to `crcEnd`, brought up to date every 64 KiB or so of records
   * while they are in cache (batch-writing.ts); uncompressed batches only.
   */
  recordsCrc = 0;
  crcEnd = RECORDS_OFFSET;
  /** The first record's timestamp (the batch's base) and the largest. */
  baseTimestamp = 0;
  maxTimestamp = 0;
  /** The halves of a split batch only: their records, encoded when they are sent. */
  records: RecordInput[] | undefined;
  recordCount = 0;
  /** The batch's size once encoded (before compression); for a split half, about half its parent's. */
  estimatedBytes = RECORD_BATCH_OVERHEAD;
  /** No more records go in. */
  sealed = false;
  /** The encoded batch, fixed from the first send on (retries re-send these very bytes). */
  bytes: Uint8Array | undefined;
  /** -1 when not idempotent. */
  baseSequence = -1;
  /** The epoch the batch is stamped with (-1 when not idempotent). */
  producerEpoch = -1;
  /** Send attempts that failed retriably. */
  attempts = 0;
  /** Requests that carried `bytes` (their buffer is reused only after exactly one: batch-buffers.ts). */
  sends = 0;
  /** Goes (or went) out again after a failure: sent alone for its partition. */
  retried = false;
  /** The offset of the first record, once acknowledged (-1 with acks 0). */
  baseOffset = -1;
  /** Why the batch failed, once settled; undefined when it succeeded. */
  error: unknown;
  /** The two halves this batch was split into. */
  children: [OutgoingBatch, OutgoingBatch] | undefined;
  settled = false;
  /** Resolves once the batch (or every part of it) is settled, success or not: it never rejects. */
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(
    topic: string,
    partition: number,
    acks: WireAcks,
    compression: CompressionType,
    now: number,
    order = nextBatchId++,
    span = 1,
  ) {
    this.topic = topic;
    this.partition = partition;
    this.acks = acks;
    this.compression = compression;
    this.createdAt = now;
    this.order = order;
    this.span = span;
    this.done = new Promise<void>((resolve) => {
      this.resolveDone = resolve;
    });
  }

  succeed(baseOffset: number): void {
    if (this.settled) return;
    this.settled = true;
    this.baseOffset = baseOffset;
    this.records = undefined;
    this.body = undefined;
    this.resolveDone();
  }

  fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.error = err;
    this.records = undefined;
    this.body = undefined;
    this.resolveDone();
  }

  /** Splits an unsettled batch of two or more records into two halves that take its place. */
  split(now: number): [OutgoingBatch, OutgoingBatch] {
    const half = this.recordCount >>> 1;
    const bytes = this.bytes ?? (this.body === undefined ? undefined : sealRecordBatch(this.body, this.written()));
    const all = bytes === undefined ? (this.records ?? []) : recordsOf(bytes);
    const parts = [all.slice(0, half), all.slice(half)].map((records, i) => {
      const b = new OutgoingBatch(
        this.topic,
        this.partition,
        this.acks,
        this.compression,
        now,
        this.order + (i * this.span) / 2,
        this.span / 2,
      );
      b.records = records;
      b.recordCount = records.length;
      b.estimatedBytes = Math.ceil(this.estimatedBytes / 2);
      b.sealed = true;
      return b;
    }) as [OutgoingBatch, OutgoingBatch];
    this.children = parts;
    this.records = undefined;
    this.body = undefined;
    void Promise.all(parts.map((b) => b.done)).then(() => {
      this.settled = true;
      this.resolveDone();
    });
    return parts;
  }

  /** Extends `recordsCrc` over the records written since (compressed batches are CRC'd when compressed). */
  catchUpCrc(): void {
    if (this.compression !== 'none' || this.crcEnd === this.end || this.body === undefined) return;
    this.recordsCrc = crc32c(this.body, this.recordsCrc, this.crcEnd, this.end);
    this.crcEnd = this.end;
  }

  /** What sealRecordBatch needs of the records written into `body`. */
  written(): WrittenRecords {
    // A batch never caught up (under 64 KiB) is CRC'd whole when sealed: cheaper than combining.
    if (this.crcEnd > RECORDS_OFFSET) this.catchUpCrc();
    const r: WrittenRecords = {
      count: this.recordCount,
      end: this.end,
      baseTimestamp: this.baseTimestamp,
      maxTimestamp: this.maxTimestamp,
    };
    if (this.compression === 'none' && this.crcEnd > RECORDS_OFFSET) r.crc = this.recordsCrc;
    return r;
  }

  /** The offset record `index` of this batch got (-1 with acks 0). */
  offsetOf(index: number): number {
    const c = this.children;
    if (c === undefined) return this.baseOffset < 0 ? -1 : this.baseOffset + index;
    return index < c[0].recordCount ? c[0].offsetOf(index) : c[1].offsetOf(index - c[0].recordCount);
  }

  /** Why record `index` was not written, or undefined if it was. */
  errorOf(index: number): unknown {
    const c = this.children;
    if (c === undefined) return this.error;
    return index < c[0].recordCount ? c[0].errorOf(index) : c[1].errorOf(index - c[0].recordCount);
  }
}

/** The records of an encoded batch, back as inputs (keys and values are views into `bytes`). */
function recordsOf(bytes: Uint8Array): RecordInput[] {
  return decodeRecordBatch(bytes, 0, false).records.map((r) => ({
    key: r.key,
    value: r.value,
    headers: r.headers,
    timestamp: r.timestamp,
  }));
}

export class PartitionQueue {
  readonly topic: string;
  readonly partition: number;
  readonly waiting: OutgoingBatch[] = [];
  readonly inFlight: OutgoingBatch[] = [];
  failedRound: OutgoingBatch[] = [];
  retry: OutgoingBatch[] = [];
  /** A failure happened among the batches in flight: hold everything until they have all settled. */
  rewinding = false;
  /** Not before this time are `retry` batches re-sent. */
  retryAt = 0;
  /** The sequence number of the next record (idempotence). */
  nextSequence = 0;
  /** The producer epoch under which the broker last acknowledged a batch of this partition. */
  ackedEpoch = -1;
  /**
   * Where a batch of this partition is closed: the producer's batchBytes, lowered when the broker
   * refuses a batch of the topic as larger than its max.message.bytes (Accumulator.lowerBatchBytes).
   */
  batchBytes: number;
  /**
   * How far the last completed batch was filled: a new batch's buffer is at least that large, so a
   * steady stream of full batches never grows one (batch-writing.ts).
   */
  lastBatchEnd = 0;

  constructor(topic: string, partition: number, batchBytes: number) {
    this.topic = topic;
    this.partition = partition;
    this.batchBytes = batchBytes;
  }

  get isIdle(): boolean {
    return (
      this.waiting.length === 0 &&
      this.inFlight.length === 0 &&
      this.failedRound.length === 0 &&
      this.retry.length === 0
    );
  }
}

export interface AccumulatorOptions {
  batchBytes: number;
  /** A pooled buffer of at least `size` bytes (batch-buffers.ts), and one given back unused. */
  take(size: number): Uint8Array;
  give(buffer: Uint8Array): void;
  /** A batch of this partition was completed (sealed or taken for sending). */
  onBatchComplete(topic: string, partition: number): void;
}

export class Accumulator {
  private readonly opts: AccumulatorOptions;
  private readonly queues = new Map<string, PartitionQueue[]>();
  /** Queues that hold anything: the only ones the sender looks at. */
  readonly active = new Set<PartitionQueue>();
  /** Every batch not settled yet. */
  readonly unsettled = new Set<OutgoingBatch>();
  /** Batch sizes lowered by lowerBatchBytes, for the topic's queues made later. */
  private readonly topicBatchBytes = new Map<string, number>();

  constructor(opts: AccumulatorOptions) {
    this.opts = opts;
  }

  queue(topic: string, partition: number): PartitionQueue {
    let byPartition = this.queues.get(topic);
    if (byPartition === undefined) {
      byPartition = [];
      this.queues.set(topic, byPartition);
    }
    let q = byPartition[partition];
    if (q === undefined) {
      q = new PartitionQueue(topic, partition, this.topicBatchBytes.get(topic) ?? this.opts.batchBytes);
      byPartition[partition] = q;
    }
    return q;
  }

  /** Every queue ever used (for resetting sequences). */
  *allQueues(): Iterable<PartitionQueue> {
    for (const byPartition of this.queues.values()) for (const q of byPartition) if (q !== undefined) yield q;
  }

  /**
   * The batch of `q` that records with these acks and compression go into now, or undefined when
   * a new one is needed (an open batch with other acks or compression is closed first).
   */
  openBatch(q: PartitionQueue, acks: WireAcks, compression: CompressionType): OutgoingBatch | undefined {
    const last = q.waiting[q.waiting.length - 1];
    if (last === undefined || last.sealed) return undefined;
    if (last.body !== undefined && last.acks === acks && last.compression === compression) return last;
    this.seal(last);
    return undefined;
  }

  /** Opens a batch for `q` whose first record has `timestamp`, with a buffer of at least `capacity` bytes. */
  newBatch(
    q: PartitionQueue,
    acks: WireAcks,
    compression: CompressionType,
    now: number,
    timestamp: number,
    capacity: number,
  ): OutgoingBatch {
    const batch = new OutgoingBatch(q.topic, q.partition, acks, compression, now);
    batch.baseTimestamp = timestamp;
    batch.maxTimestamp = timestamp;
    batch.body = this.buffer(acks, capacity);
    q.waiting.push(batch);
    this.unsettled.add(batch);
    this.active.add(q);
    return batch;
  }

  /** Moves `batch`'s records into a buffer of at least `need` bytes (several times larger, up to the batch size). */
  grow(batch: OutgoingBatch, need: number, batchBytes: number): void {
    const old = batch.body!;
    const grown = this.buffer(batch.acks, Math.max(need, Math.min(old.length * GROWTH, batchBytes)));
    grown.set(old.subarray(RECORDS_OFFSET, batch.end), RECORDS_OFFSET);
    if (batch.acks !== 0) this.opts.give(old); // never sent: nothing else reads it
    batch.body = grown;
  }

  /** A buffer for a batch's records: pooled, except for acks=0 (never answered, so never given back). */
  private buffer(acks: WireAcks, size: number): Uint8Array {
    return acks === 0 ? new Uint8Array(size) : this.opts.take(size);
  }

  /**
   * The broker refused a batch of `topic` as too large: its batches close at `bytes` from now on
   * (never raised again), so the split and retry happen once rather than for every batch.
   */
  lowerBatchBytes(topic: string, bytes: number): void {
    const lowered = Math.min(this.topicBatchBytes.get(topic) ?? this.opts.batchBytes, bytes);
    this.topicBatchBytes.set(topic, lowered);
    for (const q of this.queues.get(topic) ?? []) if (q !== undefined) q.batchBytes = Math.min(q.batchBytes, lowered);
  }

  /** Closes `batch` to new records. */
  seal(batch: OutgoingBatch): void {
    if (batch.sealed) return;
    batch.sealed = true;
    if (batch.body !== undefined) this.queue(batch.topic, batch.partition).lastBatchEnd = batch.end;
    this.opts.onBatchComplete(batch.topic, batch.partition);
  }

  /** Closes every open batch (flush: send what there is now). */
  sealAll(): void {
    for (const q of this.active) {
      const last = q.waiting[q.waiting.length - 1];
      if (last !== undefined) this.seal(last);
    }
  }

  /** Forgets a settled batch and, when its queue is empty, the queue's active mark. */
  settled(q: PartitionQueue, batch: OutgoingBatch): void {
    this.unsettled.delete(batch);
    if (q.isIdle) this.active.delete(q);
  }
}
