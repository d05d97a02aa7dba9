/**
 * The broker's counters and latency histograms, rendered as Prometheus text (`GET /metrics`).
 * Counting is a few Map lookups and additions per request; gauges (log offsets, connections,
 * segments, memory) are read when the text is rendered, not kept up to date.
 */

/** Request latency buckets, in seconds (Prometheus convention). */
export const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

class Histogram {
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
}

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
    for (const [api, r] of this.#requests) {
      let cumulative = 0;
      for (let i = 0; i < LATENCY_BUCKETS_S.length; i++) {
        cumulative += r.latency.counts[i]!;
        out.push(`rivulet_request_duration_seconds_bucket{api="${api}",le="${LATENCY_BUCKETS_S[i]}"} ${cumulative}`);
      }
      out.push(`rivulet_request_duration_seconds_bucket{api="${api}",le="+Inf"} ${r.latency.count}`);
      out.push(`rivulet_request_duration_seconds_sum{api="${api}"} ${r.latency.sum}`);
      out.push(`rivulet_request_duration_seconds_count{api="${api}"} ${r.latency.count}`);
    }

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
