/**
 * The producer: `send` and `sendBatch` put records into per-partition batches (accumulator.ts),
 * the sender ships them (sender.ts), and each call resolves with one `{ topic, partition, offset }`
 * per message, in the order given. Idempotent by default (acks 1 and all): a retried batch keeps
 * its sequence number, so the broker never appends it twice.
 */
import { RivuletError } from '../errors.js';
import { COMPRESSION_IDS, type CompressionType, hasCodec } from '../protocol/compression.js';
import { Accumulator, type OutgoingBatch, RECORD_OVERHEAD_ESTIMATE, type WireAcks } from './accumulator.js';
import { BatchBufferPool } from './batch-buffers.js';
import { type RecordColumns, writeRun } from './batch-writing.js';
import { readMessage, snapshotMessage } from './bytes.js';
import type { Cluster, TopicInfo } from './cluster.js';
import { checkPartition, customPartition, StickyPartitioner } from './partitioner.js';
import { ProducerIdentity } from './producer-identity.js';
import { type RetryPolicy, retryPolicy, withRetry } from './retry.js';
import { SendScratch, SHARED_SCRATCH_RECORDS } from './send-scratch.js';
import { Sender } from './sender.js';
import type {
  Acks,
  Message,
  Partitioner,
  ProducerBatch,
  ProducerOptions,
  ProducerRecord,
  RecordMetadata,
  TopicMessages,
} from './types.js';

const DEFAULT_BATCH_BYTES = 1024 * 1024;
const DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024;
const DEFAULT_MAX_IN_FLIGHT = 5;
const DEFAULT_ACK_TIMEOUT_MS = 30_000;
/**
 * Free batch buffers a producer keeps for reuse (Kafka's buffer.memory default). Below what is
 * buffered, buffers are dropped and allocated again: fresh pages, faulted in on first write (at
 * 1 KiB records with 20 MiB: +15 % client CPU).
 */
const POOL_FREE_BYTES = 32 * 1024 * 1024;

export function wireAcks(acks: Acks | undefined, path: string): WireAcks {
  if (acks === undefined || acks === 'all' || acks === -1) return -1;
  if (acks === 0 || acks === 1) return acks;
  throw new RivuletError('INVALID_ARGUMENT', `${path}: acks must be 0, 1, -1 or 'all', got ${String(acks)}`, { path });
}

function checkCompression(c: CompressionType, path: string): CompressionType {
  if (!(c in COMPRESSION_IDS)) {
    throw new RivuletError(
      'INVALID_ARGUMENT',
      `${path}: unknown compression '${String(c)}' (none, gzip, snappy, lz4, zstd)`,
      { path },
    );
  }
  if (!hasCodec(c)) {
    throw new RivuletError(
      'UNSUPPORTED_COMPRESSION_TYPE',
      `${path}: no codec installed for '${c}' (register one with registerCodec)`,
      { path },
    );
  }
  return c;
}

function positiveInt(v: number | undefined, fallback: number, name: string, min = 1): number {
  if (v === undefined) return fallback;
  if (!Number.isSafeInteger(v) || v < min) {
    throw new RivuletError('INVALID_ARGUMENT', `${name} must be an integer ≥ ${min}, got ${String(v)}`);
  }
  return v;
}

export class Producer {
  private readonly cluster: Cluster;
  private readonly acc: Accumulator;
  private readonly sender: Sender;
  private readonly partitioner = new StickyPartitioner();
  private readonly custom: Partitioner | undefined;
  private readonly retry: RetryPolicy;
  private readonly defaultAcks: WireAcks;
  private readonly defaultCompression: CompressionType;
  private readonly allowAutoTopicCreation: boolean;
  private readonly onClose: (p: Producer) => void;
  private closing: Promise<void> | undefined;
  /** Sends still loading metadata: their records are not queued yet. */
  private readonly staging = new Set<Promise<unknown>>();
  private readonly scratch = new SendScratch();

