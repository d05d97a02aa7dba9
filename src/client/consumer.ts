/**
 * The consumer: explicit assignment (`assign`), or a consumer group (`groupId`, `subscribe`; the
 * membership, rebalances and commits are `group/session.ts`'s). `run` hands messages to
 * `eachMessage` or `eachBatch` as KafkaJS does, and resolves once `disconnect` stops it;
 * `for await (const batch of consumer)` iterates over batches instead (explicit assignment only).
 * Messages of one partition are always handled in order.
 */
import { RivuletError } from '../errors.js';
import type { Cluster } from './cluster.js';
import { type FetchedBatch, Fetcher, type FetcherOptions, type PartitionState } from './fetcher.js';
import { tpKey } from './group/partitions.js';
import { GroupSession, type PartitionEvent, WOKEN } from './group/session.js';
import { backoffMs, type RetryPolicy, retryPolicy, sleep } from './retry.js';
import type {
  Batch,
  ConsumerOptions,
  ConsumerRunConfig,
  ConsumerSubscribeTopics,
  EachBatchPayload,
  OffsetSpec,
  TopicPartition,
  TopicPartitionOffsetAndMetadata,
  TopicPartitionOffsetSpec,
  TopicPartitions,
} from './types.js';

const DEFAULT_MAX_WAIT_MS = 500;
const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
const DEFAULT_MAX_BYTES_PER_PARTITION = 1024 * 1024;
const DEFAULT_SESSION_TIMEOUT_MS = 45_000;
const DEFAULT_HEARTBEAT_INTERVAL_MS = 3_000;
const DEFAULT_MAX_POLL_INTERVAL_MS = 300_000;
const DEFAULT_AUTO_COMMIT_INTERVAL_MS = 5_000;
/** disconnect() waits this long at most for a running handler before committing and leaving. */
const MAX_DISCONNECT_WAIT_MS = 5_000;

type PartitionListener = (partitions: TopicPartition[]) => Promise<void> | void;

function optionalMs(v: number | undefined, fallback: number, name: string): number {
  if (v === undefined) return fallback;
  if (!Number.isSafeInteger(v) || v <= 0) throw new RivuletError('INVALID_ARGUMENT', `${name} must be a positive integer (ms), got ${String(v)}`);
  return v;
}

function checkSpec(spec: OffsetSpec, path: string): OffsetSpec {
  if (spec === 'earliest' || spec === 'latest') return spec;
  if (typeof spec === 'number' && Number.isSafeInteger(spec) && spec >= 0) return spec;
  if (typeof spec === 'object' && spec !== null && Number.isSafeInteger(spec.timestamp) && spec.timestamp >= 0) {
    return { timestamp: spec.timestamp };
  }
  throw new RivuletError(
    'INVALID_ARGUMENT',
    `${path}: offset must be an offset ≥ 0, 'earliest', 'latest' or { timestamp }, got ${JSON.stringify(spec)}`,
    { path },
  );
}

function checkTopicPartition(topic: unknown, partition: unknown, path: string): void {
  if (typeof topic !== 'string' || topic.length === 0) {
    throw new RivuletError('INVALID_ARGUMENT', `${path}/topic must be a non-empty string`, { path: `${path}/topic` });
  }
  if (!Number.isSafeInteger(partition) || (partition as number) < 0) {
    throw new RivuletError('INVALID_ARGUMENT', `${path}/partition must be an integer ≥ 0`, { path: `${path}/partition` });
  }
}

export class Consumer implements AsyncIterable<Batch> {
  readonly groupId: string | undefined;
  private readonly fetcher: Fetcher;
  private readonly retry: RetryPolicy;
  private readonly abort = new AbortController();
  private mode: 'idle' | 'run' | 'iterate' = 'idle';
  private stopped = false;
  private running: Promise<void> | undefined;
  private readonly group: GroupSession | undefined;
  private readonly fetcherOpts: FetcherOptions;
  private readonly resetGiven: boolean;
  private readonly listeners = new Map<PartitionEvent, PartitionListener[]>();

