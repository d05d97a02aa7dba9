/**
 * What the client knows about the cluster: one {@link Connection} per broker URL, and a metadata
 * cache (partitions and their leaders per topic). The cache is refreshed when it is older than
 * `metadataMaxAgeMs` and dropped for a topic as soon as a broker answers UNKNOWN_TOPIC_OR_PARTITION
 * or NOT_LEADER_OR_FOLLOWER for it (see {@link Cluster.onPartitionError}).
 */
import { RivuletError } from '../errors.js';
import type { ApiDef } from '../protocol/api.js';
import { Metadata, type MetadataResponse } from '../protocol/apis/metadata.js';
import { errorName } from '../protocol/error-codes.js';
import { Connection, type ConnectionHooks, type RequestOptions, type Response } from './connection.js';
import { type RetryPolicy, withRetry } from './retry.js';
import type { SocketFactory } from './transport.js';

export interface ClusterOptions {
  brokers: string[];
  clientId: string;
  requestTimeoutMs: number;
  connectionTimeoutMs: number;
  metadataMaxAgeMs: number;
  retry: RetryPolicy;
  hooks?: ConnectionHooks;
  socketFactory?: SocketFactory;
}

export interface PartitionInfo {
  partition: number;
  leader: number;
  leaderEpoch: number;
  errorCode: number;
  replicas: number[];
  isr: number[];
}

export interface TopicInfo {
  name: string;
  partitions: PartitionInfo[];
  fetchedAt: number;
}

/** The WebSocket URL of a broker address: `ws://host:port` or `host:port`, with `/v1` appended. */
export function brokerUrl(address: string): string {
  let url = address.trim();
  if (!/^wss?:\/\//i.test(url)) {
    if (/^[a-z]+:\/\//i.test(url)) {
      throw new RivuletError('INVALID_ARGUMENT', `broker address ${address} must use ws:// or wss://`);
    }
    url = `ws://${url}`;
  }
  url = url.replace(/\/+$/, '');
  return url.endsWith('/v1') ? url : `${url}/v1`;
}

export class Cluster {
  readonly opts: ClusterOptions;
  private readonly bootstrap: string[];
  private readonly connections = new Map<string, Connection>();
  private readonly topics = new Map<string, TopicInfo>();
  private brokers = new Map<number, string>();
  /** The URL that answered the last metadata request (a single-broker cluster is reached through it). */
  private metadataUrl: string | undefined;
  private nextBootstrap = 0;
  private closed = false;

