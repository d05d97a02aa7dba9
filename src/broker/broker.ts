/**
 * `Broker`: one Rivulet broker process's server, embeddable in tests and applications.
 *
 *   const broker = await Broker.start({ dataDir: './data', port: 0 });
 *   broker.port; // the real port
 *   await broker.close();
 *
 * Lifecycle: start opens the data directory (recovering every partition), rebuilds producer state,
 * replays the committed offsets of consumer groups (`__consumer_offsets`), then listens. close()
 * stops accepting connections, answers new requests BROKER_SHUTTING_DOWN, wakes waiting fetches,
 * waits for in-flight requests (acks=all syncs and offset commits included), stops the group
 * coordinator's timers, closes the connections, syncs every partition, writes the producer-state
 * snapshot and closes the logs.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import uWS, { type TemplatedApp, type us_listen_socket } from 'uWebSockets.js';
import { RivuletError } from '../errors.js';
import { LogManager } from '../log/log-manager.js';
import { keepLargeBlocksMapped, TRIM_MEMORY_INTERVAL_MS, trimNativeMemory } from '../log/memory.js';
import {
  type BrokerConfig,
  type FlushPolicy,
  parseFlushPolicy,
  topicDefaults,
  validateBrokerConfig,
} from './config.js';
import { CloseCodes, type Connection, MAX_PENDING_REQUESTS } from './connection.js';
import type { BrokerContext, HandlerEntry, RequestTracker } from './context.js';
import { FetchWaiters } from './fetch-waiters.js';
import { createGroupCoordinator, renderGroupMetrics } from './group/index.js';
import { handlerTable } from './handlers/index.js';
import { Histogram } from '../histogram.js';
import { BrokerMetrics } from './metrics.js';
import { ProducerIdAllocator } from './producer-ids.js';
import { ProducerStateManager } from './producer-state.js';
import { createApp, type ServerOwner, WS_PATH } from './server.js';

/** How long close() waits for in-flight requests before closing their connections anyway. */
export const CLOSE_GRACE_MS = 10_000;

export type BrokerOptions = Partial<BrokerConfig> & {
  dataDir: string;
  /** Handlers of apis beyond the core and consumer-group ones the broker always serves. */
  extraHandlers?: readonly HandlerEntry[];
};

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string })
      .version;
  } catch {
    return '0.0.0';
  }
}

function listen(app: TemplatedApp, host: string, port: number): Promise<us_listen_socket> {
  return new Promise((resolve, reject) => {
    app.listen(host, port, (socket) => {
      if (socket === false)
        reject(
          new RivuletError(
            'CONNECTION_ERROR',
            `cannot listen on ${host}:${port} (in use, or not an address of this machine?)`,
          ),
        );
      else resolve(socket);
    });
  });
}

export class Broker {
  readonly config: Readonly<BrokerConfig>;
  readonly #ctx: BrokerContext & { closing: boolean; advertised: { host: string; port: number } };
  readonly #metrics = new BrokerMetrics();
  readonly #connections = new Set<Connection>();
  #inflight = 0;
  #idle: (() => void) | null = null;
  #app: TemplatedApp | null = null;
  #listenSocket: us_listen_socket | null = null;
  #port = 0;
  #flushTimer: NodeJS.Timeout | null = null;
  #trimTimer: NodeJS.Timeout | null = null;
  #closed: Promise<void> | null = null;

