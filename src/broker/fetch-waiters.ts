/**
 * Fetch long-poll: fetches that wait for data register here on the partitions they read, and the
 * produce path tells the registry how many bytes each append added. No polling: a waiting fetch is
 * woken by the append that brings it to its minBytes, or by its own maxWaitMs timer.
 */
import type { PartitionLog } from '../log/partition-log.js';

export interface FetchWaiter {
  /** Bytes still missing before the fetch has its minBytes. */
  missing: number;
  /** Called once, when the fetch should answer now. */
  wake(): void;
}

export class FetchWaiters {
  readonly #byLog = new Map<PartitionLog, Set<FetchWaiter>>();
  readonly #logsOf = new Map<FetchWaiter, readonly PartitionLog[]>();

  get size(): number {
    return this.#logsOf.size;
  }

  add(waiter: FetchWaiter, logs: readonly PartitionLog[]): void {
    this.#logsOf.set(waiter, logs);
    for (const log of logs) {
      let set = this.#byLog.get(log);
      if (set === undefined) {
        set = new Set();
        this.#byLog.set(log, set);
      }
      set.add(waiter);
    }
  }

  remove(waiter: FetchWaiter): void {
    const logs = this.#logsOf.get(waiter);
    if (logs === undefined) return;
    this.#logsOf.delete(waiter);
    for (const log of logs) {
      const set = this.#byLog.get(log);
      if (set === undefined) continue;
      set.delete(waiter);
      if (set.size === 0) this.#byLog.delete(log);
    }
  }

  /** `bytes` were appended to `log`: wake every waiter that now has its minBytes. */
  appended(log: PartitionLog, bytes: number): void {
    const set = this.#byLog.get(log);
    if (set === undefined) return;
    for (const w of [...set]) {
      w.missing -= bytes;
      if (w.missing <= 0) {
        this.remove(w);
        w.wake();
      }
    }
  }

  /** Wakes the waiters of a partition that went away (its topic was deleted). */
  partitionGone(log: PartitionLog): void {
    const set = this.#byLog.get(log);
    if (set === undefined) return;
    for (const w of [...set]) {
      this.remove(w);
      w.wake();
    }
  }

  /** Wakes every waiter (shutdown: answer with what there is). */
  wakeAll(): void {
    for (const w of [...this.#logsOf.keys()]) {
      this.remove(w);
      w.wake();
    }
  }
}
