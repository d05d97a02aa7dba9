/**
 * What every handler gets: the broker's shared state (`BrokerContext`) and the request's answer
 * (`Reply`). A handler is a function of (context, checked body, reply, payload, connection); it
 * answers exactly once through `reply`, synchronously or later. `payload` is a view into uWS's
 * message buffer and is valid only until the handler returns synchronously.
 */
import type { ApiDef } from '../protocol/api.js';
import { ErrorCodes } from '../protocol/error-codes.js';
import { RivuletError } from '../errors.js';
import { toRivuletError } from '../log/errors.js';
import type { GroupCoordinator } from '../group/index.js';
import type { LogManager } from '../log/log-manager.js';
import type { BrokerConfig, FlushPolicy } from './config.js';
import type { Connection } from './connection.js';
import type { FetchWaiters } from './fetch-waiters.js';
import type { BrokerMetrics } from './metrics.js';
import type { ProducerIdAllocator } from './producer-ids.js';
import type { ProducerStateManager } from './producer-state.js';
import type { Histogram } from '../histogram.js';

export interface BrokerContext {
  readonly config: BrokerConfig;
  readonly flush: FlushPolicy;
  readonly logs: LogManager;
  readonly metrics: BrokerMetrics;
  readonly producers: ProducerStateManager;
  readonly producerIds: ProducerIdAllocator;
  readonly fetchWaiters: FetchWaiters;
  /** The consumer groups' coordinator; handlers that change topics call `group/topic-changes.ts`. */
  readonly groups: GroupCoordinator;
  readonly clusterId: string;
  /** Host and port clients are told to use (Metadata). */
  readonly advertised: { host: string; port: number };
  /** True once close() began: new requests get BROKER_SHUTTING_DOWN, long-polls answer at once. */
  readonly closing: boolean;
  /** fdatasyncs issued by partitions since deleted (so the metric never goes down). */
  retiredSyncs: number;
  /** Flush durations of partitions since deleted (so the histogram never goes down). */
  retiredFlushes: Histogram;
  /** Every api served, by key. */
  readonly handlers: ReadonlyMap<number, HandlerEntry>;
  readonly brokerVersion: string;
}

export type Handler<Req> = (
  ctx: BrokerContext,
  req: Req,
  reply: Reply,
  payload: Uint8Array,
  conn: Connection,
) => void | Promise<void>;

export interface HandlerEntry {
  readonly api: ApiDef<unknown, unknown>;
  readonly handle: Handler<unknown>;
}

export function defineHandler<Req, Res>(api: ApiDef<Req, Res>, handle: Handler<Req>): HandlerEntry {
  return { api: api as ApiDef<unknown, unknown>, handle: handle as Handler<unknown> };
}

/** A failure as the wire carries it. */
export interface WireError {
  code: number;
  message: string;
  path: string | undefined;
  details: Record<string, unknown> | undefined;
}

/**
 * Maps anything thrown to its wire error. RivuletErrors keep their code (local-only codes become
 * INVALID_REQUEST: they mean the request asked for something unusable); storage errors go through
 * the log's mapping; anything else is a bug, logged, UNKNOWN_SERVER_ERROR.
 */
export function wireError(err: unknown): WireError {
  let e: RivuletError;
  if (err instanceof RivuletError) e = err;
  else if (err instanceof Error && err.name === 'StorageError') e = toRivuletError(err, 'storage');
  else {
    console.error('rivulet broker: unexpected error', err);
    const message = err instanceof Error ? err.message : String(err);
    return { code: ErrorCodes.UNKNOWN_SERVER_ERROR, message, path: undefined, details: undefined };
  }
  let code = e.errorNumber;
  if (code === ErrorCodes.UNKNOWN_SERVER_ERROR && e.code !== 'UNKNOWN_SERVER_ERROR') code = ErrorCodes.INVALID_REQUEST;
  return { code, message: e.message, path: e.path, details: e.details };
}

/** In-flight accounting and metrics: `started` when a request is read, `done` once it is answered (or dropped). */
export interface RequestTracker {
  started(conn: Connection): void;
  done(api: string, seconds: number, errorCode: number, conn: Connection): void;
}

/** The one answer to one request. Later calls after the first are ignored. */
export class Reply {
  readonly correlationId: number;
  readonly api: string;
  readonly #conn: Connection;
  readonly #start: number;
  readonly #tracker: RequestTracker;
  #finished = false;

  constructor(conn: Connection, correlationId: number, api: string, tracker: RequestTracker) {
    this.#conn = conn;
    this.correlationId = correlationId;
    this.api = api;
    this.#start = performance.now();
    this.#tracker = tracker;
    tracker.started(conn);
  }

  get finished(): boolean {
    return this.#finished;
  }

  /** Answers with a body and, for Fetch, the raw messages that follow it. */
  send(body: unknown, raws: readonly Uint8Array[] = []): void {
    if (this.#finish(ErrorCodes.NONE)) this.#conn.send(this.correlationId, ErrorCodes.NONE, body, raws);
  }

  /** Answers with a top-level error: `{ errorMessage, path, details }`. */
  fail(err: unknown): void {
    const w = wireError(err);
    if (this.#finish(w.code)) {
      this.#conn.send(this.correlationId, w.code, {
        errorMessage: w.message,
        path: w.path ?? null,
        details: w.details ?? null,
      });
    }
  }

  /** Ends the request without an answer (acks=0, or the connection is gone). */
  drop(errorCode: number = ErrorCodes.NONE): void {
    this.#finish(errorCode);
  }

  #finish(errorCode: number): boolean {
    if (this.#finished) return false;
    this.#finished = true;
    this.#tracker.done(this.api, (performance.now() - this.#start) / 1000, errorCode, this.#conn);
    return true;
  }
}