  private constructor(config: BrokerConfig, flush: FlushPolicy, logs: LogManager, extra: readonly HandlerEntry[]) {
    this.config = Object.freeze({ ...config });
    const producerIds = ProducerIdAllocator.open(config.dataDir);
    const wildcard = config.host === '0.0.0.0' || config.host === '::';
    const fetchWaiters = new FetchWaiters();
    this.#ctx = {
      config: this.config,
      flush,
      logs,
      metrics: this.#metrics,
      producers: ProducerStateManager.load(config.dataDir, logs),
      producerIds,
      fetchWaiters,
      groups: createGroupCoordinator({
        config,
        flush,
        logs,
        onAppend: (log, bytes) => fetchWaiters.appended(log, bytes),
      }),
      clusterId: producerIds.clusterId,
      advertised: { host: config.advertisedHost ?? (wildcard ? hostname() : config.host), port: config.port },
      closing: false,
      retiredSyncs: 0,
      retiredFlushes: new Histogram(),
      handlers: handlerTable(extra),
      brokerVersion: packageVersion(),
    };
  }

  /** Opens the data directory, recovers it and listens. INVALID_ARGUMENT for a bad option. */
  static async start(options: BrokerOptions): Promise<Broker> {
    const { extraHandlers = [], ...rest } = options;
    const config = validateBrokerConfig(rest);
    const flush = parseFlushPolicy(config.flush);
    keepLargeBlocksMapped();
    const logs = LogManager.open({
      dataDir: config.dataDir,
      defaults: topicDefaults(config),
      retentionCheckIntervalMs: config.retentionCheckIntervalMs,
    });
    let broker: Broker;
    try {
      broker = new Broker(config, flush, logs, extraHandlers);
    } catch (err) {
      await logs.close();
      throw err;
    }
    try {
      await broker.#ctx.groups.start();
    } catch (err) {
      broker.#ctx.groups.close();
      await logs.close();
      throw err;
    }
    // On failure (port in use, say) #listen lets go of the data dir and its lock itself.
    await broker.#listen();
    return broker;
  }

  /** The port listened on (the real one when 0 was asked). */
  get port(): number {
    return this.#port;
  }

  get host(): string {
    return this.config.host;
  }

  /** `ws://host:port/v1`. */
  get url(): string {
    const host = this.config.host.includes(':') ? `[${this.config.host}]` : this.config.host;
    return `ws://${host}:${this.#port}${WS_PATH}`;
  }

  get dataDir(): string {
    return this.config.dataDir;
  }

  get closing(): boolean {
    return this.#ctx.closing;
  }

  /** The Prometheus text of `GET /metrics`. */
  metricsText(): string {
    const partitions: Array<{
      topic: string;
      partition: number;
      logStartOffset: number;
      logEndOffset: number;
      highWatermark: number;
    }> = [];
    let fdatasyncs = this.#ctx.retiredSyncs;
    const flushes = new Histogram();
    flushes.add(this.#ctx.retiredFlushes);
    let inflightProduceBytes = 0;
    let bufferedBytes = 0;
    for (const t of this.#ctx.logs.topics()) {
      t.partitions.forEach((p, partition) => {
        fdatasyncs += p.syncCount;
        flushes.add(p.flushTimes);
        if (p.closed) return;
        partitions.push({
          topic: t.name,
          partition,
          logStartOffset: p.logStartOffset,
          logEndOffset: p.logEndOffset,
          highWatermark: p.highWatermark,
        });
      });
    }
    for (const c of this.#connections) {
      inflightProduceBytes += c.inflightProduceBytes;
      bufferedBytes += c.bufferedAmount;
    }
    const core = this.#metrics.render({
      connections: this.#connections.size,
      bufferedBytes,
      inflightProduceBytes,
      openSegments: this.#ctx.logs.openSegmentCount,
      fdatasyncs,
      flushes,
      partitions,
    });
    return core + renderGroupMetrics(this.#ctx.groups, this.#ctx.logs);
  }

  /** The body of `GET /healthz` (HTTP 200 while serving, 503 once closing). */
  health(): {
    status: 'ok' | 'shutting_down';
    version: string;
    clusterId: string;
    uptimeSeconds: number;
    connections: number;
    topics: number;
    partitions: number;
    flush: string;
  } {
    const topics = this.#ctx.logs.topics();
    return {
      status: this.#ctx.closing ? 'shutting_down' : 'ok',
      version: this.#ctx.brokerVersion,
      clusterId: this.#ctx.clusterId,
      uptimeSeconds: Math.round(process.uptime()),
      connections: this.#connections.size,
      topics: topics.length,
      partitions: topics.reduce((n, t) => n + t.partitions.length, 0),
      flush: this.config.flush,
    };
  }

  /** Graceful shutdown (see the file comment). Idempotent: every call returns the same promise. */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #listen(): Promise<void> {
    const tracker: RequestTracker = {
      started: (conn) => {
        this.#inflight++;
        if (++conn.pendingRequests > MAX_PENDING_REQUESTS) {
          conn.end(CloseCodes.POLICY_VIOLATION, `over ${MAX_PENDING_REQUESTS} requests unanswered: read the answers`);
        }
      },
      done: (api, seconds, errorCode, conn) => {
        conn.pendingRequests--;
        this.#metrics.request(api, seconds, errorCode !== 0);
        if (--this.#inflight === 0) this.#idle?.();
      },
    };
    const owner: ServerOwner = {
      ctx: this.#ctx,
      config: this.config,
      metrics: this.#metrics,
      connections: this.#connections,
      tracker,
      healthz: () => {
        const body = this.health();
        return { status: body.status === 'ok' ? 200 : 503, body };
      },
      metricsText: () => this.metricsText(),
    };
    this.#app = createApp(owner);
    try {
      this.#listenSocket = await listen(this.#app, this.config.host, this.config.port);
    } catch (err) {
      this.#app.close();
      this.#metrics.close();
      this.#ctx.groups.close();
      await this.#ctx.logs.close();
      throw err;
    }
    this.#port = uWS.us_socket_local_port(this.#listenSocket as unknown as uWS.us_socket);
    this.#ctx.advertised.port = this.#port;
    if (this.#ctx.flush.mode === 'interval') {
      this.#flushTimer = setInterval(() => this.#flushDirty(), this.#ctx.flush.intervalMs);
      this.#flushTimer.unref();
    }
    this.#trimTimer = setInterval(trimNativeMemory, TRIM_MEMORY_INTERVAL_MS);
    this.#trimTimer.unref();
  }

  /** `--flush interval:<ms>`: syncs every partition written since its last sync. */
  #flushDirty(): void {
    for (const t of this.#ctx.logs.topics()) {
      for (const p of t.partitions) {
        if (p.closed || p.flushedOffset >= p.logEndOffset) continue;
        p.sync().catch((err: unknown) =>
          console.warn(`rivulet broker: timed flush of ${p.dir} failed: ${(err as Error).message}`),
        );
      }
    }
  }

  async #close(): Promise<void> {
    const ctx = this.#ctx;
    ctx.closing = true;
    if (this.#listenSocket !== null) uWS.us_listen_socket_close(this.#listenSocket);
    this.#listenSocket = null;
    if (this.#flushTimer !== null) clearInterval(this.#flushTimer);
    if (this.#trimTimer !== null) clearInterval(this.#trimTimer);
    ctx.fetchWaiters.wakeAll();
    await this.#inflightDone(CLOSE_GRACE_MS);
    ctx.groups.close();
    for (const conn of [...this.#connections]) conn.end(CloseCodes.GOING_AWAY, 'broker shutting down');
    // A client that never read its answers: its connection goes now, and with it its requests.
    for (const conn of [...this.#connections]) conn.close();
    try {
      await ctx.logs.syncAll();
      ctx.producers.writeSnapshot(ctx.logs);
    } catch (err) {
      console.warn(`rivulet broker: could not sync or snapshot at close: ${(err as Error).message}`);
    }
    await ctx.logs.close();
    this.#app?.close();
    this.#app = null;
  }

  /** Resolves when no request is in flight, or after `graceMs`. */
  #inflightDone(graceMs: number): Promise<void> {
    if (this.#inflight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, graceMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#idle = done;
    });
  }
}
