/**
 * What `rivulet perf consume` counts of each delivered batch: its records and bytes, and each
 * record's latency from its produce timestamp, one histogram entry per run of equal timestamps.
 */
import type { KafkaMessage } from '../../client/index.js';
import type { PerfReporter } from './reporter.js';

/**
 * Where the runs of equal timestamps start in a batch (timestamps are in ms, and a run shares one
 * latency): filled by {@link scanBatch}, read by {@link measureBatch}.
 */
export interface Runs {
  timestamps: Float64Array;
  starts: Int32Array;
  /** [0]: how many runs the last scan found. */
  count: Int32Array;
}

/** `runs`, or new arrays when it holds fewer than `records` entries. */
export function runsFor(records: number, runs?: Runs): Runs {
  if (runs !== undefined && runs.starts.length >= records) return runs;
  const size = Math.max(records, 2 * (runs?.starts.length ?? 1024));
  return { timestamps: new Float64Array(size), starts: new Int32Array(size), count: new Int32Array(1) };
}

/**
 * The bytes of `msgs[0, n)`; the runs of equal timestamps go into `runs`. Nothing follows the loop
 * but the return, and every branch in it runs on the first record: V8 (Node 20) optimizes such a
 * long loop on stack during its first call and then re-enters that same code in every later call,
 * and code after the loop that had not run by then sent each call back to the interpreter (127
 * deoptimizations in 1 M records, a third of the consumer's time, with the loop inline in the
 * handler).
 */
function scanBatch(msgs: KafkaMessage[], n: number, runs: Runs): number {
  const { timestamps, starts, count } = runs;
  count[0] = 0;
  let bytes = 0;
  let last = Number.NaN;
  for (let i = 0; i < n; i++) {
    const m = msgs[i]!;
    bytes += (m.value?.length ?? 0) + (m.key?.length ?? 0);
    const ts = m.timestamp;
    if (ts !== last) {
      const r = count[0]!;
      timestamps[r] = ts;
      starts[r] = i;
      count[0] = r + 1;
      last = ts;
    }
  }
  return bytes;
}

/** Counts `msgs[0, n)` into `reporter`: bytes, and each run's latency from its timestamp to `now`. */
export function measureBatch(msgs: KafkaMessage[], n: number, now: number, reporter: PerfReporter, runs: Runs): void {
  const bytes = scanBatch(msgs, n, runs);
  const count = runs.count[0]!;
  for (let r = 0; r < count; r++) {
    const end = r + 1 < count ? runs.starts[r + 1]! : n;
    reporter.latency((now - runs.timestamps[r]!) * 1000, end - runs.starts[r]!);
  }
  reporter.addCounts(n, bytes);
}
