/**
 * The consumer's fetcher: resolves start offsets (ListOffsets), long-polls Fetch from each
 * partition's leader, verifies and decodes the returned batches, and hands the results over one
 * at a time. One fetch is kept ahead of the consumer: the next request goes out as soon as the
 * previous result has been taken, so a handler's time overlaps the broker's; at most one result
 * waits untaken, which bounds memory by about two responses (`maxBytes` each).
 *
 * Positions: `fetchOffset` is where the next fetch of a partition starts (moved on when data
 * arrives); `position` is the next offset the application is owed (moved on as it consumes). A
 * seek, pause or offset reset bumps the partition's `generation`, which voids any result fetched
 * before it.
 */
import { RivuletError } from '../errors.js';
import { Fetch, type FetchPartitionResponse } from '../protocol/apis/fetch.js';
import { ListOffsets } from '../protocol/apis/list-offsets.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from '../protocol/apis/common.js';
import {
  type BatchHeader,
  batchSize,
  decodeRecordBatchesInto,
  HEADER_SIZE_UP_TO_MAGIC,
  type RecordBuilder,
  readBatchHeader,
  verifyBatchCrc,
} from '../protocol/record-batch.js';
import { bytesView, headersObject, NO_HEADERS } from './bytes.js';
import type { Cluster } from './cluster.js';
import type { Connection } from './connection.js';
import { backoffMs, type RetryPolicy, sleep } from './retry.js';
import type { AutoOffsetReset, KafkaMessage, OffsetSpec } from './types.js';

export interface FetcherOptions {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  maxBytesPerPartition: number;
  autoOffsetReset: AutoOffsetReset;
  verifyCrc: boolean;
  retry: RetryPolicy;
  requestTimeoutMs: number;
}

export class PartitionState {
  /** Where to start when `fetchOffset` is unresolved (-1). */
  spec: OffsetSpec | undefined;
  fetchOffset = -1;
  /** The next offset owed to the application (-1 until resolved). */
  position = -1;
  paused = false;
  generation = 0;
  highWatermark = -1;
  /** Handler failures in a row (the consumer gives up past its retries). */
  failures = 0;
  /**
   * After a start by timestamp: records before the first one at or after it are skipped (the
   * broker answers with the base offset of the first batch that reaches the timestamp).
   */
  skipBeforeTimestamp: number | undefined;

  constructor(
    readonly topic: string,
    readonly partition: number,
    spec: OffsetSpec,
  ) {
    this.spec = spec;
  }

  /** Voids fetched data and restarts from `spec`. */
  reset(spec: OffsetSpec): void {
    this.generation++;
    this.spec = spec;
    this.fetchOffset = -1;
    this.skipBeforeTimestamp = undefined;
  }

  /** Voids fetched data and restarts at the application's position (resume, handler failure). */
  rewind(): void {
    this.generation++;
    if (this.position >= 0) this.fetchOffset = this.position;
  }
}

export interface FetchedBatch {
  readonly state: PartitionState;
  readonly generation: number;
  /** Decoded on first access; may be empty (every record before the fetch offset). */
  readonly messages: KafkaMessage[];
  readonly highWatermark: number;
  /**
   * Handled: drop the references to its messages and bytes (the rest of the fetch may take a
   * while, and messages that die young cost the GC almost nothing). `messages` is empty after.
   */
  release(): void;
}

export class Fetcher {
  private readonly states = new Map<string, PartitionState>();
  private buffer: FetchedBatch[][] = [];
  private stopped = false;
  private readonly abort = new AbortController();
  private wakeUp: (() => void) | undefined;
  /** A wake() came while the loop was not waiting: it must look again before it waits. */
  private woken = false;
  private taker: ((r: FetchedBatch[] | undefined) => void) | undefined;
  private failure: unknown;
  private loop: Promise<void> | undefined;
  private errorsInARow = 0;

  constructor(
    private readonly cluster: Cluster,
    private readonly opts: FetcherOptions,
  ) {}

  get partitions(): Iterable<PartitionState> {
    return this.states.values();
  }

  state(topic: string, partition: number): PartitionState | undefined {
    return this.states.get(key(topic, partition));
  }

  /** Replaces the assignment. */
  assign(list: { topic: string; partition: number; offset: OffsetSpec }[]): void {
    for (const s of this.states.values()) s.generation++; // voids what was fetched for them
    this.states.clear();
    for (const { topic, partition, offset } of list) this.states.set(key(topic, partition), new PartitionState(topic, partition, offset));
    this.buffer = [];
    this.wake();
  }

