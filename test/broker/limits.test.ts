import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { ErrorCodes } from '../../src/protocol/error-codes.js';
import { httpGet, metricValue, sleep, startBroker } from './helpers/fixture.js';
import { batchOf, RawClient, type RawResponse } from './helpers/raw-client.js';

function socketOf(c: RawClient): Socket {
  return (c.ws as unknown as { _socket: Socket })._socket;
}

describe('limits and backpressure', () => {
  it('a client that does not read cannot grow broker buffers past the bound; its fetches wait, others are served', async () => {
    const soft = 128 * 1024;
    const maxFrameBytes = 256 * 1024;
    const h = await startBroker({ maxBackpressureBytes: soft, maxFrameBytes, maxMessageBytes: 128 * 1024 });
    try {
      const value = 'v'.repeat(32 * 1024);
      for (let i = 0; i < 64; i++) await h.client.produceOne('big', 0, batchOf([value]), 1);

      const slow = await h.connect();
      socketOf(slow).pause();
      // ~75 MiB of answers: more than the kernel's socket buffers take (tcp_rmem may allow 32 MiB).
      const fetches = 600;
      const answers: Promise<RawResponse>[] = [];
      for (let i = 0; i < fetches; i++) answers.push(slow.fetch('big', 0, 0, { maxBytes: 1 << 20 }));
      // If an assertion fails first, the connection closes under these: that is not the failure to report.
      for (const a of answers) a.catch(() => {});

      let maxBuffered = 0;
      let samplesAfterPressure = 0;
      for (let i = 0; i < 100 && samplesAfterPressure < 10; i++) {
        await sleep(50);
        const text = (await httpGet(h.broker, '/metrics')).text;
        maxBuffered = Math.max(maxBuffered, metricValue(text, 'rivulet_buffered_response_bytes')!);
        if (maxBuffered > 0) samplesAfterPressure++;
      }
      assert.ok(maxBuffered > 0, 'the test reached backpressure');
      assert.ok(
        maxBuffered <= 2 * soft + maxFrameBytes,
        `buffered ${maxBuffered} bytes, bound ${2 * soft + maxFrameBytes}`,
      );

      const other = await h.connect();
      const t0 = performance.now();
      assert.equal((await other.fetchRecords('big', 0, 63)).length, 1);
      assert.ok(performance.now() - t0 < 1_000, 'another client is served at once');

      socketOf(slow).resume();
      const all = await Promise.all(answers);
      assert.equal(all.length, fetches, 'every waiting fetch is answered once the client reads');
      assert.ok(all.every((r) => r.errorCode === 0 && r.raws.length > 0));
    } finally {
      await h.stop();
    }
  });

  it('in-flight produce bytes per connection are bounded: THROTTLING_QUOTA_EXCEEDED, nothing appended for the refused', async () => {
    const h = await startBroker({ maxInflightBytesPerConnection: 1_000 });
    try {
      await h.client.createTopic('throttled');
      const batch = batchOf(['x'.repeat(600)]);
      const results = await Promise.all(
        Array.from({ length: 20 }, () => h.client.produce('throttled', 0, [batch], -1)),
      );
      const codes = results.map((r) => (r.errorCode !== 0 ? r.errorCode : r.body.topics[0].partitions[0].errorCode));
      assert.equal(codes[0], 0);
      assert.ok(codes.includes(ErrorCodes.THROTTLING_QUOTA_EXCEEDED), `codes ${codes}`);
      const ok = codes.filter((c) => c === 0).length;
      assert.equal(await h.client.logEndOffset('throttled', 0), ok);
      const refused = results.find((r) => r.errorCode === ErrorCodes.THROTTLING_QUOTA_EXCEEDED)!;
      assert.equal(refused.body.details.limit, 1_000);
    } finally {
      await h.stop();
    }
  });

  it('connections past max-connections are refused with HTTP 503', async () => {
    const h = await startBroker({ maxConnections: 2 });
    try {
      const second = await h.connect();
      await assert.rejects(RawClient.connect(h.broker.url), (err: { statusCode?: number }) => err.statusCode === 503);
      const text = (await httpGet(h.broker, '/metrics')).text;
      assert.equal(metricValue(text, 'rivulet_connections_refused_total'), 1);
      await second.close();
      await sleep(20);
      const again = await h.connect();
      assert.equal((await again.request(18, {})).errorCode, 0);
    } finally {
      await h.stop();
    }
  });
});
