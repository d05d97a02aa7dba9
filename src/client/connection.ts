/**
 * One logical connection to one broker URL: many requests in flight over one WebSocket, matched
 * to their responses by correlation id (responses may come out of order).
 *
 * Invariants:
 * - A response header with `rawCount` n is followed by exactly n raw messages that belong to it
 *   (the broker corks them together); nothing else is read in between.
 * - Every request that expects an answer has a deadline. When it passes the request fails with
 *   TIMEOUT and the socket is dropped: after a lost answer the connection's state is unknown
 *   (Kafka's NetworkClient does the same), and the other requests in flight fail with
 *   CONNECTION_ERROR so their callers retry them in order.
 * - When the socket goes, every pending request fails with CONNECTION_ERROR (retriable). The next
 *   request opens a new socket; callers space their attempts with their retry policy.
 */
import { RivuletError } from '../errors.js';
import type { ApiDef } from '../protocol/api.js';
import { decodeResponse, encodeRequest, encodeRequestHeader } from '../protocol/frame.js';
import { openSocket, type Socket, type SocketFactory } from './transport.js';

/** Payloads at least this large are sent as fragments (Socket.sendParts) rather than copied. */
const FRAGMENT_FROM_BYTES = 64 * 1024;

/** The answer to a request: its checked body and the raw messages that followed it. */
export interface Response<Res> {
  body: Res;
  raws: Uint8Array[];
}

export interface RequestInfo {
  url: string;
  apiKey: number;
  apiName: string;
  correlationId: number;
}

/**
 * Observation and fault-injection points. They are the explicit hook for tests (STYLE.md: no
 * test-only branches), and useful for tracing.
 */
export interface ConnectionHooks {
  /** A request frame was handed to the socket. */
  onRequest?(info: RequestInfo & { bytes: number }): void;
  /**
   * A response header arrived. Returning 'drop' drops the socket before the response is
   * delivered, as if the network had failed right then: the broker did the work, the client never
   * learns it (the request fails with CONNECTION_ERROR).
   */
  onResponse?(info: RequestInfo & { errorCode: number }): 'deliver' | 'drop' | undefined;
}

export interface ConnectionOptions {
  url: string;
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
  hooks?: ConnectionHooks;
  socketFactory?: SocketFactory;
}

export interface RequestOptions {
  /** Raw bytes appended after the header (Produce: the record batches). */
  payload?: readonly Uint8Array[];
  /** Overrides the connection's request deadline, in ms. */
  timeoutMs?: number;
  /** False for requests the broker never answers (acks=0 produce): resolved once written. */
  expectResponse?: boolean;
}

interface Pending {
  info: RequestInfo;
  api: ApiDef<unknown, unknown>;
  resolve(res: Response<unknown>): void;
  reject(err: RivuletError): void;
  timer: ReturnType<typeof setTimeout>;
}

/** Raw messages still owed to a response (its request may have timed out meanwhile: they are read anyway). */
interface RawTarget {
  pending: Pending | undefined;
  body: unknown;
  remaining: number;
  raws: Uint8Array[];
}

const MAX_CORRELATION_ID = 0x7fffffff;

/** One socket's life: its handlers ignore everything once it is dead (closed, dropped or replaced). */
interface Link {
  socket: Socket | undefined;
  dead: boolean;
}

export class Connection {
  readonly url: string;
  private readonly opts: ConnectionOptions;
  private link: Link | undefined;
  private connecting: Promise<Socket> | undefined;
  private readonly pending = new Map<number, Pending>();
  private raw: RawTarget | undefined;
  private nextCorrelationId = 1;
  private closed = false;

  constructor(opts: ConnectionOptions) {
    this.opts = opts;
    this.url = opts.url;
  }

  /** Requests awaiting an answer. */
  get inFlight(): number {
    return this.pending.size;
  }

  get isOpen(): boolean {
    return this.link?.socket !== undefined && !this.link.dead;
  }

  /** Bytes written but not yet on the network. */
  get bufferedAmount(): number {
    return this.isOpen ? this.link!.socket!.bufferedAmount : 0;
  }