  constructor(opts: ClusterOptions) {
    if (!Array.isArray(opts.brokers) || opts.brokers.length === 0) {
      throw new RivuletError('INVALID_ARGUMENT', 'brokers must list at least one address, e.g. ws://127.0.0.1:9080');
    }
    this.opts = opts;
    this.bootstrap = opts.brokers.map(brokerUrl);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The connection to `url`, created on first use (it connects lazily). */
  connection(url: string): Connection {
    if (this.closed) throw new RivuletError('CLIENT_CLOSED', 'the client was closed');
    let conn = this.connections.get(url);
    if (conn === undefined) {
      conn = new Connection({
        url,
        connectionTimeoutMs: this.opts.connectionTimeoutMs,
        requestTimeoutMs: this.opts.requestTimeoutMs,
        hooks: this.opts.hooks,
        socketFactory: this.opts.socketFactory,
      });
      this.connections.set(url, conn);
    }
    return conn;
  }

  /** A connection to any broker: an open one if there is one, else the bootstrap brokers in turn. */
  anyConnection(): Connection {
    for (const conn of this.connections.values()) if (conn.isOpen) return conn;
    const url = this.bootstrap[this.nextBootstrap % this.bootstrap.length]!;
    return this.connection(url);
  }

  /** Moves to the next bootstrap broker (after a connection error). */
  private rotateBootstrap(): void {
    this.nextBootstrap = (this.nextBootstrap + 1) % this.bootstrap.length;
  }

  /** The connection to broker `nodeId`, as named in the last metadata. */
  nodeConnection(nodeId: number): Connection {
    if (this.brokers.size <= 1 && this.metadataUrl !== undefined) return this.connection(this.metadataUrl);
    const url = this.brokers.get(nodeId);
    if (url === undefined) {
      throw new RivuletError('LEADER_NOT_AVAILABLE', `broker ${nodeId} is not in the cluster metadata`, { retriable: true });
    }
    return this.connection(url);
  }

  /** Sends `body` to any broker, retrying retriable failures (another bootstrap broker after a connection error). */
  requestAny<Req, Res>(api: ApiDef<Req, Res>, body: Req, opts?: RequestOptions): Promise<Response<Res>> {
    return withRetry(
      this.opts.retry,
      () => {
        const conn = this.anyConnection();
        return conn.request(api, body, opts);
      },
      {
        onRetry: (err) => {
          if (err instanceof RivuletError && err.code === 'CONNECTION_ERROR') this.rotateBootstrap();
        },
        shouldStop: () => this.closed,
      },
    );
  }

  /**
   * Fetches metadata for `topics` (null = all) and caches it. Returns the raw response; topics
   * with an error are reported in it, not thrown.
   */
  async refreshMetadata(topics: string[] | null, allowAutoTopicCreation = false): Promise<MetadataResponse> {
    const res = await withRetry(
      this.opts.retry,
      async () => {
        const conn = this.anyConnection();
        const r = await conn.request(Metadata, { topics, allowAutoTopicCreation });
        this.metadataUrl = conn.url;
        return r;
      },
      {
        onRetry: (err) => {
          if (err instanceof RivuletError && err.code === 'CONNECTION_ERROR') this.rotateBootstrap();
        },
        shouldStop: () => this.closed,
      },
    );
    const body = res.body;
    const scheme = this.metadataUrl?.startsWith('wss:') ? 'wss' : 'ws';
    this.brokers = new Map(body.brokers.map((b) => [b.nodeId, `${scheme}://${hostPart(b.host)}:${b.port}/v1`]));
    const now = Date.now();
    for (const t of body.topics) {
      if (t.errorCode !== 0) {
        this.topics.delete(t.name);
        continue;
      }
      const partitions = t.partitions
        .map((p) => ({
          partition: p.index,
          leader: p.leaderId,
          leaderEpoch: p.leaderEpoch,
          errorCode: p.errorCode,
          replicas: p.replicaNodes,
          isr: p.isrNodes,
        }))
        .sort((a, b) => a.partition - b.partition);
      this.topics.set(t.name, { name: t.name, partitions, fetchedAt: now });
    }
    return body;
  }

  /** Cached metadata of `topic` if fresh enough. */
  cachedTopic(topic: string): TopicInfo | undefined {
    const t = this.topics.get(topic);
    if (t === undefined || Date.now() - t.fetchedAt > this.opts.metadataMaxAgeMs) return undefined;
    return t;
  }

  /**
   * Metadata of `topic`, from the cache or the broker. Throws UNKNOWN_TOPIC_OR_PARTITION (or the
   * topic's error) when the broker does not have it.
   */
  async topic(topic: string, allowAutoTopicCreation = false): Promise<TopicInfo> {
    const cached = this.cachedTopic(topic);
    if (cached !== undefined) return cached;
    const body = await this.refreshMetadata([topic], allowAutoTopicCreation);
    const t = body.topics.find((x) => x.name === topic);
    const info = this.topics.get(topic);
    if (info !== undefined) return info;
    const code = t?.errorCode ?? 3;
    throw new RivuletError(errorName(code), `topic '${topic}': ${t?.errorMessage ?? errorName(code)}`, {
      path: `topics/${topic}`,
    });
  }

  /** Forgets what is known of `topic` (its partitions or leaders changed). */
  invalidate(topic: string): void {
    this.topics.delete(topic);
  }

  /** Reacts to a per-partition error: stale metadata is dropped so the next use refreshes it. */
  onPartitionError(topic: string, err: RivuletError): void {
    if (err.code === 'UNKNOWN_TOPIC_OR_PARTITION' || err.code === 'NOT_LEADER_OR_FOLLOWER' || err.code === 'LEADER_NOT_AVAILABLE') {
      this.invalidate(topic);
    }
  }

  /** Closes every connection; pending requests fail with CLIENT_CLOSED. */
  close(): void {
    this.closed = true;
    for (const conn of this.connections.values()) conn.close();
    this.connections.clear();
  }
}

function hostPart(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
