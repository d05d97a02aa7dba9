/**
 * One client connection and its writer: every byte the broker sends to the client goes through
 * `Connection.send`, which corks a response header and its raw messages into one write and reads
 * each `ws.send` result.
 *
 * Backpressure, per connection (docs: DESIGN.md "Concurrency and backpressure"):
 * - `softLimit` (max-backpressure-bytes): while uWS buffers more than this for the client, its
 *   fetches wait (`whenWritable`) and resume on `drain`; small answers still go out.
 * - uWS's `maxBackpressure` is the hard limit, sized so that a fetch response started under the
 *   soft limit always fits. A send uWS drops (a client that never reads and keeps asking) closes the
 *   connection (`closeOnBackpressureLimit`, and `close()` here): the stream would be broken anyway.
 * - `inflightProduceBytes`: produce bytes appended and not yet answered (acks=all waits on the
 *   disk); past `max-inflight-bytes-per-connection` produce gets THROTTLING_QUOTA_EXCEEDED.
 */
import type { WebSocket } from 'uWebSockets.js';
import { encodeResponse } from '../protocol/frame.js';

/** uWS send results. */
const SEND_DROPPED = 2;

/** Close codes (RFC 6455) and the reasons the broker gives. */
export const CloseCodes = {
  GOING_AWAY: 1001,
  UNSUPPORTED_DATA: 1003,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
} as const;

/**
 * Requests one connection may have unanswered (waiting fetches, acks=all produces). A client past
 * it sends requests without reading answers; its connection is closed (1008) rather than letting
 * the waiting requests grow without bound.
 */
export const MAX_PENDING_REQUESTS = 10_000;

/** What uWS keeps per socket: the connection object, set at open. */
export interface SocketData {
  conn: Connection | null;
}

export class Connection {
  readonly id: number;
  readonly remoteAddress: string;
  /** Produce bytes appended and awaiting their answer. */
  inflightProduceBytes = 0;
  /** Requests read and not answered yet (bounded by MAX_PENDING_REQUESTS). */
  pendingRequests = 0;
  readonly #ws: WebSocket<SocketData>;
  readonly #softLimit: number;
  #open = true;
  /** Work that waits for the buffered amount to fall under the soft limit (fetch answers). */
  #waiting: Array<() => void> = [];
  #recheck = false;
  /** Called once when the connection closes (the broker forgets it). */
  onClosed: (() => void) | null = null;
  /** Cleanups of requests still waiting (long-poll fetches), run when the connection closes. */
  readonly #closeHooks = new Set<() => void>();

  constructor(id: number, ws: WebSocket<SocketData>, softLimit: number) {
    this.id = id;
    this.#ws = ws;
    this.#softLimit = softLimit;
    this.remoteAddress = Buffer.from(ws.getRemoteAddressAsText()).toString();
  }

  get open(): boolean {
    return this.#open;
  }

  /** Bytes uWS holds for this client that the socket has not taken yet. */
  get bufferedAmount(): number {
    return this.#open ? this.#ws.getBufferedAmount() : 0;
  }

  /** True while the client reads slower than the broker answers: fetches wait. */
  get congested(): boolean {
    return this.bufferedAmount > this.#softLimit;
  }

  /** Fetch answers waiting for `drain`. */
  get waitingCount(): number {
    return this.#waiting.length;
  }

  /**
   * Sends a response header and then its raw messages, corked into one write so nothing comes
   * between them. The raw messages are sent as they are (zero-copy views of the log): uWS copies
   * them once into the socket. Returns false when the connection is gone or had to be closed.
   */
  send(correlationId: number, errorCode: number, body: unknown, raws: readonly Uint8Array[] = []): boolean {
    if (!this.#open) return false;
    const header = encodeResponse(correlationId, errorCode, body, raws.length);
    let dropped = false;
    this.#ws.cork(() => {
      if (this.#ws.send(header, true) === SEND_DROPPED) dropped = true;
      for (let i = 0; i < raws.length && !dropped; i++) {
        if (this.#ws.send(raws[i]!, true) === SEND_DROPPED) dropped = true;
      }
    });
    if (dropped) {
      // uWS refused bytes: the client is past the hard limit and the response stream is broken.
      this.close();
      return false;
    }
    return true;
  }

  /** Runs `fn` now if the client keeps up, else once its buffer drains under the soft limit. */
  whenWritable(fn: () => void): void {
    if (!this.congested && this.#waiting.length === 0) {
      fn();
      return;
    }
    this.#waiting.push(fn);
    this.#recheckSoon();
  }

  /** uWS `drain` (or a recheck): run what waited, in order, while the buffer stays under the soft limit. */
  drained(): void {
    while (this.#waiting.length > 0 && this.#open && !this.congested) this.#waiting.shift()!();
    if (this.#waiting.length > 0) this.#recheckSoon();
  }

  /**
   * Inside a uWS callback the socket is corked and the buffered amount counts the corked bytes,
   * which the kernel may take whole once the callback returns: then no `drain` ever comes. So
   * after the callback, look again; if the bytes are really backed up, `drain` will follow.
   */
  #recheckSoon(): void {
    if (this.#recheck) return;
    this.#recheck = true;
    setImmediate(() => {
      this.#recheck = false;
      while (this.#waiting.length > 0 && this.#open && !this.congested) this.#waiting.shift()!();
    });
  }

  /** Runs `fn` if the connection closes first; remove it with `offClose` once no longer needed. */
  onClose(fn: () => void): void {
    if (this.#open) this.#closeHooks.add(fn);
    else fn();
  }

  offClose(fn: () => void): void {
    this.#closeHooks.delete(fn);
  }

  /** Graceful close with a reason the client sees (a close frame). */
  end(code: number, reason: string): void {
    if (!this.#open) return;
    this.#ws.end(code, reason);
  }

  /** Forceful close, no close frame: for a client that is not reading. */
  close(): void {
    if (!this.#open) return;
    this.#ws.close();
  }

  /** uWS `close`: the socket is gone; waiting work runs once more to see that and clean up. */
  closed(): void {
    if (!this.#open) return;
    this.#open = false;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const fn of waiting) fn();
    const hooks = [...this.#closeHooks];
    this.#closeHooks.clear();
    for (const fn of hooks) fn();
    this.onClosed?.();
  }
}
