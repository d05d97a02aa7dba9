/**
 * Broker benchmarks, end to end over one real WebSocket connection to an embedded broker: a
 * produce round trip with acks=1 and with acks=all (fdatasync per request: one client, so no group
 * commit), a pipelined burst of 64 acks=all produces (group commit), and a fetch of up to 1 MiB.
 * Each run uses a fresh temporary data directory; the returned function closes everything.
 * Async setup: `await addBrokerCases(bench)`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bench } from 'tinybench';
import WebSocket from 'ws';
import { Broker } from '../../src/broker/broker.js';
import { ApiKeys } from '../../src/protocol/api.js';
import { decodeResponse, encodeRequest } from '../../src/protocol/frame.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';

const RECORDS_PER_BATCH = 100;
const VALUE_BYTES = 100;
const PIPELINED = 64;
const FETCH_BYTES = 1024 * 1024;
const TOPIC = 'bench';

/** The smallest client that can wait for answers: correlation ids and raw-message counting. */
class BenchClient {
  readonly #ws: WebSocket;
  #next = 1;
  readonly #pending = new Map<number, () => void>();
  #rawLeft = 0;
  #rawOwner = 0;

  constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (data: Buffer) => {
      if (this.#rawLeft > 0) {
        if (--this.#rawLeft === 0) this.#settle(this.#rawOwner);
        return;
      }
      const r = decodeResponse(data);
      if (r.rawCount > 0) {
        this.#rawLeft = r.rawCount;
        this.#rawOwner = r.correlationId;
      } else this.#settle(r.correlationId);
    });
  }

  static connect(url: string): Promise<BenchClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once('open', () => resolve(new BenchClient(ws)));
      ws.once('error', reject);
    });
  }

  request(apiKey: number, body: unknown, payload: Uint8Array[] = []): Promise<void> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#ws.send(encodeRequest(apiKey, 0, id, body, payload));
    });
  }

  close(): void {
    this.#ws.terminate();
  }

  #settle(id: number): void {
    const done = this.#pending.get(id);
    this.#pending.delete(id);
    done?.();
  }
}

export async function addBrokerCases(bench: Bench): Promise<() => Promise<void>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-bench-broker-'));
  const broker = await Broker.start({
    dataDir,
    port: 0,
    segmentBytes: 64 * 1024 * 1024,
    retentionBytes: 256 * 1024 * 1024,
  });
  const client = await BenchClient.connect(broker.url);
  const value = new Uint8Array(VALUE_BYTES).fill(0x61);
  const batch = encodeRecordBatch(
    Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({ key: `key-${i % 16}`, value })),
    { timestamp: 1_700_000_000_000 },
  );
  const produce = (acks: 1 | -1) =>
    client.request(
      ApiKeys.Produce,
      { acks, topics: [{ name: TOPIC, partitions: [{ index: 0, bytes: batch.length }] }] },
      [batch],
    );
  // Something to fetch before the fetch case runs.
  for (let i = 0; i < 256; i++) await produce(1);
  const fetchBody = {
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: FETCH_BYTES,
    topics: [{ name: TOPIC, partitions: [{ index: 0, fetchOffset: 0, partitionMaxBytes: FETCH_BYTES }] }],
  };

  bench
    .add(`broker produce acks=1 round trip: ${RECORDS_PER_BATCH} records (bytes/op = ${batch.length})`, () =>
      produce(1),
    )
    .add(`broker produce acks=all round trip: ${RECORDS_PER_BATCH} records, one fdatasync each`, () => produce(-1))
    .add(`broker produce acks=all × ${PIPELINED} pipelined (records/op = ${PIPELINED * RECORDS_PER_BATCH})`, () =>
      Promise.all(Array.from({ length: PIPELINED }, () => produce(-1))),
    )
    .add(`broker fetch: up to 1 MiB of zero-copy views (bytes/op ≤ ${FETCH_BYTES})`, () =>
      client.request(ApiKeys.Fetch, fetchBody),
    );

  return async () => {
    client.close();
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
