/**
 * What `consumer.run()` runs: takes fetched results, hands each partition's batch to `eachMessage`
 * or `eachBatch` (up to `partitionsConsumedConcurrently` partitions at once, each in order), moves
 * positions on as messages are handled, and retries a handler that throws, from the failed message,
 * after a backoff. In a group, ownership changes happen between results (`GroupSession.between`).
 */
import { type FetchedBatch, toBatch } from './fetched-batch.js';
import type { Fetcher, PartitionState } from './fetcher.js';
import { tpKey } from './group/partitions.js';
import { type GroupSession, WOKEN } from './group/session.js';
import { pausePartitions, resumePartitions } from './partition-control.js';
import { backoffMs, type RetryPolicy, sleep } from './retry.js';
import type { ConsumerRunConfig, EachBatchPayload } from './types.js';

export class RunLoop {
  private stopped = false;
  private readonly abort = new AbortController();

  /** `disconnect` is the consumer's: called (not awaited) when the loop gives up. */
  constructor(
    private readonly fetcher: Fetcher,
    private readonly group: GroupSession | undefined,
    private readonly retry: RetryPolicy,
    private readonly disconnect: () => Promise<void>,
  ) {}

  /** The consumer is disconnecting: no new handler call starts, and a backoff is cut short. */
  stop(): void {
    this.stopped = true;
    this.abort.abort();
  }

  async run(config: ConsumerRunConfig): Promise<void> {
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
        const pause = () => this.pauseOne(s);
        for (const message of b.messages) {
          if (this.stopped || stale() || s.paused) return;
          const handled = config.eachMessage!({ topic, partition, message, pause, heartbeat });
          // Only a promise is awaited: a handler that returns at once goes on to the next message
          // without a trip through the microtask queue (its throw is caught below all the same).
          if (isPromiseLike(handled)) await handled;
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
      heartbeat,
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
    pausePartitions(this.fetcher, [{ topic: s.topic, partitions: [s.partition] }]);
    return () => resumePartitions(this.fetcher, [{ topic: s.topic, partitions: [s.partition] }]);
  }
}

/** The payloads' `heartbeat`: the group session heartbeats on its own timer, so there is nothing to do. */
const heartbeat = async (): Promise<void> => {};

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return typeof (v as PromiseLike<unknown> | undefined)?.then === 'function';
}

function tpKeyOf(s: PartitionState): string {
  return tpKey(s.topic, s.partition);
}