  /** Opens the socket if it is not open. Rejects with CONNECTION_ERROR. */
  connect(): Promise<Socket> {
    if (this.closed) return Promise.reject(this.closedError());
    const current = this.link;
    if (current?.socket !== undefined && !current.dead) return Promise.resolve(current.socket);
    if (this.connecting === undefined) {
      const link: Link = { socket: undefined, dead: false };
      this.link = link;
      const factory = this.opts.socketFactory ?? openSocket;
      const attempt = factory(this.url, this.opts.connectionTimeoutMs, {
        message: (data) => {
          if (!link.dead) this.onMessage(link, data);
        },
        close: (code, reason) => {
          if (!link.dead) this.drop(link, reason ? `code ${code}, ${reason}` : `code ${code}`);
        },
      });
      this.connecting = attempt;
      attempt.then(
        (socket) => {
          this.connecting = undefined;
          link.socket = socket;
          if (this.closed || link.dead) socket.close(1000, 'client closed');
        },
        () => {
          this.connecting = undefined;
          link.dead = true;
        },
      );
    }
    return this.connecting;
  }

  /** Sends a request; resolves with the checked response body, or rejects with a RivuletError. */
  async request<Req, Res>(api: ApiDef<Req, Res>, body: Req, opts: RequestOptions = {}): Promise<Response<Res>> {
    const socket = await this.connect();
    const link = this.link!;
    if (link.dead || link.socket !== socket) throw this.droppedError(api.name, 0, 'closed before the request was sent');
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = correlationId >= MAX_CORRELATION_ID ? 1 : correlationId + 1;
    const send = this.sender(socket, api.key, api.maxVersion, correlationId, body, opts.payload);
    const info: RequestInfo = { url: this.url, apiKey: api.key, apiName: api.name, correlationId };
    if (opts.expectResponse === false) {
      const bytes = send();
      this.opts.hooks?.onRequest?.({ ...info, bytes });
      return { body: undefined as Res, raws: [] };
    }
    const timeoutMs = opts.timeoutMs ?? this.opts.requestTimeoutMs;
    const result = new Promise<Response<Res>>((resolve, reject) => {
      const timer = setTimeout(() => this.onTimeout(correlationId, timeoutMs), timeoutMs);
      this.pending.set(correlationId, {
        info,
        api: api as ApiDef<unknown, unknown>,
        resolve: resolve as (res: Response<unknown>) => void,
        reject,
        timer,
      });
    });
    const bytes = send();
    this.opts.hooks?.onRequest?.({ ...info, bytes });
    return result;
  }

  /**
   * Encodes a request now and returns what sends it (and says how many bytes it was). A large
   * payload goes out as fragments after its header, where the socket can, instead of being copied
   * behind the header into one buffer (that copy was 12 % of the client's CPU producing 1 KiB records).
   */
  private sender(
    socket: Socket,
    apiKey: number,
    apiVersion: number,
    correlationId: number,
    body: unknown,
    payload: readonly Uint8Array[] | undefined,
  ): () => number {
    let payloadBytes = 0;
    if (payload !== undefined) for (const chunk of payload) payloadBytes += chunk.length;
    if (socket.sendParts !== undefined && payloadBytes >= FRAGMENT_FROM_BYTES) {
      const parts = [encodeRequestHeader(apiKey, apiVersion, correlationId, body), ...payload!];
      return () => {
        socket.sendParts!(parts);
        return parts[0]!.length + payloadBytes;
      };
    }
    const frame = encodeRequest(apiKey, apiVersion, correlationId, body, payload);
    return () => {
      socket.send(frame);
      return frame.length;
    };
  }

  /** Drops the socket as a network failure would; pending requests fail with CONNECTION_ERROR. */
  terminate(): void {
    if (this.link !== undefined && !this.link.dead) this.drop(this.link, 'terminated');
  }

