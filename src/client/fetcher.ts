/**
 * The consumer's fetcher: resolves start offsets (ListOffsets), long-polls Fetch from each
 * partition's leader, verifies and decodes the returned batches, and hands the results over one
 * at a time. One fetch is kept ahead of the consumer: the next request goes out as soon as the
 * previous result has been taken, so a handler's time overlaps the broker's; at most one result
 * waits untaken, which bounds memory by about two responses (`maxBytes` each).
 *
 * The pieces: `partition-state.ts` (each partition's fetch offset, position and generation),
 * `start-offsets.ts` (ListOffsets), `fetch-round.ts` (one Fetch per leader), `fetched-batch.ts`
 * and `record-decoding.ts` (checking and decoding what came back). This file is the loop and the
 * hand-over.
 */
import { RivuletError } from '../errors.js';
import type { Cluster } from './cluster.js';
import { fetchRound, type FetcherOptions } from './fetch-round.js';
import type { FetchedBatch } from './fetched-batch.js';
import { PartitionState } from './partition-state.js';
import { backoffMs, sleep } from './retry.js';
import { resolveStartOffsets } from './start-offsets.js';
import type { OffsetSpec } from './types.js';

export type { FetcherOptions } from './fetch-round.js';
export type { FetchedBatch } from './fetched-batch.js';
export { PartitionState } from './partition-state.js';

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
  /** For a fetch round: did the fetcher stop while its long-poll was out? */
  private readonly isStopped = (): boolean => this.stopped;

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
        await resolveStartOffsets(this.cluster, this.states);
        const ready = [...this.states.values()].filter((s) => !s.paused && s.fetchOffset >= 0);
        if (ready.length === 0 || this.buffer.length > 0) {
          if (!this.stopped) await this.waitForWake();
          continue;
        }
        const result = await fetchRound(this.cluster, this.opts, ready, this.isStopped);
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
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
