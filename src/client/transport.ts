/**
 * The transport boundary: the one place that knows which WebSocket implementation runs. In Node
 * it is the `ws` package (loaded with a dynamic import, so browsers never see it; ws picks up
 * bufferutil by itself), elsewhere the platform's global `WebSocket`. Everything above this file
 * sees a {@link Socket}: binary messages in and out as Uint8Array, a close callback, nothing else.
 */
import { RivuletError } from '../errors.js';

/** An open WebSocket, reduced to what a connection needs. */
export interface Socket {
  send(data: Uint8Array): void;
  /**
   * Sends `parts` as one message, in WebSocket fragments (one frame each), so the parts need not
   * be copied into one buffer first. Absent where the platform cannot (the browser API sends whole
   * messages only); callers then concatenate and use send().
   */
  sendParts?(parts: readonly Uint8Array[]): void;
  /** Closes with a handshake. */
  close(code?: number, reason?: string): void;
  /** Drops the connection at once, as a network failure would (falls back to close() in browsers). */
  terminate(): void;
  /** Bytes queued by send() but not yet written to the network. */
  readonly bufferedAmount: number;
}

export interface SocketHandlers {
  message(data: Uint8Array): void;
  /** Called once, when the socket is gone for whatever reason. */
  close(code: number, reason: string): void;
}

/** Opens a socket to `url`; rejects with CONNECTION_ERROR (retriable) and an actionable message. */
export type SocketFactory = (url: string, timeoutMs: number, handlers: SocketHandlers) => Promise<Socket>;

/** Largest message accepted from a broker (a fetch response chunk is at most one segment view). */
const MAX_INBOUND_MESSAGE_BYTES = 256 * 1024 * 1024;

interface NodeWs {
  binaryType: string;
  readonly bufferedAmount: number;
  send(data: Uint8Array, opts?: { binary: boolean; fin: boolean }): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: 'open', cb: () => void): void;
  on(event: 'message', cb: (data: Uint8Array | ArrayBuffer | Uint8Array[], isBinary: boolean) => void): void;
  on(event: 'close', cb: (code: number, reason: Uint8Array) => void): void;
  on(event: 'error', cb: (err: Error & { code?: string }) => void): void;
  on(event: 'unexpected-response', cb: (req: unknown, res: { statusCode?: number; statusMessage?: string }) => void): void;
}
type NodeWsConstructor = new (
  url: string,
  opts: {
    handshakeTimeout: number;
    perMessageDeflate: boolean;
    maxPayload: number;
    generateMask?: (mask: Uint8Array) => void;
  },
) => NodeWs;

/**
 * An all-zero frame mask: XOR with zeros leaves the payload as it is, so `ws` skips the masking
 * pass over every outgoing byte. RFC 6455 makes masking mandatory for clients to protect
 * intermediaries (caching proxies) from payloads crafted by hostile scripts in a browser; here
 * the Node process chose the broker it connects to and sends its own bytes, so there is no such
 * script to defend against. Browsers keep masking: their WebSocket does it, always.
 */
const zeroMask = (mask: Uint8Array): void => {
  mask.fill(0);
};

let nodeWsCtor: Promise<NodeWsConstructor> | undefined;

function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof proc?.versions?.node === 'string';
}

function connectError(url: string, reason: string, cause?: unknown): RivuletError {
  return new RivuletError('CONNECTION_ERROR', `could not connect to ${url}: ${reason} — is the broker running?`, {
    cause,
    details: { url },
  });
}

/** The default factory: `ws` in Node, the global WebSocket elsewhere. */
export const openSocket: SocketFactory = (url, timeoutMs, handlers) =>
  isNode() ? nodeSocketFactory(url, timeoutMs, handlers) : standardSocketFactory(url, timeoutMs, handlers);