  /** Closes for good: pending requests fail with CLIENT_CLOSED and new ones are refused. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const link = this.link;
    this.raw = undefined;
    this.failAll(() => this.closedError());
    if (link !== undefined) {
      link.dead = true;
      link.socket?.close(1000, 'client closed');
    }
  }

  private onMessage(link: Link, data: Uint8Array): void {
    const raw = this.raw;
    if (raw !== undefined) {
      raw.raws.push(data);
      if (--raw.remaining === 0) {
        this.raw = undefined;
        if (raw.pending !== undefined) this.deliver(raw.pending, raw.body, raw.raws);
      }
      return;
    }
    let header: ReturnType<typeof decodeResponse>;
    try {
      header = decodeResponse(data);
    } catch (err) {
      // The stream can no longer be trusted: which raw messages belong to whom is unknown.
      const error = err as RivuletError;
      this.drop(link, 'malformed response', () => error);
      return;
    }
    const pending = this.pending.get(header.correlationId);
    if (pending !== undefined) {
      const verdict = this.opts.hooks?.onResponse?.({ ...pending.info, errorCode: header.errorCode });
      if (verdict === 'drop') {
        this.drop(link, 'dropped by the onResponse hook');
        return;
      }
      this.pending.delete(header.correlationId);
      clearTimeout(pending.timer);
      if (header.errorCode !== 0) {
        const b = (header.body ?? {}) as { errorMessage?: unknown; details?: unknown };
        const message = typeof b.errorMessage === 'string' ? `${pending.info.apiName}: ${b.errorMessage}` : pending.info.apiName;
        pending.reject(RivuletError.fromWire(header.errorCode, message, undefined, isMap(b.details) ? b.details : undefined));
        if (header.rawCount > 0) this.raw = { pending: undefined, body: undefined, remaining: header.rawCount, raws: [] };
        return;
      }
    }
    if (header.rawCount > 0) {
      this.raw = { pending, body: header.body, remaining: header.rawCount, raws: [] };
      return;
    }
    if (pending !== undefined) this.deliver(pending, header.body, []);
  }

  private deliver(pending: Pending, body: unknown, raws: Uint8Array[]): void {
    let checked: unknown;
    try {
      checked = pending.api.response.check(body, '');
    } catch (err) {
      const what = `${pending.info.apiName} response from ${this.url} has the wrong shape: ${(err as Error).message}`;
      pending.reject(new RivuletError('PROTOCOL_ERROR', what, { cause: err }));
      return;
    }
    pending.resolve({ body: checked, raws });
  }

  private onTimeout(correlationId: number, timeoutMs: number): void {
    const pending = this.pending.get(correlationId);
    if (pending === undefined) return;
    this.pending.delete(correlationId);
    const what = `${pending.info.apiName} request (correlation id ${correlationId}) to ${this.url} got no answer within ${timeoutMs} ms`;
    pending.reject(new RivuletError('TIMEOUT', what, { details: { url: this.url, timeoutMs } }));
    if (this.link !== undefined && !this.link.dead) this.drop(this.link, `a request timed out after ${timeoutMs} ms`);
  }

  /** Ends `link` at once: pending requests fail (CONNECTION_ERROR unless `errorFor` says otherwise). */
  private drop(link: Link, why: string, errorFor?: (p: Pending) => RivuletError): void {
    if (link.dead) return;
    link.dead = true;
    this.raw = undefined;
    this.failAll(errorFor ?? ((p) => this.droppedError(p.info.apiName, p.info.correlationId, why)));
    link.socket?.terminate();
  }

  private failAll(errorFor: (p: Pending) => RivuletError): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) {
      clearTimeout(p.timer);
      p.reject(errorFor(p));
    }
  }

  private droppedError(apiName: string, correlationId: number, why: string): RivuletError {
    return new RivuletError(
      'CONNECTION_ERROR',
      `connection to ${this.url} lost (${why}) while ${apiName} request ${correlationId} was in flight; it may or may not have been processed`,
      { details: { url: this.url } },
    );
  }

  private closedError(): RivuletError {
    return new RivuletError('CLIENT_CLOSED', `the client was closed; no more requests to ${this.url}`);
  }
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
