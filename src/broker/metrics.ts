/**
 * The broker's counters and latency histograms, rendered as Prometheus text (`GET /metrics`).
 * Counting is a few Map lookups and additions per request; gauges (log offsets, connections,
 * segments, memory) are read when the text is rendered, not kept up to date.
 */

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Histogram } from '../histogram.js';

/** Period of the timer whose lateness is the event-loop delay. */
const LOOP_DELAY_RESOLUTION_MS = 10;

interface TopicCounters {
  bytesIn: number;
  recordsIn: number;
  bytesOut: number;
  recordsOut: number;
}

/** Facts read at render time from the rest of the broker. */
export interface MetricsSnapshot {
  connections: number;
  bufferedBytes: number;
  inflightProduceBytes: number;
  openSegments: number;
  fdatasyncs: number;
  /** Durations of the partition logs' group flushes (fdatasync of every segment written), summed. */
  flushes: Histogram;
  partitions: ReadonlyArray<{
    topic: string;
    partition: number;
    logStartOffset: number;
    logEndOffset: number;
    highWatermark: number;
  }>;
}

export class BrokerMetrics {
  readonly #topics = new Map<string, TopicCounters>();
  readonly #requests = new Map<string, { count: number; errors: number; latency: Histogram }>();
  connectionsAccepted = 0;
  connectionsRefused = 0;
  framesTooLarge = 0;
  readonly #startedAt = Date.now();
  /** Event-loop delay since the last render: what every request on the loop waits on top of its own work. */
  readonly #loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });

  constructor() {
    this.#loopDelay.enable();
  }

  /** Stops sampling the event loop (the broker is closing). */
  close(): void {
    this.#loopDelay.disable();
  }