  /** Starts the fetch loop (once). */
  start(): void {
    this.loop ??= this.run();
  }

  /**
   * Stops at once: waits are cut short, take() returns undefined, and a fetch still in flight (a
   * long-poll) is not waited for: its answer is ignored when it comes.
   */
  stop(): void {
    this.stopped = true;
    this.abort.abort();
    this.wake();
    this.taker?.(undefined);
    this.taker = undefined;
  }

  /** Something changed (assignment, seek, resume): the loop looks again. */
  wake(): void {
    this.woken = true;
    const w = this.wakeUp;
    this.wakeUp = undefined;
    w?.();
  }

  /** The next fetched result; undefined once stopped. Throws the error that ended the loop. */
  take(): Promise<FetchedBatch[] | undefined> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const ready = this.buffer.shift();
    if (ready !== undefined) {
      this.wake();
      return Promise.resolve(ready);
    }
    if (this.stopped) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      this.taker = (r) => (r === undefined && this.failure !== undefined ? reject(this.failure) : resolve(r));
    });
  }

  private deliver(result: FetchedBatch[]): void {
    const taker = this.taker;
    if (taker !== undefined) {
      this.taker = undefined;
      taker(result);
    } else {
      this.buffer.push(result);
    }
  }

  /** Resolves at the next wake(), or at once if one came since the loop last looked. */
  private waitForWake(): Promise<void> {
    if (this.woken) return Promise.resolve();
    return new Promise((resolve) => {
      this.wakeUp = resolve;
    });
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      this.woken = false;
      try {
        await this.resolveOffsets();
        const ready = [...this.states.values()].filter((s) => !s.paused && s.fetchOffset >= 0);
        if (ready.length === 0 || this.buffer.length > 0) {
          if (!this.stopped) await this.waitForWake();
          continue;
        }
        const result = await this.fetchOnce(ready);
        this.errorsInARow = 0;
        if (result.length > 0 && !this.stopped) this.deliver(result);
      } catch (err) {
        if (this.stopped) break;
        if (!(err instanceof RivuletError) || !err.retriable) {
          this.failure = err;
          this.stopped = true;
          this.taker?.(undefined);
          this.taker = undefined;
          break;
        }
        // Retriable (broker down, restarting, topic being created): try again, forever, spaced out.
        await sleep(backoffMs(this.opts.retry, this.errorsInARow++), this.abort.signal);
      }
    }
  }

  /** Resolves every 'earliest' / 'latest' / timestamp start with ListOffsets. */
  private async resolveOffsets(): Promise<void> {
    const pending = [...this.states.values()].filter((s) => s.fetchOffset < 0 && s.spec !== undefined);
    if (pending.length === 0) return;
    for (const s of pending) {
      if (typeof s.spec === 'number') this.setStart(s, s.spec);
    }
    const unresolved = pending.filter((s) => s.fetchOffset < 0);
    const generationOf = new Map(unresolved.map((s) => [s, s.generation])); // before any await
    const byConn = await this.groupByLeader(unresolved);
    let retry = false;
    for (const [conn, states] of byConn) {
      const generations = states.map((s) => generationOf.get(s));
      const topics = groupTopics(states, (s) => ({ index: s.partition, timestamp: timestampOf(s.spec!) }));
      const res = await conn.request(ListOffsets, { isolationLevel: 0, topics });
      for (const t of res.body.topics) {
        for (const p of t.partitions) {
          const i = states.findIndex((s) => s.topic === t.name && s.partition === p.index);
          const s = states[i];
          if (s === undefined || s.generation !== generations[i]) continue;
          if (p.errorCode !== 0) {
            const err = RivuletError.fromWire(p.errorCode, p.errorMessage ?? undefined, `${t.name}/${p.index}`);
            this.cluster.onPartitionError(t.name, err);
            throw err;
          }
          if (p.offset < 0) {
            s.spec = 'latest'; // no message at or after the timestamp yet: start at the end
            retry = true;
            continue;
          }
          const spec = s.spec;
          this.setStart(s, p.offset);
          if (typeof spec === 'object') s.skipBeforeTimestamp = spec.timestamp;
        }
      }
    }
    if (retry) await this.resolveOffsets();
  }

  private setStart(s: PartitionState, offset: number): void {
    s.fetchOffset = offset;
    s.position = offset;
    s.spec = undefined;
  }

  private async groupByLeader(states: PartitionState[]): Promise<Map<Connection, PartitionState[]>> {
    const out = new Map<Connection, PartitionState[]>();
    for (const s of states) {
      const meta = await this.cluster.topic(s.topic);
      const p = meta.partitions.find((x) => x.partition === s.partition);
      if (p === undefined) {
        this.cluster.invalidate(s.topic);
        throw new RivuletError('UNKNOWN_TOPIC_OR_PARTITION', `topic '${s.topic}' has no partition ${s.partition}`, {
          path: `${s.topic}/${s.partition}`,
        });
      }
      const conn = this.cluster.nodeConnection(p.leader);
      const list = out.get(conn);
      if (list === undefined) out.set(conn, [s]);
      else list.push(s);
    }
    return out;
  }

  private async fetchOnce(states: PartitionState[]): Promise<FetchedBatch[]> {
    // Taken before any await: an assign() or seek() while the leaders are looked up must make
    // this round's answer for that partition stale, not pass it off as current data.
    const snapshot = new Map(states.map((s) => [s, { generation: s.generation, offset: s.fetchOffset }]));
    const byConn = await this.groupByLeader(states);
    const results = await Promise.all([...byConn].map(([conn, list]) => this.fetchFrom(conn, list, snapshot)));
    return results.flat();
  }

  private async fetchFrom(
    conn: Connection,
    all: PartitionState[],
    snapshot: Map<PartitionState, { generation: number; offset: number }>,
  ): Promise<FetchedBatch[]> {
    const states = all.filter((s) => {
      const at = snapshot.get(s);
      return at !== undefined && at.generation === s.generation && at.offset === s.fetchOffset;
    });
    if (states.length === 0) return [];
    const asked = states.map((s) => ({ s, generation: s.generation, offset: s.fetchOffset }));
    const topics = groupTopics(states, (s) => ({
      index: s.partition,
      fetchOffset: s.fetchOffset,
      partitionMaxBytes: this.opts.maxBytesPerPartition,
    }));
    const { maxWaitMs, minBytes, maxBytes } = this.opts;
    const res = await conn.request(
      Fetch,
      { maxWaitMs, minBytes, maxBytes, isolationLevel: 0, topics },
      { timeoutMs: this.opts.requestTimeoutMs + maxWaitMs },
    );
    if (this.stopped) return [];
    const out: FetchedBatch[] = [];
    let raw = 0;
    let firstError: RivuletError | undefined;
    for (const t of res.body.topics) {
      for (const p of t.partitions) {
        const chunks = res.raws.slice(raw, raw + p.chunks.length);
        raw += p.chunks.length;
        const a = asked.find((x) => x.s.topic === t.name && x.s.partition === p.index);
        if (a === undefined || a.s.generation !== a.generation || a.s.fetchOffset !== a.offset) continue;
        if (p.errorCode !== 0) {
          const err = this.partitionError(a.s, t.name, p);
          if (err !== undefined) firstError ??= err;
          continue;
        }
        a.s.highWatermark = p.highWatermark;
        const where = `${t.name}/${p.index} at offset ${a.offset}`;
        let batch: FetchedBatch | undefined;
        try {
          batch = this.scan(a.s, a.generation, chunks, p.highWatermark, where);
        } catch (err) {
          throw corruptAt(where, `${t.name}/${p.index}`, err);
        }
        if (batch !== undefined) out.push(batch);
      }
    }
    // Partitions that answered are delivered; an error elsewhere makes the loop back off.
    if (firstError !== undefined && out.length === 0) throw firstError;
    return out;
  }

  /** Handles a partition's fetch error; returns the error when the loop should back off or stop. */
  private partitionError(s: PartitionState, topic: string, p: FetchPartitionResponse): RivuletError | undefined {
    const err = RivuletError.fromWire(p.errorCode, p.errorMessage ?? undefined, `${topic}/${p.index}`, p.details ?? undefined);
    if (err.code === 'OFFSET_OUT_OF_RANGE') {
      const policy = this.opts.autoOffsetReset;
      if (policy === 'none') {
        return new RivuletError(
          'OFFSET_OUT_OF_RANGE',
          `${topic}/${p.index}: offset ${s.fetchOffset} is outside the log [${p.logStartOffset}, ${p.highWatermark}] and autoOffsetReset is 'none'`,
          { path: `${topic}/${p.index}`, details: { logStartOffset: p.logStartOffset, highWatermark: p.highWatermark } },
        );
      }
      s.reset(policy);
      return undefined;
    }
    this.cluster.onPartitionError(topic, err);
    return err;
  }

  /**
   * Checks fetched chunks and moves the fetch offset past them; returns what to hand out, or
   * undefined when nothing is at or after the fetch offset. Only batch headers are read here (and
   * CRCs verified): the records are decoded when the consumer first looks at the messages, one
   * partition at a time, so the messages of a whole fetch (and of the one fetched ahead) never
   * live at once, and most die young. A start by timestamp decodes at once (it moves the position).
   */
  private scan(s: PartitionState, generation: number, chunks: Uint8Array[], highWatermark: number, where: string): FetchedBatch | undefined {
    if (s.skipBeforeTimestamp !== undefined) {
      const messages = this.decode(s, chunks);
      return messages.length > 0 ? new FetchedMessages(s, generation, highWatermark, messages, [], -1, where) : undefined;
    }
    const from = s.fetchOffset;
    let next = from;
    let any = false;
    const verify = this.opts.verifyCrc;
    for (const chunk of chunks) {
      const len = chunk.length;
      let pos = 0;
      // As decodeRecordBatches: a trailing partial batch (a fetch cut at maxBytes) is ignored.
      while (len - pos >= HEADER_SIZE_UP_TO_MAGIC) {
        const size = batchSize(chunk, pos);
        if (len - pos < size) break;
        const h = readBatchHeader(chunk, pos);
        if (verify && !verifyBatchCrc(chunk, pos)) {
          throw new RivuletError('CORRUPT_MESSAGE', `batch at byte ${pos} (baseOffset ${h.baseOffset}): CRC mismatch, stored 0x${h.crc.toString(16).padStart(8, '0')}`);
        }
        const end = h.baseOffset + h.lastOffsetDelta + 1;
        if (end > next) next = end;
        if (!h.isControl && h.recordCount > 0 && end > from) any = true;
        pos += size;
      }
    }
    s.fetchOffset = next;
    return any ? new FetchedMessages(s, generation, highWatermark, undefined, chunks, from, where) : undefined;
  }

  /** Decodes fetched chunks into messages at or after the fetch offset, and moves the fetch offset on. */
  private decode(s: PartitionState, chunks: Uint8Array[]): KafkaMessage[] {
    const { messages, next } = decodeMessages(chunks, s.fetchOffset, this.opts.verifyCrc, s);
    s.fetchOffset = next;
    return messages;
  }
}

