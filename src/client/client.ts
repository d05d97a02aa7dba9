/**
 * The SDK's entry object: `new Rivulet({ brokers })` holds the connections and the metadata cache
 * that its producers, consumers and admin share.
 */
import { RivuletError } from '../errors.js';
import { Admin } from './admin.js';
import { Cluster } from './cluster.js';
import { Consumer } from './consumer.js';
import { Producer } from './producer.js';
import { retryPolicy } from './retry.js';
import type { ConsumerOptions, ProducerOptions, RivuletConfig } from './types.js';

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_CONNECTION_TIMEOUT_MS = 10_000;
const DEFAULT_METADATA_MAX_AGE_MS = 300_000;

function positive(v: number | undefined, fallback: number, name: string): number {
  if (v === undefined) return fallback;
  if (!Number.isSafeInteger(v) || v <= 0) throw new RivuletError('INVALID_ARGUMENT', `${name} must be a positive integer (ms), got ${String(v)}`);
  return v;
}

export class Rivulet {
  readonly clientId: string;
  private readonly cluster: Cluster;
  private readonly producers = new Set<Producer>();
  private readonly consumers = new Set<Consumer>();

  constructor(config: RivuletConfig) {
    if (config === null || typeof config !== 'object') throw new RivuletError('INVALID_ARGUMENT', 'new Rivulet({ brokers: [...] })');
    this.clientId = config.clientId ?? 'rivulet';
    this.cluster = new Cluster({
      brokers: config.brokers,
      clientId: this.clientId,
      requestTimeoutMs: positive(config.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS, 'requestTimeoutMs'),
      connectionTimeoutMs: positive(config.connectionTimeoutMs, DEFAULT_CONNECTION_TIMEOUT_MS, 'connectionTimeoutMs'),
      metadataMaxAgeMs: positive(config.metadataMaxAgeMs, DEFAULT_METADATA_MAX_AGE_MS, 'metadataMaxAgeMs'),
      retry: retryPolicy(config.retry),
      hooks: config.hooks,
      socketFactory: config.socketFactory,
    });
  }

  producer(opts?: ProducerOptions): Producer {
    const p = new Producer(this.cluster, opts, (closed) => this.producers.delete(closed));
    this.producers.add(p);
    return p;
  }

  consumer(opts?: ConsumerOptions): Consumer {
    const c = new Consumer(this.cluster, opts);
    this.consumers.add(c);
    return c;
  }

  admin(): Admin {
    return new Admin(this.cluster);
  }

  /** Flushes the producers, stops the consumers, then closes every connection. */
  async close(): Promise<void> {
    if (this.cluster.isClosed) return;
    await Promise.allSettled([...this.producers].map((p) => p.close()));
    await Promise.allSettled([...this.consumers].map((c) => c.disconnect()));
    this.cluster.close();
  }
}