  /** Use `client.producer()`. */
  constructor(cluster: Cluster, opts: ProducerOptions = {}, onClose: (p: Producer) => void = () => {}) {
    this.cluster = cluster;
    this.onClose = onClose;
    this.retry = retryPolicy(cluster.opts.retry, opts.retry);
    this.defaultAcks = wireAcks(opts.acks, 'acks');
    this.defaultCompression = checkCompression(opts.compression ?? 'none', 'compression');
    this.allowAutoTopicCreation = opts.allowAutoTopicCreation ?? true;
    this.custom = opts.partitioner;
    const maxRequestBytes = positiveInt(opts.maxRequestBytes, DEFAULT_MAX_REQUEST_BYTES, 'maxRequestBytes', 1024);
    const maxInFlight = positiveInt(opts.maxInFlight, DEFAULT_MAX_IN_FLIGHT, 'maxInFlight');
    // Batches hold a buffer from their first record on, so the pool keeps as much free as a
    // producer typically has buffered (Kafka's buffer.memory), and at least what may be in flight.
    const buffers = new BatchBufferPool(Math.max(POOL_FREE_BYTES, maxInFlight * maxRequestBytes));
    this.acc = new Accumulator({
      batchBytes: Math.min(positiveInt(opts.batchBytes, DEFAULT_BATCH_BYTES, 'batchBytes'), maxRequestBytes),
      onBatchComplete: (topic, partition) => this.partitioner.onBatchComplete(topic, partition),
      take: (size) => buffers.take(size),
      give: (buffer) => buffers.give(buffer),
    });
    this.sender = new Sender(cluster, this.acc, new ProducerIdentity(cluster), buffers, {
      idempotent: opts.idempotent ?? true,
      lingerMs: positiveInt(opts.lingerMs, 0, 'lingerMs', 0),
      maxInFlight,
      maxRequestBytes,
      ackTimeoutMs: positiveInt(opts.ackTimeoutMs, DEFAULT_ACK_TIMEOUT_MS, 'ackTimeoutMs'),
      retry: this.retry,
      allowAutoTopicCreation: this.allowAutoTopicCreation,
    });
  }

  /** KafkaJS compatibility: connections open on first use, so this only checks the producer is usable. */
  async connect(): Promise<void> {
    this.checkOpen();
  }

  /** Alias of {@link close}, as KafkaJS names it. */
  disconnect(): Promise<void> {
    return this.close();
  }