/** The platform's standard `WebSocket` (browsers, Deno, Bun, Node ≥ 22). */
export const standardSocketFactory: SocketFactory = (url, timeoutMs, handlers) => {
  const Global = (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;
  if (Global === undefined) {
    return Promise.reject(new RivuletError('CONNECTION_ERROR', 'no WebSocket implementation on this platform'));
  }
  return openBrowserSocket(Global, url, timeoutMs, handlers);
};

/** The `ws` package (Node), loaded on first use. */
export const nodeSocketFactory: SocketFactory = (url, timeoutMs, handlers) => openNodeSocket(url, timeoutMs, handlers);

/**
 * The package's native addon, loaded in Node for its CRC-32C: loading it makes the record-batch
 * encoder and decoder use the SSE4.2 / AVX-512 CRC instead of the TypeScript one (the CRC was the
 * largest cost in producing 1 KiB records). Optional: without a built addon the TypeScript CRC
 * stays. A variable specifier, so browser bundlers do not follow it into Node-only code.
 */
const NATIVE_ADDON_MODULE = '../log/native.js';
let nativeAddon: Promise<unknown> | undefined;

async function openNodeSocket(url: string, timeoutMs: number, handlers: SocketHandlers): Promise<Socket> {
  nodeWsCtor ??= import('ws').then((m) => (m.default ?? m.WebSocket) as unknown as NodeWsConstructor);
  nativeAddon ??= import(NATIVE_ADDON_MODULE).catch(() => undefined);
  const [Ctor] = await Promise.all([nodeWsCtor, nativeAddon]);
  return new Promise<Socket>((resolve, reject) => {
    let ws: NodeWs;
    try {
      ws = new Ctor(url, {
        handshakeTimeout: timeoutMs,
        perMessageDeflate: false,
        maxPayload: MAX_INBOUND_MESSAGE_BYTES,
        generateMask: zeroMask,
      });
    } catch (err) {
      reject(connectError(url, (err as Error).message, err));
      return;
    }
    ws.binaryType = 'nodebuffer';
    let open = false;
    let closed = false;
    let failure: RivuletError | undefined;
    ws.on('unexpected-response', (_req, res) => {
      const code = res.statusCode === 503 ? 'CONNECTION_LIMIT' : 'CONNECTION_ERROR';
      failure = new RivuletError(code, `could not connect to ${url}: the server answered HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trimEnd(), {
        details: { url, statusCode: res.statusCode },
      });
      ws.terminate();
    });
    ws.on('open', () => {
      open = true;
      resolve({
        send: (data) => ws.send(data),
        sendParts: (parts) => {
          // ws frames the first part as binary with FIN clear, the next ones as continuations,
          // the last with FIN set; nothing can come between them (no await, no queue: no
          // compression). The broker's uWS reassembles the message.
          const last = parts.length - 1;
          for (let i = 0; i <= last; i++) ws.send(parts[i]!, { binary: true, fin: i === last });
        },
        close: (code, reason) => ws.close(code, reason),
        terminate: () => ws.terminate(),
        get bufferedAmount() {
          return ws.bufferedAmount;
        },
      });
    });
    ws.on('message', (data) => {
      if (data instanceof Uint8Array) handlers.message(data);
      else if (data instanceof ArrayBuffer) handlers.message(new Uint8Array(data));
      else handlers.message(concat(data));
    });
    ws.on('error', (err) => {
      if (open) return; // 'close' follows and reports it
      const reason = err.code ?? err.message;
      failure ??= /timed? ?out/i.test(err.message)
        ? connectError(url, `no handshake within ${timeoutMs} ms`, err)
        : connectError(url, reason, err);
    });
    ws.on('close', (code, reason) => {
      if (closed) return;
      closed = true;
      if (!open) {
        reject(failure ?? connectError(url, `closed during the handshake (code ${code})`));
        return;
      }
      handlers.close(code, new TextDecoder().decode(reason));
    });
  });
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function openBrowserSocket(
  Ctor: typeof WebSocket,
  url: string,
  timeoutMs: number,
  handlers: SocketHandlers,
): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    let ws: WebSocket;
    try {
      ws = new Ctor(url);
    } catch (err) {
      reject(connectError(url, (err as Error).message, err));
      return;
    }
    ws.binaryType = 'arraybuffer';
    let open = false;
    let closed = false;
    const timer = setTimeout(() => {
      if (open) return;
      closed = true;
      ws.close();
      reject(connectError(url, `no handshake within ${timeoutMs} ms`));
    }, timeoutMs);
    ws.onopen = () => {
      open = true;
      clearTimeout(timer);
      resolve({
        send: (data) => ws.send(data),
        close: (code, reason) => ws.close(code, reason),
        terminate: () => ws.close(),
        get bufferedAmount() {
          return ws.bufferedAmount;
        },
      });
    };
    ws.onmessage = (ev: MessageEvent) => {
      const data = ev.data as unknown;
      if (data instanceof ArrayBuffer) handlers.message(new Uint8Array(data));
    };
    ws.onclose = (ev: CloseEvent) => {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      if (!open) reject(connectError(url, `connection refused or closed during the handshake (code ${ev.code})`));
      else handlers.close(ev.code, ev.reason);
    };
  });
}