  /** Use `client.consumer()`. */
  constructor(cluster: Cluster, opts: ConsumerOptions = {}) {
    this.groupId = opts.groupId;
    this.retry = retryPolicy(cluster.opts.retry, opts.retry);
    const reset = opts.autoOffsetReset ?? 'latest';
    this.resetGiven = opts.autoOffsetReset !== undefined;
    if (reset !== 'earliest' && reset !== 'latest' && reset !== 'none') {
      throw new RivuletError('INVALID_ARGUMENT', `autoOffsetReset must be 'earliest', 'latest' or 'none', got ${String(reset)}`);
    }
    this.fetcherOpts = {
      maxWaitMs: opts.maxWaitMs ?? DEFAULT_MAX_WAIT_MS,
      minBytes: opts.minBytes ?? 1,
      maxBytes: opts.maxBytes ?? DEFAULT_MAX_BYTES,
      maxBytesPerPartition: opts.maxBytesPerPartition ?? DEFAULT_MAX_BYTES_PER_PARTITION,
      autoOffsetReset: reset,
      verifyCrc: opts.verifyCrc ?? true,
      retry: this.retry,
      requestTimeoutMs: cluster.opts.requestTimeoutMs,
    };
    this.fetcher = new Fetcher(cluster, this.fetcherOpts);
    if (opts.groupId !== undefined) {
      if (typeof opts.groupId !== 'string' || opts.groupId.length === 0) throw new RivuletError('INVALID_ARGUMENT', 'groupId must be a non-empty string');
      const assignor = opts.assignor ?? null;
      if (assignor !== null && assignor !== 'sticky' && assignor !== 'range' && assignor !== 'roundrobin') {
        throw new RivuletError('INVALID_ARGUMENT', `assignor must be 'sticky', 'range' or 'roundrobin', got ${String(assignor)}`);
      }
      const maxPollIntervalMs = optionalMs(opts.maxPollIntervalMs, DEFAULT_MAX_POLL_INTERVAL_MS, 'maxPollIntervalMs');
      this.group = new GroupSession(
        cluster,
        this.fetcher,
        {
          groupId: opts.groupId,
          instanceId: opts.groupInstanceId ?? null,
          rebalanceTimeoutMs: optionalMs(opts.rebalanceTimeoutMs, maxPollIntervalMs, 'rebalanceTimeoutMs'),
          sessionTimeoutMs: optionalMs(opts.sessionTimeoutMs, DEFAULT_SESSION_TIMEOUT_MS, 'sessionTimeoutMs'),
          heartbeatIntervalMs: optionalMs(opts.heartbeatIntervalMs, DEFAULT_HEARTBEAT_INTERVAL_MS, 'heartbeatIntervalMs'),
          assignor,
          maxPollIntervalMs,
          retry: this.retry,
        },
        (event, partitions) => this.emit(event, partitions),
      );
    }
  }

  /**
   * Rebalance events. 'partitions.revoked' listeners are awaited before the partitions are
   * released (commit there, and nothing is read twice); 'partitions.lost' reports partitions taken
   * away without a chance to commit (fenced, session lost).
   */
  on(event: PartitionEvent, listener: PartitionListener): this {
    if (event !== 'partitions.assigned' && event !== 'partitions.revoked' && event !== 'partitions.lost') {
      throw new RivuletError('INVALID_ARGUMENT', `unknown consumer event '${String(event)}'`);
    }
    const list = this.listeners.get(event);
    if (list === undefined) this.listeners.set(event, [listener]);
    else list.push(listener);
    return this;
  }

  private async emit(event: PartitionEvent, partitions: TopicPartition[]): Promise<void> {
    for (const l of this.listeners.get(event) ?? []) await l(partitions);
  }

  /** Consumer groups: adds topics (names or patterns) to the subscription. */
  subscribe(sub: ConsumerSubscribeTopics): void {
    this.checkOpen();
    const group = this.requireGroup('subscribe');
    const items: (string | RegExp)[] = [...(sub?.topics ?? [])];
    if (sub?.topic !== undefined) items.push(sub.topic);
    if (sub?.pattern !== undefined) items.push(sub.pattern);
    if (items.length === 0) throw new RivuletError('INVALID_ARGUMENT', 'subscribe() needs topics, topic or pattern');
    const topics = new Set(group.subscription.topics);
    const patterns = group.subscription.regex === null ? [] : [group.subscription.regex];
    for (const [i, t] of items.entries()) {
      if (t instanceof RegExp) patterns.push(t.source);
      else if (typeof t === 'string' && t.length > 0) topics.add(t);
      else throw new RivuletError('INVALID_ARGUMENT', `topics/${i} must be a topic name or a RegExp`, { path: `topics/${i}` });
    }
    const regex = patterns.length === 0 ? null : patterns.length === 1 ? patterns[0]! : patterns.map((p) => `(?:${p})`).join('|');
    if (sub.fromBeginning !== undefined) {
      group.fromBeginning = sub.fromBeginning;
      if (!this.resetGiven) this.fetcherOpts.autoOffsetReset = sub.fromBeginning ? 'earliest' : 'latest';
    }
    group.subscription = { topics: [...topics].sort(), regex };
  }

