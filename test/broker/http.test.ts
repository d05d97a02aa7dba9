import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiKeys } from '../../src/protocol/api.js';
import { type Harness, httpGet, metricValue, startBroker } from './helpers/fixture.js';
import { batchOf } from './helpers/raw-client.js';

describe('/healthz and /metrics', () => {
  let h: Harness;
  before(async () => {
    h = await startBroker();
    await h.client.createTopic('m', 2);
    await h.client.produceOne('m', 1, batchOf(['a', 'b', 'c']), -1);
    await h.client.fetchRecords('m', 1, 0);
    await h.client.request(999, {});
  });
  after(() => h.stop());

  it('/healthz is JSON with status ok', async () => {
    const r = await httpGet(h.broker, '/healthz');
    assert.equal(r.status, 200);
    assert.match(r.type ?? '', /application\/json/);
    const body = JSON.parse(r.text);
    assert.equal(body.status, 'ok');
    assert.equal(body.topics, 1);
    assert.equal(body.partitions, 2);
    assert.equal(body.connections, 1);
    assert.equal(body.flush, 'ack');
  });

  it('/metrics has traffic per topic, requests and latency per api, offsets, connections, segments, memory, fdatasyncs', async () => {
    const r = await httpGet(h.broker, '/metrics');
    assert.equal(r.status, 200);
    assert.match(r.type ?? '', /text\/plain/);
    const m = (sample: string) => metricValue(r.text, sample);
    assert.ok(m('rivulet_bytes_in_total{topic="m"}')! > 0);
    assert.equal(m('rivulet_records_in_total{topic="m"}'), 3);
    assert.ok(m('rivulet_bytes_out_total{topic="m"}')! > 0);
    assert.equal(m('rivulet_records_out_total{topic="m"}'), 3);
    assert.equal(m('rivulet_requests_total{api="Produce"}'), 1);
    assert.equal(m('rivulet_requests_total{api="invalid"}'), 1);
    assert.equal(m('rivulet_request_errors_total{api="invalid"}'), 1);
    assert.equal(m('rivulet_request_duration_seconds_count{api="Fetch"}'), 1);
    assert.equal(m('rivulet_request_duration_seconds_bucket{api="Fetch",le="+Inf"}'), 1);
    assert.equal(m('rivulet_log_end_offset{topic="m",partition="1"}'), 3);
    assert.equal(m('rivulet_log_end_offset{topic="m",partition="0"}'), 0);
    assert.equal(m('rivulet_connections'), 1);
    assert.equal(m('rivulet_open_segments'), 2);
    assert.ok(m('rivulet_process_memory_bytes{kind="rss"}')! > 0);
    assert.ok(m('rivulet_fdatasync_total')! >= 1);
    assert.match(r.text, /# TYPE rivulet_request_duration_seconds histogram/);
    // Every group flush is timed: as many observations as flushes, all within the buckets.
    assert.equal(m('rivulet_log_flush_duration_seconds_count'), m('rivulet_fdatasync_total'));
    assert.equal(m('rivulet_log_flush_duration_seconds_bucket{le="+Inf"}'), m('rivulet_log_flush_duration_seconds_count'));
    assert.ok(m('rivulet_log_flush_duration_seconds_sum')! > 0);
    for (const q of ['0.5', '0.99', '1']) {
      const delay = m(`rivulet_event_loop_delay_seconds{quantile="${q}"}`);
      assert.ok(delay !== undefined && delay >= 0 && delay < 60, `event loop delay quantile ${q}: ${delay}`);
    }
  });

  it('other paths are 404', async () => {
    assert.equal((await httpGet(h.broker, '/nope')).status, 404);
  });

  it('a request counted after the fact', async () => {
    await h.client.request(ApiKeys.Metadata, { topics: null });
    const r = await httpGet(h.broker, '/metrics');
    assert.equal(metricValue(r.text, 'rivulet_requests_total{api="Metadata"}'), 1);
  });
});