  /** Sends `record.messages` to `record.topic`; one result per message, in order. */
  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    // Not async: sendBatch's promise is returned as it is (an async wrapper adds one per call).
    return this.sendBatch({
      topicMessages: [{ topic: record?.topic, messages: record?.messages }],
      acks: record?.acks,
      compression: record?.compression,
    });
  }

  /** Sends messages of several topics; one result per message, in order (topic by topic). */
  async sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    this.checkOpen();
    const acks = batch?.acks === undefined ? this.defaultAcks : wireAcks(batch.acks, 'acks');
    const compression =
      batch?.compression === undefined ? this.defaultCompression : checkCompression(batch.compression, 'compression');
    let list = batch?.topicMessages;
    if (!Array.isArray(list))
      throw new RivuletError('INVALID_ARGUMENT', 'topicMessages must be an array of { topic, messages }');
    for (let i = 0; i < list.length; i++) checkTopicMessages(list[i]!, `topicMessages/${i}`);
    // Metadata first (usually cached), then every record is appended in one synchronous run.
    let metas: TopicInfo[];
    const cached: (TopicInfo | undefined)[] = new Array(list.length);
    let allCached = true;
    for (let i = 0; i < list.length; i++) {
      const tm = list[i]!;
      const meta = this.cluster.cachedTopic(tm.topic);
      // A partition beyond the cached count may be a new one: look again before refusing it.
      if (meta === undefined || maxPartition(tm.messages) >= meta.partitions.length) allCached = false;
      else cached[i] = meta;
    }
    if (allCached) {
      metas = cached as TopicInfo[];
    } else {
      // The records are written after the wait: copy what the caller may reuse once send() returns.
      list = list.map((tm) => ({ topic: tm.topic, messages: tm.messages.map(snapshotMessage) }));
      // A flush or close that starts meanwhile waits for this call to queue its records.
      const loading = Promise.all(list.map((tm, i) => cached[i] ?? this.topicInfo(tm.topic)));
      this.staging.add(loading);
      try {
        metas = await loading;
      } finally {
        this.staging.delete(loading);
      }
      if (this.cluster.isClosed) throw new RivuletError('CLIENT_CLOSED', 'the client was closed');
    }
    const { batches, indexes, waits, total } = this.enqueue(list, metas, acks, compression);
    this.sender.wake();
    // Mostly one batch (a send of one message, or of a run for one partition): awaited as it is.
    if (waits.length === 1) await waits[0]!.done;
    else await Promise.all(waits.map((b) => b.done));
    for (const b of waits) {
      if (b.children === undefined && b.error === undefined) continue;
      // Some record of this call was not written (batches are shared with other calls: look per record).
      for (let i = 0; i < total; i++) {
        if (batches[i] !== b) continue;
        const err = b.errorOf(indexes[i]!);
        if (err !== undefined) throw err;
      }
    }
    const out: RecordMetadata[] = new Array(total);
    for (let i = 0; i < total; i++) {
      const b = batches[i]!;
      out[i] = { topic: b.topic, partition: b.partition, offset: b.offsetOf(indexes[i]!) };
    }
    return out;
  }

  /**
   * Checks every message, then writes them all into their batches (synchronously, so a bad one
   * fails the call and sends nothing, and the caller may reuse its messages once send() returns).
   * A small send works in the producer's scratch columns (send-scratch.ts), released before it
   * returns; each record's batch and index are made per call, for sendBatch's wait.
   */
  private enqueue(
    list: TopicMessages[],
    metas: TopicInfo[],
    acks: WireAcks,
    compression: CompressionType,
  ): { batches: OutgoingBatch[]; indexes: Int32Array; waits: OutgoingBatch[]; total: number } {
    let total = 0;
    for (const tm of list) total += tm.messages.length;
    const shared = total <= SHARED_SCRATCH_RECORDS && !this.scratch.busy;
    const scratch = shared ? this.scratch : new SendScratch(total);
    scratch.busy = true;
    try {
      const cols: RecordColumns = {
        keys: scratch.keys,
        values: scratch.values,
        headers: undefined,
        stamps: scratch.stamps,
        sizes: scratch.sizes,
        batches: new Array(total),
        indexes: new Int32Array(total),
      };
      const now = Date.now();
      this.checkMessages(list, metas, scratch, cols, now);
      this.writeMessages(list, metas, scratch, cols, acks, compression, now);
      return { batches: cols.batches, indexes: cols.indexes, waits: distinctBatches(cols.batches, total), total };
    } finally {
      if (shared) scratch.release(total);
    }
  }

  /**
   * Every message checked and put into the columns, one slot per message (no object per
   * message: this is the hot path of a many-message send).
   */
  private checkMessages(
    list: TopicMessages[],
    metas: TopicInfo[],
    scratch: SendScratch,
    cols: RecordColumns,
    now: number,
  ): void {
    const { keys, values, stamps, sizes, partitions, fields: f } = scratch;
    let at = 0;
    for (let t = 0; t < list.length; t++) {
      const { topic, messages } = list[t]!;
      const count = metas[t]!.partitions.length;
      const base = list.length === 1 ? 'messages' : `topicMessages/${t}/messages`;
      for (let i = 0; i < messages.length; i++, at++) {
        const m = messages[i]!;
        readMessage(m, now, base, i, f);
        keys[at] = f.key;
        values[at] = f.value;
        stamps[at] = f.timestamp;
        sizes[at] = f.bytes + RECORD_OVERHEAD_ESTIMATE;
        if (f.headers !== undefined) {
          // Headers are rare: the column is handed on once a message has some (release() leaves
          // it empty between sends).
          if (cols.headers === undefined) {
            cols.headers = scratch.headers;
            scratch.headersUsed = true;
          }
          cols.headers[at] = f.headers;
        }
        partitions[at] = this.choosePartition(topic, count, f.key, m, base, i);
      }
    }
  }

  /** Writes the checked messages into their partitions' batches, topic by topic. */
  private writeMessages(
    list: TopicMessages[],
    metas: TopicInfo[],
    scratch: SendScratch,
    cols: RecordColumns,
    acks: WireAcks,
    compression: CompressionType,
    now: number,
  ): void {
    const { partitions, sizes, order } = scratch;
    let at = 0;
    for (let t = 0; t < list.length; t++) {
      const { topic, messages } = list[t]!;
      const n = messages.length;
      const count = metas[t]!.partitions.length;
      writingOrder(partitions, at, at + n, count, order);
      // Keyless records without a partition go to the sticky partition in a run: what a new batch
      // of theirs is sized for is all of theirs left in the send.
      let stickyLeft = 0;
      for (let k = 0; k < n; k++) if (partitions[order[k]!]! < 0) stickyLeft += sizes[order[k]!]!;
      for (let k = 0; k < n; ) {
        // A run: the records up to the next change of partition (or of sticky choice).
        const chosen = partitions[order[k]!]!;
        let runEnd = k + 1;
        let runBytes = sizes[order[k]!]!;
        while (runEnd < n && partitions[order[runEnd]!] === chosen) runBytes += sizes[order[runEnd++]!]!;
        const partition = chosen < 0 ? this.partitioner.partition(topic, count, null) : chosen;
        const q = this.acc.queue(topic, partition);
        const room = chosen < 0 ? stickyLeft : runBytes;
        const stop = writeRun(this.acc, q, cols, order, k, runEnd, room, acks, compression, now);
        if (chosen < 0) for (let j = k; j < stop; j++) stickyLeft -= sizes[order[j]!]!;
        k = stop;
      }
      at += n;
    }
  }

  /** Sends everything accumulated now (ignoring lingerMs) and waits until all of it is settled. */
  async flush(): Promise<void> {
    while (this.staging.size > 0) await Promise.allSettled([...this.staging]);
    this.acc.sealAll();
    this.sender.wake();
    const all = [...this.acc.unsettled].map((b) => b.done);
    await Promise.allSettled(all);
  }

  /** Flushes, then refuses further sends. */
  close(): Promise<void> {
    this.closing ??= this.flush().finally(() => {
      this.sender.buffers.clear();
      this.onClose(this);
    });
    return this.closing;
  }

  /** The partition of a message, or -1 for the sticky partition (chosen when it is queued). */
  private choosePartition(
    topic: string,
    count: number,
    key: Uint8Array | string | null,
    m: Message,
    base: string,
    i: number,
  ): number {
    const p = m.partition;
    if (p !== undefined && p !== null) {
      if (Number.isInteger(p) && p >= 0 && p < count) return p;
      return checkPartition(topic, p, count, `${base}/${i}/partition`); // throws
    }
    if (this.custom !== undefined) return customPartition(this.custom, topic, count, key, m, `${base}/${i}/partition`);
    return key === null ? -1 : this.partitioner.partition(topic, count, key);
  }

  private topicInfo(topic: string): Promise<TopicInfo> {
    this.cluster.invalidate(topic);
    return withRetry(this.retry, () => this.cluster.topic(topic, this.allowAutoTopicCreation), {
      shouldStop: () => this.cluster.isClosed,
    });
  }

  private checkOpen(): void {
    if (this.closing !== undefined) throw new RivuletError('CLIENT_CLOSED', 'the producer was closed');
    if (this.cluster.isClosed) throw new RivuletError('CLIENT_CLOSED', 'the client was closed');
  }
}

