/**
 * A token bucket for `--throughput`: `rate` tokens a second, at most `burst` saved up. `take(n)`
 * resolves once n tokens are there (n larger than the burst is taken on credit and repaid by later
 * takes), so records leave at the rate on average.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly rate: number;
  private readonly burst: number;

  constructor(rate: number, burst: number, now = performance.now()) {
    if (!(rate > 0)) throw new RangeError(`rate must be positive, got ${rate}`);
    this.rate = rate;
    this.burst = Math.max(1, burst);
    this.tokens = Math.min(this.burst, rate / 100); // a small head start, not a full burst
    this.last = now;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }

  /** Milliseconds to wait before `n` tokens are there (0 when they are), without taking them. */
  waitMs(n: number, now = performance.now()): number {
    this.refill(now);
    // More than the burst is taken on credit: the balance goes negative and later takes wait.
    const need = Math.min(n, this.burst);
    if (this.tokens >= need) return 0;
    return ((need - this.tokens) / this.rate) * 1000;
  }

  async take(n: number): Promise<void> {
    for (;;) {
      const wait = this.waitMs(n);
      if (wait <= 0) break;
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.ceil(wait))));
    }
    this.tokens -= n;
  }
}
