/**
 * Group commit: many callers waiting for durability share one flush.
 *
 * - No flush running: the caller starts one.
 * - A flush is running and already covers the caller (its target ≥ what the caller needs): the
 *   caller shares it.
 * - Otherwise the caller joins the one queued flush, which starts when the running one ends and
 *   covers everything appended up to its own start. However many callers arrive, at most one flush
 *   runs and one waits.
 *
 * `flushOnce(target)` does the real work; `target` is what `currentTarget()` said when it started.
 */
export class GroupCommit {
  /** Flushes started so far: with many concurrent callers, far fewer than requests. */
  flushCount = 0;
  #running: Promise<void> | null = null;
  #runningTarget = -1;
  #queued: Promise<void> | null = null;
  readonly #flushOnce: (target: number) => Promise<void>;
  readonly #currentTarget: () => number;

  constructor(flushOnce: (target: number) => Promise<void>, currentTarget: () => number) {
    this.#flushOnce = flushOnce;
    this.#currentTarget = currentTarget;
  }

  /** Resolves once everything up to `need` (default: the current target) is flushed. */
  request(need: number = this.#currentTarget()): Promise<void> {
    if (this.#running === null) return this.#start();
    if (this.#runningTarget >= need) return this.#running;
    if (this.#queued === null) {
      const queued = this.#running
        .catch(() => undefined) // the running flush's failure belongs to its own callers
        .then(() => {
          this.#queued = null;
          return this.#start();
        });
      this.#queued = queued;
    }
    return this.#queued;
  }

  /**
   * What the running flush covers no longer matches the log (a truncation replaced data below its
   * target): callers from now on wait for the next flush instead of sharing it.
   */
  supersede(): void {
    this.#runningTarget = -1;
  }

  /** Resolves when no flush is running or queued (failures are its callers' business). */
  async idle(): Promise<void> {
    while (this.#running !== null || this.#queued !== null) {
      await (this.#queued ?? this.#running)?.catch(() => undefined);
    }
  }

  #start(): Promise<void> {
    this.flushCount++;
    const target = this.#currentTarget();
    this.#runningTarget = target;
    const running: Promise<void> = this.#flushOnce(target).finally(() => {
      if (this.#running === running) {
        this.#running = null;
        this.#runningTarget = -1;
      }
    });
    this.#running = running;
    return running;
  }
}