  #topic(name: string): TopicCounters {
    let t = this.#topics.get(name);
    if (t === undefined) {
      t = { bytesIn: 0, recordsIn: 0, bytesOut: 0, recordsOut: 0 };
      this.#topics.set(name, t);
    }
    return t;
  }

  produced(topic: string, bytes: number, records: number): void {
    const t = this.#topic(topic);
    t.bytesIn += bytes;
    t.recordsIn += records;
  }

  fetched(topic: string, bytes: number, records: number): void {
    const t = this.#topic(topic);
    t.bytesOut += bytes;
    t.recordsOut += records;
  }

  /** One request of `api` answered (or dropped, acks=0) after `seconds`; `failed` when its top-level code ≠ 0. */
  request(api: string, seconds: number, failed: boolean): void {
    let r = this.#requests.get(api);
    if (r === undefined) {
      r = { count: 0, errors: 0, latency: new Histogram() };
      this.#requests.set(api, r);
    }
    r.count++;
    if (failed) r.errors++;
    r.latency.observe(seconds);
  }

  /** Forgets the counters of a deleted topic, so deleted topics don't accumulate series. */
  forgetTopic(topic: string): void {
    this.#topics.delete(topic);
  }

  render(s: MetricsSnapshot): string {
    const out: string[] = [];
    const family = (name: string, type: string, help: string) =>
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);

    family('rivulet_bytes_in_total', 'counter', 'Record bytes appended, per topic.');
    for (const [t, c] of this.#topics) out.push(`rivulet_bytes_in_total{topic="${t}"} ${c.bytesIn}`);
    family('rivulet_records_in_total', 'counter', 'Records appended, per topic.');
    for (const [t, c] of this.#topics) out.push(`rivulet_records_in_total{topic="${t}"} ${c.recordsIn}`);
    family('rivulet_bytes_out_total', 'counter', 'Record bytes sent to fetchers, per topic.');
    for (const [t, c] of this.#topics) out.push(`rivulet_bytes_out_total{topic="${t}"} ${c.bytesOut}`);
    family('rivulet_records_out_total', 'counter', 'Records sent to fetchers, per topic.');
    for (const [t, c] of this.#topics) out.push(`rivulet_records_out_total{topic="${t}"} ${c.recordsOut}`);

    family('rivulet_requests_total', 'counter', 'Requests handled, per api.');
    for (const [api, r] of this.#requests) out.push(`rivulet_requests_total{api="${api}"} ${r.count}`);
    family('rivulet_request_errors_total', 'counter', 'Requests answered with a top-level error, per api.');
    for (const [api, r] of this.#requests) out.push(`rivulet_request_errors_total{api="${api}"} ${r.errors}`);
    family(
      'rivulet_request_duration_seconds',
      'histogram',
      'Time from receiving a request to answering it (fetch includes its long-poll wait).',
    );
    for (const [api, r] of this.#requests) out.push(...r.latency.render('rivulet_request_duration_seconds', `api="${api}"`));

    family('rivulet_log_end_offset', 'gauge', 'Offset the next record appended to the partition gets.');
    for (const p of s.partitions)
      out.push(`rivulet_log_end_offset{topic="${p.topic}",partition="${p.partition}"} ${p.logEndOffset}`);
    family('rivulet_log_start_offset', 'gauge', 'First offset still readable in the partition.');
    for (const p of s.partitions)
      out.push(`rivulet_log_start_offset{topic="${p.topic}",partition="${p.partition}"} ${p.logStartOffset}`);
    family('rivulet_high_watermark', 'gauge', 'Offset up to which consumers may read.');
    for (const p of s.partitions)
      out.push(`rivulet_high_watermark{topic="${p.topic}",partition="${p.partition}"} ${p.highWatermark}`);

    family('rivulet_connections', 'gauge', 'Open client connections.');
    out.push(`rivulet_connections ${s.connections}`);
    family('rivulet_connections_accepted_total', 'counter', 'Connections accepted since start.');
    out.push(`rivulet_connections_accepted_total ${this.connectionsAccepted}`);
    family('rivulet_connections_refused_total', 'counter', 'Connections refused at the connection limit.');
    out.push(`rivulet_connections_refused_total ${this.connectionsRefused}`);
    family('rivulet_frames_too_large_total', 'counter', 'Connections closed for a message over max-frame-bytes.');
    out.push(`rivulet_frames_too_large_total ${this.framesTooLarge}`);
    family(
      'rivulet_buffered_response_bytes',
      'gauge',
      'Response bytes waiting in connection buffers for slow readers.',
    );
    out.push(`rivulet_buffered_response_bytes ${s.bufferedBytes}`);
    family('rivulet_inflight_produce_bytes', 'gauge', 'Produce bytes appended and awaiting their answer.');
    out.push(`rivulet_inflight_produce_bytes ${s.inflightProduceBytes}`);
    family('rivulet_open_segments', 'gauge', 'Log segments currently open.');
    out.push(`rivulet_open_segments ${s.openSegments}`);
    family('rivulet_fdatasync_total', 'counter', 'fdatasync calls made by the partition logs.');
    out.push(`rivulet_fdatasync_total ${s.fdatasyncs}`);
    family(
      'rivulet_log_flush_duration_seconds',
      'histogram',
      'Group flushes of the partition logs (one fdatasync per segment written), what acks=all answers wait for.',
    );
    out.push(...s.flushes.render('rivulet_log_flush_duration_seconds', ''));
    family(
      'rivulet_event_loop_delay_seconds',
      'gauge',
      'Event-loop delay since the previous scrape, by quantile (0.5, 0.99, 1 = max): how late a 10 ms timer fired.',
    );
    const d = this.#loopDelay;
    for (const [q, ns] of [['0.5', d.percentile(50)], ['0.99', d.percentile(99)], ['1', d.max]] as const) {
      // The histogram holds whole timer periods; what is past the period is the delay.
      const late = Number.isFinite(ns) && d.count > 0 ? Math.max(0, ns / 1e9 - LOOP_DELAY_RESOLUTION_MS / 1000) : 0;
      out.push(`rivulet_event_loop_delay_seconds{quantile="${q}"} ${late}`);
    }
    d.reset();

    const mem = process.memoryUsage();
    family(
      'rivulet_process_memory_bytes',
      'gauge',
      'Process memory, by kind (rss, heap_total, heap_used, external, array_buffers).',
    );
    out.push(`rivulet_process_memory_bytes{kind="rss"} ${mem.rss}`);
    out.push(`rivulet_process_memory_bytes{kind="heap_total"} ${mem.heapTotal}`);
    out.push(`rivulet_process_memory_bytes{kind="heap_used"} ${mem.heapUsed}`);
    out.push(`rivulet_process_memory_bytes{kind="external"} ${mem.external}`);
    out.push(`rivulet_process_memory_bytes{kind="array_buffers"} ${mem.arrayBuffers}`);
    family('rivulet_uptime_seconds', 'gauge', 'Seconds since the broker started.');
    out.push(`rivulet_uptime_seconds ${(Date.now() - this.#startedAt) / 1000}`);
    return `${out.join('\n')}\n`;
  }
}