  /**
   * Consumer groups: commits offsets as the member, Kafka's way: `offset` is the next offset to
   * read. Rejected (UNKNOWN_MEMBER_ID, FENCED_MEMBER_EPOCH) when the group no longer counts this
   * consumer in; the consumer then joins again.
   */
  async commitOffsets(offsets: TopicPartitionOffsetAndMetadata[]): Promise<void> {
    const group = this.requireGroup('commitOffsets');
    if (!Array.isArray(offsets)) throw new RivuletError('INVALID_ARGUMENT', 'commitOffsets() takes [{ topic, partition, offset }]');
    const entries = offsets.map((o, i) => {
      checkTopicPartition(o?.topic, o?.partition, `${i}`);
      const offset = Number(o.offset);
      if (!Number.isSafeInteger(offset) || offset < 0) {
        throw new RivuletError('INVALID_ARGUMENT', `${i}/offset must be an offset ≥ 0`, { path: `${i}/offset` });
      }
      return { topic: o.topic, partition: o.partition, offset, metadata: o.metadata ?? null };
    });
    if (entries.length > 0) await group.commit(entries);
  }

  private requireGroup(what: string): GroupSession {
    if (this.group === undefined) throw new RivuletError('INVALID_ARGUMENT', `${what}() needs a consumer created with a groupId`);
    return this.group;
  }

  /** KafkaJS compatibility: connections open on first use. */
  async connect(): Promise<void> {
    this.checkOpen();
  }

  /** Reads exactly these partitions, each from its offset (replaces any earlier assignment). */
  assign(partitions: TopicPartitionOffsetSpec[]): void {
    this.checkOpen();
    if (this.group !== undefined) throw new RivuletError('INVALID_ARGUMENT', 'a group consumer gets its partitions from the group: use subscribe()');
    if (!Array.isArray(partitions)) throw new RivuletError('INVALID_ARGUMENT', 'assign() takes an array of { topic, partition, offset }');
    const list = partitions.map((p, i) => {
      checkTopicPartition(p?.topic, p?.partition, `${i}`);
      return { topic: p.topic, partition: p.partition, offset: checkSpec(p.offset ?? 'latest', `${i}/offset`) };
    });
    this.fetcher.assign(list);
  }

  /** The assigned partitions. */
  assignment(): { topic: string; partition: number }[] {
    return [...this.fetcher.partitions].map((s) => ({ topic: s.topic, partition: s.partition }));
  }

  /** The next offset the application gets from a partition (-1 while its start is being resolved). */
  position(topic: string, partition: number): number {
    const s = this.fetcher.state(topic, partition);
    if (s === undefined) throw this.notAssigned(topic, partition);
    return s.fetchOffset < 0 ? -1 : s.position;
  }

  /** Continues a partition from `offset`; data fetched before is dropped. */
  seek({ topic, partition, offset }: { topic: string; partition: number; offset: OffsetSpec }): void {
    checkTopicPartition(topic, partition, 'seek');
    const s = this.fetcher.state(topic, partition);
    if (s === undefined) throw this.notAssigned(topic, partition);
    s.reset(checkSpec(offset, 'seek/offset'));
    s.position = -1;
    this.fetcher.wake();
  }

  /** Stops fetching these partitions (all of a topic's when `partitions` is omitted). */
  pause(topics: TopicPartitions[]): void {
    for (const s of this.select(topics)) s.paused = true;
  }

  /** Fetches these partitions again, from where the application stopped. */
  resume(topics: TopicPartitions[]): void {
    for (const s of this.select(topics)) {
      if (!s.paused) continue;
      s.paused = false;
      s.rewind(); // anything fetched while paused was skipped: fetch it again
    }
    this.fetcher.wake();
  }

