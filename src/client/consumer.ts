/**
 * The consumer: explicit assignment (`assign`), or a consumer group (`groupId`, `subscribe`; the
 * membership, rebalances and commits are `group/session.ts`'s). `run` hands messages to
 * `eachMessage` or `eachBatch` as KafkaJS does (`run-loop.ts`), and resolves once `disconnect`
 * stops it; `for await (const batch of consumer)` iterates over batches instead (explicit
 * assignment only, `batch-iterator.ts`). Messages of one partition are always handled in order.
 */
import { RivuletError } from '../errors.js';
import { iterateBatches } from './batch-iterator.js';
import type { Cluster } from './cluster.js';
import {
  checkSpec,
  checkTopicPartition,
  DEFAULT_AUTO_COMMIT_INTERVAL_MS,
  fetcherOptions,
  groupSessionOptions,
  optionalMs,
} from './consumer-options.js';
import { Fetcher, type FetcherOptions } from './fetcher.js';
import { GroupSession, type PartitionEvent } from './group/session.js';
import {
  assignmentOf,
  pausedPartitions,
  pausePartitions,
  positionOf,
  resumePartitions,
  seekTo,
} from './partition-control.js';
import { type RetryPolicy, retryPolicy } from './retry.js';
import { RunLoop } from './run-loop.js';
import type {
  Batch,
  ConsumerOptions,
  ConsumerRunConfig,
  ConsumerSubscribeTopics,
  OffsetSpec,
  TopicPartition,
  TopicPartitionOffsetAndMetadata,
  TopicPartitionOffsetSpec,
  TopicPartitions,
} from './types.js';

/** disconnect() waits this long at most for a running handler before committing and leaving. */
const MAX_DISCONNECT_WAIT_MS = 5_000;

type PartitionListener = (partitions: TopicPartition[]) => Promise<void> | void;

export class Consumer implements AsyncIterable<Batch> {
  readonly groupId: string | undefined;
  private readonly fetcher: Fetcher;
  private readonly retry: RetryPolicy;
  private mode: 'idle' | 'run' | 'iterate' = 'idle';
  private stopped = false;
  private running: Promise<void> | undefined;
  private loop: RunLoop | undefined;
  private readonly group: GroupSession | undefined;
  private readonly fetcherOpts: FetcherOptions;
  private readonly resetGiven: boolean;
  private readonly listeners = new Map<PartitionEvent, PartitionListener[]>();

  /** Use `client.consumer()`. */
  constructor(cluster: Cluster, opts: ConsumerOptions = {}) {
    this.groupId = opts.groupId;
    this.retry = retryPolicy(cluster.opts.retry, opts.retry);
    this.resetGiven = opts.autoOffsetReset !== undefined;
    this.fetcherOpts = fetcherOptions(opts, this.retry, cluster.opts.requestTimeoutMs);
    this.fetcher = new Fetcher(cluster, this.fetcherOpts);
    if (opts.groupId !== undefined) {
      this.group = new GroupSession(cluster, this.fetcher, groupSessionOptions(opts, this.retry), (event, partitions) =>
        this.emit(event, partitions),
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
    return assignmentOf(this.fetcher);
  }

  /** The next offset the application gets from a partition (-1 while its start is being resolved). */
  position(topic: string, partition: number): number {
    return positionOf(this.fetcher, topic, partition);
  }

  /** Continues a partition from `offset`; data fetched before is dropped. */
  seek({ topic, partition, offset }: { topic: string; partition: number; offset: OffsetSpec }): void {
    seekTo(this.fetcher, topic, partition, offset);
  }

  /** Stops fetching these partitions (all of a topic's when `partitions` is omitted). */
  pause(topics: TopicPartitions[]): void {
    pausePartitions(this.fetcher, topics);
  }

  /** Fetches these partitions again, from where the application stopped. */
  resume(topics: TopicPartitions[]): void {
    resumePartitions(this.fetcher, topics);
  }

  /** The paused partitions, by topic. */
  paused(): { topic: string; partitions: number[] }[] {
    return pausedPartitions(this.fetcher);
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
    this.loop = new RunLoop(this.fetcher, group, this.retry, () => this.disconnect());
    this.running = this.loop.run(config);
    return this.running;
  }

  /** Iterates over fetched batches; a batch counts as consumed when the next one is asked for. */
  [Symbol.asyncIterator](): AsyncIterator<Batch> {
    this.checkOpen();
    if (this.group !== undefined) throw new RivuletError('INVALID_ARGUMENT', 'a group consumer is driven by run()');
    if (this.mode === 'run') throw new RivuletError('INVALID_ARGUMENT', 'the consumer is already running');
    this.mode = 'iterate';
    this.fetcher.start();
    return iterateBatches(this.fetcher, () => {
      this.mode = 'idle';
    });
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
    this.loop?.stop();
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

  private checkOpen(): void {
    if (this.stopped) throw new RivuletError('CLIENT_CLOSED', 'the consumer was disconnected');
  }
}