function checkTopicMessages(tm: TopicMessages, path: string): void {
  if (tm === null || typeof tm !== 'object')
    throw new RivuletError('INVALID_ARGUMENT', `${path} must be { topic, messages }`, { path });
  if (typeof tm.topic !== 'string' || tm.topic.length === 0) {
    throw new RivuletError('INVALID_ARGUMENT', `${path}/topic must be a non-empty string`, { path: `${path}/topic` });
  }
  if (!Array.isArray(tm.messages)) {
    throw new RivuletError('INVALID_ARGUMENT', `${path}/messages must be an array`, { path: `${path}/messages` });
  }
}

/** Below this many records a send() is written in the order given, without grouping. */
const GROUP_FROM = 16;

/**
 * The order records [from, to) are written in: grouped by partition (stable, so each partition
 * keeps the order given) when every record has its partition already (keyed or explicit), so a
 * partition's records go into its batch in one run rather than one run per record; otherwise as
 * given (keyless records follow the sticky partition, which moves as batches complete). Fills
 * order[0, to - from).
 */
function writingOrder(
  partitions: Int32Array,
  from: number,
  to: number,
  partitionCount: number,
  order: Int32Array,
): void {
  const n = to - from;
  let grouped = n >= GROUP_FROM;
  for (let i = from; i < to && grouped; i++) if (partitions[i]! < 0) grouped = false;
  if (!grouped) {
    for (let k = 0; k < n; k++) order[k] = from + k;
    return;
  }
  // A counting sort by partition.
  const starts = new Int32Array(partitionCount + 1);
  for (let i = from; i < to; i++) starts[partitions[i]! + 1]!++;
  for (let p = 0; p < partitionCount; p++) starts[p + 1]! += starts[p]!;
  for (let i = from; i < to; i++) order[starts[partitions[i]!]!++] = i;
}

/** The distinct batches of `batches[0, total)`, in order of first appearance. */
function distinctBatches(batches: OutgoingBatch[], total: number): OutgoingBatch[] {
  const first = batches[0];
  if (first === undefined) return [];
  let last = first;
  let seen: Set<OutgoingBatch> | undefined;
  for (let i = 1; i < total; i++) {
    const b = batches[i]!;
    if (b === last) continue;
    last = b;
    seen ??= new Set([first]);
    seen.add(b);
  }
  return seen === undefined ? [first] : [...seen];
}

function maxPartition(messages: Message[]): number {
  let max = -1;
  for (let i = 0; i < messages.length; i++) {
    const p = messages[i]?.partition;
    if (typeof p === 'number' && p > max) max = p;
  }
  return max;
}
