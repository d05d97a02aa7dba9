/**
 * Fixed-bucket latency histograms, kept by whoever times something (requests in the broker,
 * flushes in the partition logs) and rendered as Prometheus histograms by the broker. Observing
 * is a few comparisons, so it can sit on hot paths.
 */

/** Latency buckets, in seconds (Prometheus convention). */
export const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Histogram {
  /** Observations per bucket (not cumulative); the last bucket's upper bound is LATENCY_BUCKETS_S's last. */
  readonly counts = new Array<number>(LATENCY_BUCKETS_S.length).fill(0);
  count = 0;
  sum = 0;

  observe(seconds: number): void {
    this.count++;
    this.sum += seconds;
    for (let i = 0; i < LATENCY_BUCKETS_S.length; i++) {
      if (seconds <= LATENCY_BUCKETS_S[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }

  /** Adds another histogram's observations to this one (partitions summed for one series). */
  add(other: Histogram): void {
    this.count += other.count;
    this.sum += other.sum;
    for (let i = 0; i < this.counts.length; i++) this.counts[i]! += other.counts[i]!;
  }

  /** Prometheus text lines of this histogram as `name` with `labels` (e.g. `api="Produce"`, or ''). */
  render(name: string, labels: string): string[] {
    const sep = labels === '' ? '' : ',';
    const out: string[] = [];
    let cumulative = 0;
    for (let i = 0; i < LATENCY_BUCKETS_S.length; i++) {
      cumulative += this.counts[i]!;
      out.push(`${name}_bucket{${labels}${sep}le="${LATENCY_BUCKETS_S[i]}"} ${cumulative}`);
    }
    out.push(`${name}_bucket{${labels}${sep}le="+Inf"} ${this.count}`);
    const braces = labels === '' ? '' : `{${labels}}`;
    out.push(`${name}_sum${braces} ${this.sum}`, `${name}_count${braces} ${this.count}`);
    return out;
  }
}
