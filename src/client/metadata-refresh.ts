/**
 * The sender's metadata fetches for topics whose partitions have no known leader: one at a time
 * per topic, retried with backoff while the error is retriable.
 */
import { RivuletError } from '../errors.js';
import type { Cluster } from './cluster.js';
import { backoffMs, type RetryPolicy } from './retry.js';

export class MetadataRefresh {
  /** Topics whose metadata is being fetched (or waiting to be fetched again), with failed attempts so far. */
  private readonly attempts = new Map<string, number>();
  private readonly busy = new Set<string>();

  constructor(
    private readonly cluster: Cluster,
    private readonly opts: { allowAutoTopicCreation: boolean; retry: RetryPolicy },
    /** Called once the metadata is in, or when it is worth trying again. */
    private readonly onReady: () => void,
    /** Called when the topic's metadata cannot be had: its queued batches fail with `err`. */
    private readonly onFailed: (topic: string, err: unknown) => void,
  ) {}

  refresh(topic: string): void {
    if (this.busy.has(topic)) return;
    this.busy.add(topic);
    this.cluster.topic(topic, this.opts.allowAutoTopicCreation).then(
      () => {
        this.busy.delete(topic);
        this.attempts.delete(topic);
        this.onReady();
      },
      (err: unknown) => {
        const attempts = (this.attempts.get(topic) ?? 0) + 1;
        if (err instanceof RivuletError && err.retriable && attempts <= this.opts.retry.retries) {
          this.attempts.set(topic, attempts);
          setTimeout(
            () => {
              this.busy.delete(topic);
              this.onReady();
            },
            backoffMs(this.opts.retry, attempts - 1),
          );
          return;
        }
        this.busy.delete(topic);
        this.attempts.delete(topic);
        this.onFailed(topic, err);
      },
    );
  }
}