/** A partition's fetched data; its messages are decoded on first access (CRCs were checked on arrival). */
class FetchedMessages implements FetchedBatch {
  private decoded: KafkaMessage[] | undefined;

  constructor(
    readonly state: PartitionState,
    readonly generation: number,
    readonly highWatermark: number,
    decoded: KafkaMessage[] | undefined,
    private chunks: Uint8Array[],
    private readonly from: number,
    private readonly where: string,
  ) {
    this.decoded = decoded;
  }

  /** Throws CORRUPT_MESSAGE (not retriable) when a record inside a CRC-valid batch cannot be read. */
  get messages(): KafkaMessage[] {
    if (this.decoded === undefined) {
      try {
        this.decoded = decodeMessages(this.chunks, this.from, false, undefined).messages;
      } catch (err) {
        throw corruptAt(this.where, `${this.state.topic}/${this.state.partition}`, err);
      }
      this.chunks = [];
    }
    return this.decoded;
  }

  release(): void {
    this.decoded = [];
    this.chunks = [];
  }
}

/** Bytes that fail their CRC or layout will fail the same way next time: stop, saying where. */
function corruptAt(where: string, path: string, err: unknown): RivuletError {
  const why = err instanceof Error ? err.message : String(err);
  return new RivuletError('CORRUPT_MESSAGE', `${where}: ${why}`, { retriable: false, path, cause: err });
}

/**
 * The messages at or after `from` in `chunks`, and the offset after the last batch. With `s`, a
 * start by timestamp skips the records before it (moving `s.position` past them).
 */
function decodeMessages(
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

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function timestampOf(spec: OffsetSpec): number {
  if (spec === 'earliest') return EARLIEST_TIMESTAMP;
  if (spec === 'latest') return LATEST_TIMESTAMP;
  if (typeof spec === 'object') return spec.timestamp;
  return spec;
}

function groupTopics<T>(states: PartitionState[], entry: (s: PartitionState) => T): { name: string; partitions: T[] }[] {
  const byTopic = new Map<string, T[]>();
  for (const s of states) {
    const list = byTopic.get(s.topic);
    if (list === undefined) byTopic.set(s.topic, [entry(s)]);
    else list.push(entry(s));
  }
  return [...byTopic].map(([name, partitions]) => ({ name, partitions }));
}
