/**
 * From one received message to its handler: decode the frame, find the api and check its version,
 * check the body's shape, then call the handler. Every failure before the handler is answered
 * (INVALID_REQUEST with the path, UNSUPPORTED_VERSION, BROKER_SHUTTING_DOWN), never a dropped
 * connection; a request whose correlation id cannot be read is answered with id -1.
 */
import { RivuletError } from '../errors.js';
import { decodeRequest, type DecodedRequest, UNKNOWN_CORRELATION_ID } from '../protocol/frame.js';
import type { Connection } from './connection.js';
import { type BrokerContext, Reply, type RequestTracker } from './context.js';

/** Metric label of requests that never reached an api. */
const INVALID_API = 'invalid';

export function dispatch(ctx: BrokerContext, conn: Connection, msg: Uint8Array, tracker: RequestTracker): void {
  let req: DecodedRequest;
  try {
    req = decodeRequest(msg);
  } catch (err) {
    const id = err instanceof RivuletError ? err.details?.correlationId : undefined;
    new Reply(conn, typeof id === 'number' ? id : UNKNOWN_CORRELATION_ID, INVALID_API, tracker).fail(err);
    return;
  }
  const entry = ctx.handlers.get(req.apiKey);
  const reply = new Reply(conn, req.correlationId, entry?.api.name ?? INVALID_API, tracker);
  if (entry === undefined) {
    reply.fail(
      new RivuletError('UNSUPPORTED_VERSION', `unknown api key ${req.apiKey}`, { details: { apiKey: req.apiKey } }),
    );
    return;
  }
  const { api } = entry;
  if (req.apiVersion < api.minVersion || req.apiVersion > api.maxVersion) {
    const message = `${api.name} v${req.apiVersion} is not supported (versions ${api.minVersion}..${api.maxVersion})`;
    const details = { apiKey: api.key, minVersion: api.minVersion, maxVersion: api.maxVersion };
    reply.fail(new RivuletError('UNSUPPORTED_VERSION', message, { details }));
    return;
  }
  if (ctx.closing) {
    reply.fail(
      new RivuletError('BROKER_SHUTTING_DOWN', 'the broker is shutting down; retry on another broker or after restart'),
    );
    return;
  }
  try {
    const body = api.request.check(req.body, '');
    const pending = entry.handle(ctx, body, reply, req.payload, conn);
    if (pending !== undefined) pending.catch((err: unknown) => reply.fail(err));
  } catch (err) {
    reply.fail(err);
  }
}
