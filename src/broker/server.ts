/**
 * The uWS app: `ws://host:port/v1` (binary frames only), `GET /healthz`, `GET /metrics`.
 *
 * Limits, set explicitly (STYLE.md, Network):
 * - a message over max-frame-bytes closes the connection with 1009 and a reason. uWS itself cuts
 *   off a message over twice that before buffering it (its `maxPayloadLength`; the client then sees
 *   1006), so a hostile client cannot make the broker hold more;
 * - `maxBackpressure` is 2 × max-backpressure-bytes + max-frame-bytes: fetch answers only start
 *   under max-backpressure-bytes and are capped to it (or to one batch, which fits a frame), so a
 *   started answer always fits; past it the client is not reading and uWS closes the connection
 *   (`closeOnBackpressureLimit`);
 * - connections past max-connections are refused at upgrade with HTTP 503 (CONNECTION_LIMIT);
 * - `idleTimeout` from the config, with pings sent automatically.
 */
import uWS, { type HttpResponse, type TemplatedApp } from 'uWebSockets.js';
import { ErrorCodes } from '../protocol/error-codes.js';
import { UNKNOWN_CORRELATION_ID } from '../protocol/frame.js';
import type { BrokerConfig } from './config.js';
import { CloseCodes, Connection, type SocketData } from './connection.js';
import type { BrokerContext, RequestTracker } from './context.js';
import { dispatch } from './dispatch.js';
import type { BrokerMetrics } from './metrics.js';

export const WS_PATH = '/v1';

/** What the server needs from the broker that owns it. */
export interface ServerOwner {
  readonly ctx: BrokerContext;
  readonly config: BrokerConfig;
  readonly metrics: BrokerMetrics;
  readonly connections: Set<Connection>;
  readonly tracker: RequestTracker;
  healthz(): { status: number; body: unknown };
  metricsText(): string;
}

function refuse(res: HttpResponse, code: keyof typeof ErrorCodes, message: string): void {
  res
    .writeStatus('503 Service Unavailable')
    .writeHeader('content-type', 'application/json')
    .end(JSON.stringify({ error: code, errorCode: ErrorCodes[code], errorMessage: message }));
}

export function createApp(owner: ServerOwner): TemplatedApp {
  const { config, metrics, connections } = owner;
  const softLimit = config.maxBackpressureBytes;
  let nextId = 1;
  const app = uWS.App();

  app.ws<SocketData>(WS_PATH, {
    compression: uWS.DISABLED,
    maxPayloadLength: Math.min(2 * config.maxFrameBytes, 0x7fffffff),
    maxBackpressure: 2 * softLimit + config.maxFrameBytes,
    closeOnBackpressureLimit: 1,
    idleTimeout: config.idleTimeout,
    sendPingsAutomatically: true,
    upgrade(res, req, context) {
      if (owner.ctx.closing) {
        refuse(res, 'BROKER_SHUTTING_DOWN', 'the broker is shutting down');
        return;
      }
      if (connections.size >= config.maxConnections) {
        metrics.connectionsRefused++;
        refuse(res, 'CONNECTION_LIMIT', `the broker is at its limit of ${config.maxConnections} connections`);
        return;
      }
      res.upgrade<SocketData>(
        { conn: null },
        req.getHeader('sec-websocket-key'),
        req.getHeader('sec-websocket-protocol'),
        req.getHeader('sec-websocket-extensions'),
        context,
      );
    },
    open(ws) {
      const conn = new Connection(nextId++, ws, softLimit);
      ws.getUserData().conn = conn;
      connections.add(conn);
      metrics.connectionsAccepted++;
    },
    message(ws, message, isBinary) {
      const conn = ws.getUserData().conn!;
      if (!isBinary) {
        const errorMessage = 'text messages are not accepted: requests are binary frames (docs/PROTOCOL.md)';
        conn.send(UNKNOWN_CORRELATION_ID, ErrorCodes.INVALID_REQUEST, { errorMessage, path: null, details: null });
        conn.end(CloseCodes.UNSUPPORTED_DATA, 'binary frames only');
        return;
      }
      if (message.byteLength > config.maxFrameBytes) {
        metrics.framesTooLarge++;
        conn.end(
          CloseCodes.MESSAGE_TOO_BIG,
          `message of ${message.byteLength} bytes exceeds max-frame-bytes ${config.maxFrameBytes}`,
        );
        return;
      }
      dispatch(owner.ctx, conn, new Uint8Array(message), owner.tracker);
    },
    drain(ws) {
      ws.getUserData().conn?.drained();
    },
    close(ws) {
      const conn = ws.getUserData().conn;
      if (conn === null) return;
      connections.delete(conn);
      conn.closed();
    },
  });

  app.get('/healthz', (res) => {
    const { status, body } = owner.healthz();
    res
      .writeStatus(status === 200 ? '200 OK' : '503 Service Unavailable')
      .writeHeader('content-type', 'application/json')
      .end(JSON.stringify(body));
  });

  app.get('/metrics', (res) => {
    res.writeHeader('content-type', 'text/plain; version=0.0.4; charset=utf-8').end(owner.metricsText());
  });

  app.any('/*', (res) => {
    res
      .writeStatus('404 Not Found')
      .writeHeader('content-type', 'text/plain')
      .end(`not found: use ws://…${WS_PATH}, /healthz or /metrics\n`);
  });

  return app;
}