  /** The paused partitions, by topic. */
  paused(): { topic: string; partitions: number[] }[] {
    const byTopic = new Map<string, number[]>();
    for (const s of this.fetcher.partitions) {
      if (!s.paused) continue;
      const list = byTopic.get(s.topic);
      if (list === undefined) byTopic.set(s.topic, [s.partition]);
      else list.push(s.partition);
    }
    return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
  }

  /**
   * Consumes until {@link disconnect}: resolves then, rejects on an error it cannot get past (a
   * handler that keeps failing past the retry policy, a non-retriable broker error). A handler that
   * throws gets the same message again after a backoff.
   */
  run(config: ConsumerRunConfig): Promise<void> {
    this.checkOpen();
    if (this.mode !== 'idle') throw new RivuletError('INVALID_ARGUMENT', `the consumer is already ${this.mode === 'run' ? 'running' : 'being iterated'}`);
    if (typeof config?.eachMessage !== 'function' && typeof config?.eachBatch !== 'function') {
      throw new RivuletError('INVALID_ARGUMENT', 'run() needs eachMessage or eachBatch');
    }
    const group = this.group;
    if (group !== undefined) {
      if (group.subscription.topics.length === 0 && group.subscription.regex === null) {
        throw new RivuletError('INVALID_ARGUMENT', 'subscribe() before run()');
      }
      group.autoCommit = config.autoCommit ?? true;
      group.autoCommitIntervalMs = optionalMs(config.autoCommitIntervalMs, DEFAULT_AUTO_COMMIT_INTERVAL_MS, 'autoCommitIntervalMs');
      group.start();
    }
    this.mode = 'run';
    this.fetcher.start();
    this.running = this.runLoop(config);
    return this.running;
  }

  /** Iterates over fetched batches; a batch counts as consumed when the next one is asked for. */
  [Symbol.asyncIterator](): AsyncIterator<Batch> {
    this.checkOpen();
    if (this.group !== undefined) throw new RivuletError('INVALID_ARGUMENT', 'a group consumer is driven by run()');
    if (this.mode === 'run') throw new RivuletError('INVALID_ARGUMENT', 'the consumer is already running');
    this.mode = 'iterate';
    this.fetcher.start();
    let queue: FetchedBatch[] = [];
    let current: FetchedBatch | undefined;
    const consumeCurrent = () => {
      if (current !== undefined && current.state.generation === current.generation) {
        current.state.position = current.messages[current.messages.length - 1]!.offset + 1;
      }
      current?.release();
      current = undefined;
    };
    return {
      next: async (): Promise<IteratorResult<Batch>> => {
        consumeCurrent();
        for (;;) {
          while (queue.length > 0) {
            const b = queue.shift()!;
            if (b.state.generation !== b.generation || b.state.paused) continue;
            if (b.messages.length === 0) continue; // decoded here; a corrupt record throws
            current = b;
            return { done: false, value: toBatch(b) };
          }
          const next = await this.fetcher.take();
          if (next === undefined) return { done: true, value: undefined };
          queue = next;
        }
      },
      return: async (): Promise<IteratorResult<Batch>> => {
        consumeCurrent();
        this.mode = 'idle';
        return { done: true, value: undefined };
      },
    };
  }

