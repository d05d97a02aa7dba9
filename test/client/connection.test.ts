import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { Rivulet, type RivuletError } from '../../src/client/index.js';
import { type Fixture, readAll, sleep, startBroker, startOnPort, text } from './fixture.js';

/** A port nothing listens on (bound once, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A WebSocket server that accepts connections and never answers: for client timeouts only. */
async function silentServer(): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  let connections = 0;
  wss.on('connection', () => connections++);
  return {
    port: (wss.address() as { port: number }).port,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}

describe('connections', () => {
  it('a closed port fails fast with a clear CONNECTION_ERROR', async () => {
    const port = await closedPort();
    const client = new Rivulet({ brokers: [`127.0.0.1:${port}`], retry: { retries: 2, initialRetryTimeMs: 10 } });
    const t = Date.now();
    await assert.rejects(client.admin().listTopics(), (err: RivuletError) => {
      assert.equal(err.code, 'CONNECTION_ERROR');
      assert.equal(err.retriable, true);
      assert.equal(
        err.message,
        `could not connect to ws://127.0.0.1:${port}/v1: ECONNREFUSED — is the broker running?`,
      );
      return true;
    });
    assert.ok(Date.now() - t < 2_000);
    await client.close();
  });

  it('a request with no answer fails with TIMEOUT, and the connection is replaced', async () => {
    const server = await silentServer();
    const client = new Rivulet({
      brokers: [`ws://127.0.0.1:${server.port}`],
      requestTimeoutMs: 150,
      retry: { retries: 0 },
    });
    const t = Date.now();
    await assert.rejects(client.admin().listTopics(), (err: RivuletError) => {
      assert.equal(err.code, 'TIMEOUT');
      assert.equal(err.retriable, true);
      assert.match(
        err.message,
        /Metadata request \(correlation id \d+\) to ws:\/\/127\.0\.0\.1:\d+\/v1 got no answer within 150 ms/,
      );
      return true;
    });
    const elapsed = Date.now() - t;
    assert.ok(elapsed >= 140 && elapsed < 2_000, `took ${elapsed} ms`);
    await assert.rejects(client.admin().listTopics(), { code: 'TIMEOUT' });
    assert.equal(server.connections(), 2, 'a timed-out connection is dropped and a new one opened');
    await client.close();
    await server.close();
  });

  it('a handshake that never completes fails with CONNECTION_ERROR after connectionTimeoutMs', async () => {
    // A TCP server that accepts and says nothing: the WebSocket upgrade never gets an answer.
    const sockets: import('node:net').Socket[] = [];
    const server = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const client = new Rivulet({
      brokers: [`ws://127.0.0.1:${port}`],
      connectionTimeoutMs: 150,
      retry: { retries: 0 },
    });
    await assert.rejects(client.admin().listTopics(), (err: RivuletError) => {
      assert.equal(err.code, 'CONNECTION_ERROR');
      assert.match(err.message, /no handshake within 150 ms/);
      return true;
    });
    await client.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  describe('against a real broker', () => {
    let f: Fixture;
    before(async () => {
      f = await startBroker();
      await f
        .client()
        .admin()
        .createTopics({ topics: [{ topic: 'drops', numPartitions: 3 }] });
    });
    after(() => f.stop());

    it('an idempotent retry after a lost answer does not duplicate', async () => {
      let produces = 0;
      let dropped = 0;
      const client = f.client({
        hooks: {
          // The broker appended the batch; the answer is lost with the connection.
          onResponse: (info) => {
            // Each lost answer is followed by a retry, so there are always three to lose.
            if (info.apiName !== 'Produce' || ++produces > 3) return 'deliver';
            dropped++;
            return 'drop';
          },
        },
      });
      const producer = client.producer({ maxInFlight: 5 });
      const sends: Promise<{ partition: number; offset: number }[]>[] = [];
      for (let i = 0; i < 60; i++) {
        sends.push(producer.send({ topic: 'drops', messages: [{ partition: i % 3, value: `d${i}` }] }));
        await new Promise((resolve) => setImmediate(resolve)); // separate batches, several in flight
      }
      const results = (await Promise.all(sends)).flat();
      assert.equal(dropped, 3, 'three answers were lost');
      for (let p = 0; p < 3; p++) {
        const offsets = results.filter((r) => r.partition === p).map((r) => r.offset);
        assert.deepEqual(
          offsets,
          Array.from({ length: 20 }, (_, i) => i),
          `offsets of partition ${p}`,
        );
        const values = (await readAll(client, 'drops', p, 20)).map((m) => text(m.value));
        assert.deepEqual(
          values,
          Array.from({ length: 20 }, (_, i) => `d${i * 3 + p}`),
          `partition ${p} holds each record once, in order`,
        );
      }
    });

    it('an answer lost while several requests of one partition are in flight duplicates nothing', async () => {
      const admin = f.client().admin();
      // Pipelining depth depends on timing: repeat (on a fresh topic) until the loss happened with
      // at least one more produce request in flight behind the lost one.
      for (let round = 0; round < 5; round++) {
        const topic = `pipelined-${round}`;
        await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
        let inFlight = 0;
        let dropped = 0;
        const client = f.client({
          hooks: {
            onRequest: (info) => {
              if (info.apiName === 'Produce') inFlight++;
            },
            onResponse: (info) => {
              if (info.apiName !== 'Produce') return 'deliver';
              if (dropped === 0 && inFlight >= 2) {
                dropped++;
                inFlight = 0; // the connection goes, and every request on it
                return 'drop';
              }
              inFlight--;
              return 'deliver';
            },
          },
        });
        const producer = client.producer({ maxInFlight: 5 });
        const sends: Promise<{ offset: number }[]>[] = [];
        for (let i = 0; i < 200; i++) {
          sends.push(producer.send({ topic, messages: [{ value: `p${i}` }] }));
          await new Promise((resolve) => setImmediate(resolve));
        }
        const offsets = (await Promise.all(sends)).map((r) => r[0]!.offset);
        assert.deepEqual(
          offsets,
          Array.from({ length: 200 }, (_, i) => i),
        );
        const values = (await readAll(client, topic, 0, 200)).map((m) => text(m.value));
        assert.deepEqual(
          values,
          Array.from({ length: 200 }, (_, i) => `p${i}`),
        );
        if (dropped === 1) return;
      }
      assert.fail('never had two produce requests in flight at once');
    });

    it('without idempotence the same lost answer duplicates (the hook really loses it)', async () => {
      const admin = f.client().admin();
      await admin.createTopics({ topics: [{ topic: 'dup', numPartitions: 1 }] });
      let first = true;
      const client = f.client({
        hooks: {
          onResponse: (info) => {
            if (info.apiName !== 'Produce' || !first) return 'deliver';
            first = false;
            return 'drop';
          },
        },
      });
      const producer = client.producer({ idempotent: false });
      const [r] = await producer.send({ topic: 'dup', messages: [{ value: 'once?' }] });
      assert.equal(r!.offset, 1, 'the retry was appended a second time');
      const values = (await readAll(client, 'dup', 0, 2)).map((m) => text(m.value));
      assert.deepEqual(values, ['once?', 'once?']);
    });

    it('producer and consumer carry on after a broker restart', async () => {
      const client = f.client({ retry: { retries: 20, initialRetryTimeMs: 50, maxRetryTimeMs: 300 } });
      const admin = client.admin();
      await admin.createTopics({ topics: [{ topic: 'restart', numPartitions: 1 }] });
      const producer = client.producer();
      await producer.send({ topic: 'restart', messages: [{ value: 'before' }] });
      const consumer = client.consumer({ maxWaitMs: 100 });
      consumer.assign([{ topic: 'restart', partition: 0, offset: 'earliest' }]);
      const got: string[] = [];
      const running = consumer.run({ eachMessage: async ({ message }) => void got.push(text(message.value)!) });

      await f.restart();
      const res = await producer.send({ topic: 'restart', messages: [{ value: 'after' }] });
      assert.equal(res[0]!.offset, 1);
      const end = Date.now() + 5_000;
      while (got.length < 2 && Date.now() < end) await sleep(10);
      assert.deepEqual(got, ['before', 'after']);
      await consumer.disconnect();
      await running;
    });

    it('a send while the broker is down waits for it to come back', async () => {
      const client = f.client({ retry: { retries: 20, initialRetryTimeMs: 50, maxRetryTimeMs: 300 } });
      await client.admin().createTopics({ topics: [{ topic: 'down', numPartitions: 1 }] });
      const producer = client.producer();
      await producer.send({ topic: 'down', messages: [{ value: 'a' }] });
      const port = f.broker.port;
      await f.broker.close();
      const pending = producer.send({ topic: 'down', messages: [{ value: 'b' }] });
      await sleep(300);
      f.broker = await startOnPort({ port, dataDir: f.dataDir, segmentBytes: 1 << 20 });
      assert.deepEqual(await pending, [{ topic: 'down', partition: 0, offset: 1 }]);
    });
  });
});
