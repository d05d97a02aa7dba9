/**
 * Time for the group coordinator, injected so tests drive it deterministically (session and
 * rebalance timeouts, offset expiry) and production uses the real clock.
 */
export interface Scheduler {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` once, `delayMs` from now; the returned function cancels it. */
  schedule(delayMs: number, fn: () => void): () => void;
}

/** Wall clock and Node timers; timers are unref'd so they never keep the process alive. */
export const systemScheduler: Scheduler = {
  now: () => Date.now(),
  schedule(delayMs, fn) {
    const t = setTimeout(fn, delayMs);
    t.unref();
    return () => clearTimeout(t);
  },
};
