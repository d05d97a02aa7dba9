/** Real brokers on port 0 in fresh temporary data directories, and small helpers around them. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker, type BrokerOptions } from '../../../src/broker/broker.js';
import { testBrokerOptions } from '../../helpers/broker-options.js';
import { RawClient } from './raw-client.js';

export function tempDir(prefix = 'rivulet-broker-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface Harness {
  broker: Broker;
  dataDir: string;
  client: RawClient;
  /** Another connection (checks that the broker still serves others). */
  connect(): Promise<RawClient>;
  /** Closes the broker (and clients) and starts a new one on the same data directory. */
  restart(options?: Partial<BrokerOptions>): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a broker with a small segment size (tests preallocate less) and one client. */
export async function startBroker(options: Partial<BrokerOptions> = {}): Promise<Harness> {
  const dataDir = options.dataDir ?? tempDir();
  const clients: RawClient[] = [];
  const base = testBrokerOptions(options, dataDir);
  const h: Harness = {
    broker: await Broker.start(base),
    dataDir,
    client: null as unknown as RawClient,
    async connect() {
      const c = await RawClient.connect(h.broker.url);
      clients.push(c);
      return c;
    },
    async restart(more = {}) {
      for (const c of clients.splice(0)) c.ws.terminate();
      await h.broker.close();
      h.broker = await Broker.start({ ...base, ...more });
      h.client = await h.connect();
    },
    async stop() {
      for (const c of clients.splice(0)) c.ws.terminate();
      await h.broker.close();
      if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  h.client = await h.connect();
  return h;
}

/** The value of one Prometheus sample, e.g. `rivulet_fdatasync_total` or `rivulet_log_end_offset{topic="t",partition="0"}`. */
export function metricValue(text: string, sample: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${sample} `)) return Number(line.slice(sample.length + 1));
  }
  return undefined;
}

export async function httpGet(
  broker: Broker,
  path: string,
): Promise<{ status: number; text: string; type: string | null }> {
  const res = await fetch(`http://127.0.0.1:${broker.port}${path}`);
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
