/**
 * What `rivulet perf` prints: a live line per interval (records/s, MB/s, latency average and
 * percentiles of that interval, records in flight) and a final summary over the whole run, as text
 * or as one JSON object. Latencies are recorded in microseconds and printed in milliseconds.
 * MB is 10^6 bytes, as Kafka's perf tools count it.
 */
import { Histogram } from './histogram.js';

const MB = 1_000_000;

export interface LatencySummary {
  avg: number;
  p50: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

export interface PerfSummary {
  command: 'produce' | 'consume';
  topic: string;
  records: number;
  bytes: number;
  elapsedMs: number;
  recordsPerSec: number;
  mbPerSec: number;
  /** Milliseconds: produce, send to acknowledgement; consume, produce timestamp to delivery. */
  latencyMs: LatencySummary;
  /** Settings of the run, echoed for the record. */
  settings: Record<string, string | number | boolean | null>;
}

export function latencySummary(h: Histogram): LatencySummary {
  const ms = (us: number) => round(us / 1000, 3);
  return {
    avg: ms(h.mean),
    p50: ms(h.percentile(50)),
    p95: ms(h.percentile(95)),
    p99: ms(h.percentile(99)),
    p999: ms(h.percentile(99.9)),
    max: ms(h.max),
  };
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function fmtMs(us: number): string {
  const ms = us / 1000;
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

/**
 * Counts one interval at a time. `add` is called for every acknowledged (or delivered) group of
 * records with their latency in microseconds; `tick` prints the interval's line and starts the next.
 */
export class PerfReporter {
  readonly total = new Histogram();
  private readonly window = new Histogram();
  private windowRecords = 0;
  private windowBytes = 0;
  private windowStart: number;
  records = 0;
  bytes = 0;
  private readonly verb: string;
  private readonly out: (line: string) => void;

  constructor(verb: 'sent' | 'consumed', out: (line: string) => void, now = performance.now()) {
    this.verb = verb;
    this.out = out;
    this.windowStart = now;
  }

  /** `count` records of `bytes` bytes in all, each with `latencyUs`. */
  add(count: number, bytes: number, latencyUs: number): void {
    this.window.record(latencyUs, count);
    this.total.record(latencyUs, count);
    this.windowRecords += count;
    this.windowBytes += bytes;
    this.records += count;
    this.bytes += bytes;
  }

  /** Counts records and bytes; latencies are given one by one with {@link latency}. */
  addCounts(count: number, bytes: number): void {
    this.windowRecords += count;
    this.windowBytes += bytes;
    this.records += count;
    this.bytes += bytes;
  }

  /** `count` records (default one) with `latencyUs` each. */
  latency(latencyUs: number, count = 1): void {
    this.window.record(latencyUs, count);
    this.total.record(latencyUs, count);
  }

  /** Prints the line of the interval that ends now. */
  tick(inFlight: number | undefined, now = performance.now()): void {
    const secs = Math.max(1e-9, (now - this.windowStart) / 1000);
    const w = this.window;
    let line =
      `${this.windowRecords} records ${this.verb}, ${(this.windowRecords / secs).toFixed(1)} records/s ` +
      `(${(this.windowBytes / MB / secs).toFixed(2)} MB/s), latency ms avg ${fmtMs(w.mean)} ` +
      `p50 ${fmtMs(w.percentile(50))} p99 ${fmtMs(w.percentile(99))} p99.9 ${fmtMs(w.percentile(99.9))}`;
    if (inFlight !== undefined) line += `, ${inFlight} in flight`;
    this.out(line);
    this.window.reset();
    this.windowRecords = 0;
    this.windowBytes = 0;
    this.windowStart = now;
  }

  summary(
    command: PerfSummary['command'],
    topic: string,
    elapsedMs: number,
    settings: PerfSummary['settings'],
  ): PerfSummary {
    const secs = Math.max(1e-9, elapsedMs / 1000);
    return {
      command,
      topic,
      records: this.records,
      bytes: this.bytes,
      elapsedMs: round(elapsedMs, 1),
      recordsPerSec: round(this.records / secs, 1),
      mbPerSec: round(this.bytes / MB / secs, 2),
      latencyMs: latencySummary(this.total),
      settings,
    };
  }
}

/** The final summary as text, in the spirit of kafka-producer-perf-test's last line. */
export function formatSummary(s: PerfSummary): string {
  const l = s.latencyMs;
  const verb = s.command === 'produce' ? 'sent' : 'consumed';
  const what = s.command === 'produce' ? 'send to ack' : 'end to end';
  return (
    `${s.records} records ${verb} in ${(s.elapsedMs / 1000).toFixed(2)} s, ` +
    `${s.recordsPerSec.toFixed(1)} records/s (${s.mbPerSec.toFixed(2)} MB/s), ` +
    `latency (${what}) ms avg ${l.avg} p50 ${l.p50} p95 ${l.p95} p99 ${l.p99} p99.9 ${l.p999} max ${l.max}` +
    (typeof s.settings.clientLoopDelayP99Ms === 'number'
      ? `; client event-loop delay ms p99 ${s.settings.clientLoopDelayP99Ms} max ${s.settings.clientLoopDelayMaxMs}\n`
      : '\n')
  );
}
