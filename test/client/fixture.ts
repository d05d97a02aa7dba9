/** Real brokers on port 0 in fresh temporary data directories, and SDK clients pointed at them. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { type Batch, type KafkaMessage, Rivulet, type RivuletConfig } from '../../src/client/index.js';
import { Broker, type BrokerOptions } from '../../src/index.js';
import { testBrokerOptions } from '../helpers/broker-options.js';

export interface Fixture {
  broker: Broker;
  dataDir: string;
  address: string;
  /** A client of this broker, closed by stop(). */
  client(config?: Partial<RivuletConfig>): Rivulet;
  /** Closes the broker and starts it again on the same port and data directory. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Fast retries, so failures in tests surface in well under a second. */
export const FAST_RETRY = { retries: 5, initialRetryTimeMs: 20, maxRetryTimeMs: 200 };

export async function startBroker(options: Partial<BrokerOptions> = {}): Promise<Fixture> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rivulet-client-'));
  const base = testBrokerOptions(options, dataDir);
  const clients: Rivulet[] = [];
  const broker = await Broker.start(base);
  const f: Fixture = {
    broker,
    dataDir,
    address: `ws://127.0.0.1:${broker.port}`,
    client(config = {}) {
      const c = new Rivulet({ brokers: [f.address], clientId: 'test', retry: FAST_RETRY, ...config });
      clients.push(c);
      return c;
    },
    async restart() {
      await f.broker.close();
      f.broker = await startOnPort({ ...base, port: f.broker.port });
    },
    async stop() {
      await Promise.allSettled(clients.map((c) => c.close()));
      await f.broker.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return f;
}

/** Starts a broker on a given port, retrying while the port is still being released. */
export async function startOnPort(options: BrokerOptions): Promise<Broker> {
  const end = Date.now() + 5_000;
  for (;;) {
    try {
      return await Broker.start(options);
    } catch (err) {
      if (Date.now() > end) throw err;
      await sleep(50);
    }
  }
}

/** Reads a partition from the start until `count` messages arrived (none when `count` is 0). */
export async function readAll(
  client: Rivulet,
  topic: string,
  partition: number,
  count: number,
): Promise<KafkaMessage[]> {
  const consumer = client.consumer({ maxWaitMs: 50 });
  consumer.assign([{ topic, partition, offset: 'earliest' }]);
  const out: KafkaMessage[] = [];
  if (count > 0) {
    for await (const batch of consumer as AsyncIterable<Batch>) {
      out.push(...batch.messages);
      if (out.length >= count) break;
    }
  }
  await consumer.disconnect();
  return out;
}

/** A client of `f` that counts the Produce requests it sends. */
export function produceCounting(f: Fixture): { client: Rivulet; produceRequests(): number } {
  let n = 0;
  const client = f.client({
    hooks: {
      onRequest: (info) => {
        if (info.apiName === 'Produce') n++;
      },
    },
  });
  return { client, produceRequests: () => n };
}

/** A broker for the enclosing suite (started before its tests, stopped after) and a client of it. */
export function suiteBroker(): { readonly f: Fixture; readonly client: Rivulet } {
  let f: Fixture | undefined;
  let client: Rivulet | undefined;
  before(async () => {
    f = await startBroker();
    client = f.client();
  });
  after(() => f?.stop());
  return {
    get f() {
      return f!;
    },
    get client() {
      return client!;
    },
  };
}

export function text(b: Uint8Array | null): string | null {
  return b === null ? null : new TextDecoder().decode(b);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `cond` until it holds or `ms` pass. */
export async function eventually(cond: () => boolean, ms = 5_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