  /**
   * Stops; run() resolves. Without a group, at once (a handler already running finishes on its
   * own). In a group: waits for the running handler (at most a few seconds: don't await this
   * inside a handler), commits what was processed, and leaves the group (epoch -1; -2 for a
   * static member, whose partitions then wait for it until its session times out).
   */
  async disconnect(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    this.fetcher.stop();
    const group = this.group;
    if (group === undefined) return;
    const running = this.running;
    if (running !== undefined) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        running.catch(() => {}),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, MAX_DISCONNECT_WAIT_MS);
        }),
      ]);
      clearTimeout(timer);
    }
    await group.close(group.autoCommit);
  }

  private async runLoop(config: ConsumerRunConfig): Promise<void> {
    const concurrency = Math.max(1, config.partitionsConsumedConcurrently ?? 1);
    const group = this.group;
    let pending: Promise<FetchedBatch[] | undefined> | undefined;
    while (!this.stopped) {
      if (group !== undefined) {
        try {
          await group.between();
        } catch (err) {
          if (this.stopped) return;
          void this.disconnect();
          throw err;
        }
        if (this.stopped) return;
      }
      pending ??= this.fetcher.take();
      let result: Awaited<typeof pending> | typeof WOKEN;
      try {
        result = group === undefined ? await pending : await group.wait(pending);
      } catch (err) {
        if (group !== undefined) void this.disconnect(); // leave the group: nobody consumes for it now
        throw err;
      }
      if (result === WOKEN) continue;
      pending = undefined;
      if (result === undefined) return;
      // A partition the group took away since the fetch is no longer in the fetcher: its data is void.
      const live = result.filter(
        (b) =>
          b.state.generation === b.generation &&
          !b.state.paused &&
          this.fetcher.state(b.state.topic, b.state.partition) === b.state,
      );
      let next = 0;
      const worker = async () => {
        while (next < live.length && !this.stopped) {
          const b = live[next++]!;
          await this.handle(b, config);
          b.release();
        }
      };
      group?.busy(true);
      try {
        await Promise.all(Array.from({ length: Math.min(concurrency, live.length) }, worker));
      } finally {
        group?.busy(false);
      }
    }
  }

  /** Hands one partition's batch to the handler; on a throw, rewinds to the failed message. */
  private async handle(b: FetchedBatch, config: ConsumerRunConfig): Promise<void> {
    const s = b.state;
    const stale = () => s.generation !== b.generation;
    // Decoded here, outside the handler's retries: a corrupt record ends the run, as a fetch error does.
    if (b.messages.length === 0) return;
    try {
      if (config.eachBatch !== undefined) {
        await this.handleBatch(b, config, stale);
      } else {
        const { topic, partition } = s;
        for (const message of b.messages) {
          if (this.stopped || stale() || s.paused) return;
          await config.eachMessage!({
            topic,
            partition,
            message,
            pause: () => this.pauseOne(s),
            heartbeat: async () => {},
          });
          if (!stale()) s.position = message.offset + 1;
        }
      }
      s.failures = 0;
    } catch (err) {
      if (this.stopped) return;
      s.failures++;
      if (s.failures > this.retry.retries) {
        void this.disconnect(); // not awaited: in a group it waits for this very loop to end
        throw err;
      }
      if (!stale()) s.rewind(); // the failed message comes again
      await sleep(backoffMs(this.retry, s.failures - 1), this.abort.signal);
      this.fetcher.wake();
    }
  }

  private async handleBatch(b: FetchedBatch, config: ConsumerRunConfig, stale: () => boolean): Promise<void> {
    const s = b.state;
    const payload: EachBatchPayload = {
      batch: toBatch(b),
      resolveOffset: (offset) => {
        if (!stale() && offset + 1 > s.position) s.position = offset + 1;
      },
      heartbeat: async () => {},
      commitOffsetsIfNecessary: async () => {
        if (this.group !== undefined && !stale()) await this.group.commitProcessed([tpKeyOf(s)]);
      },
      isRunning: () => !this.stopped,
      isStale: () => stale() || s.paused,
      pause: () => this.pauseOne(s),
    };
    await config.eachBatch!(payload);
    if ((config.eachBatchAutoResolve ?? true) && !stale() && !s.paused) {
      s.position = b.messages[b.messages.length - 1]!.offset + 1;
    }
  }

  private pauseOne(s: PartitionState): () => void {
    this.pause([{ topic: s.topic, partitions: [s.partition] }]);
    return () => this.resume([{ topic: s.topic, partitions: [s.partition] }]);
  }

  private select(topics: TopicPartitions[]): PartitionState[] {
    if (!Array.isArray(topics)) throw new RivuletError('INVALID_ARGUMENT', 'expected an array of { topic, partitions? }');
    const out: PartitionState[] = [];
    for (const { topic, partitions } of topics) {
      for (const s of this.fetcher.partitions) {
        if (s.topic === topic && (partitions === undefined || partitions.includes(s.partition))) out.push(s);
      }
    }
    return out;
  }

  private notAssigned(topic: string, partition: number): RivuletError {
    return new RivuletError('INVALID_ARGUMENT', `${topic}/${partition} is not assigned to this consumer`, {
      path: `${topic}/${partition}`,
    });
  }

  private checkOpen(): void {
    if (this.stopped) throw new RivuletError('CLIENT_CLOSED', 'the consumer was disconnected');
  }
}

function tpKeyOf(s: PartitionState): string {
  return tpKey(s.topic, s.partition);
}

function toBatch(b: FetchedBatch): Batch {
  return { topic: b.state.topic, partition: b.state.partition, highWatermark: b.highWatermark, messages: b.messages };
}
