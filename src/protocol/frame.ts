/**
 * Frames on `ws://host:port/v1` (binary WebSocket messages only). See docs/PROTOCOL.md.
 *
 * Request, one message:
 *   headerLength uint32 BE · msgpack [apiKey, apiVersion, correlationId, body] · payload
 * The payload is raw bytes the header describes (Produce: the RecordBatch bytes of each
 * topic-partition, in header order); it never passes through msgpack, so the broker appends it
 * straight from the received message.
 *
 * Response: msgpack [correlationId, errorCode, body, rawCount], then `rawCount` raw messages
 * (Fetch: the zero-copy log views, in the order the body lists them), sent in the same cork, so
 * nothing else can come between them.
 */
import { Packr, Unpackr } from 'msgpackr';
import { RivuletError } from '../errors.js';
import { guardMsgpack, type MsgpackLimits, DEFAULT_MSGPACK_LIMITS } from './msgpack-guard.js';

export const HEADER_LENGTH_BYTES = 4;
/** Correlation id of a response to a request whose own id could not be read. */
export const UNKNOWN_CORRELATION_ID = -1;

const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  body: unknown;
}

export interface DecodedRequest extends RequestHeader {
  /** Raw bytes after the header: a view into the received message, valid only as long as it is. */
  payload: Uint8Array;
}

export interface DecodedResponse {
  correlationId: number;
  errorCode: number;
  body: unknown;
  rawCount: number;
}

/** The msgpack header of a request, with its length prefix; `payloadBytes` of raw bytes follow it. */
export function encodeRequestHeader(apiKey: number, apiVersion: number, correlationId: number, body: unknown): Uint8Array {
  const packed = packr.pack([apiKey, apiVersion, correlationId, body]);
  const out = new Uint8Array(HEADER_LENGTH_BYTES + packed.length);
  new DataView(out.buffer).setUint32(0, packed.length);
  out.set(packed, HEADER_LENGTH_BYTES);
  return out;
}

/** A whole request message: header, then every payload chunk in order (one copy of each). */
export function encodeRequest(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  body: unknown,
  payload: readonly Uint8Array[] = [],
): Uint8Array {
  const packed = packr.pack([apiKey, apiVersion, correlationId, body]);
  let total = HEADER_LENGTH_BYTES + packed.length;
  for (const chunk of payload) total += chunk.length;
  const out = new Uint8Array(total);
  new DataView(out.buffer).setUint32(0, packed.length);
  out.set(packed, HEADER_LENGTH_BYTES);
  let pos = HEADER_LENGTH_BYTES + packed.length;
  for (const chunk of payload) {
    out.set(chunk, pos);
    pos += chunk.length;
  }
  return out;
}

/**
 * Decodes a request message. Throws INVALID_REQUEST with `details.correlationId` when the header
 * got that far, so the broker can still answer the right request.
 */
export function decodeRequest(msg: Uint8Array, limits: MsgpackLimits = DEFAULT_MSGPACK_LIMITS): DecodedRequest {
  if (msg.length < HEADER_LENGTH_BYTES + 1) {
    throw new RivuletError('INVALID_REQUEST', `frame of ${msg.length} bytes is shorter than a header`);
  }
  const headerLength = new DataView(msg.buffer, msg.byteOffset, msg.byteLength).getUint32(0);
  const headerEnd = HEADER_LENGTH_BYTES + headerLength;
  if (headerEnd > msg.length) {
    throw new RivuletError('INVALID_REQUEST', `header length ${headerLength} exceeds the ${msg.length}-byte frame`);
  }
  const end = guardMsgpack(msg, HEADER_LENGTH_BYTES, headerEnd, limits);
  if (end !== headerEnd) throw new RivuletError('INVALID_REQUEST', 'bytes left over after the msgpack header');
  let header: unknown;
  try {
    header = unpackr.unpack(msg.subarray(HEADER_LENGTH_BYTES, headerEnd));
  } catch (cause) {
    throw new RivuletError('INVALID_REQUEST', `malformed msgpack header: ${(cause as Error).message}`, { cause });
  }
  if (!Array.isArray(header) || header.length < 4) {
    throw new RivuletError('INVALID_REQUEST', 'header must be [apiKey, apiVersion, correlationId, body]');
  }
  const [apiKey, apiVersion, correlationId, body] = header as unknown[];
  const correlationOk = Number.isSafeInteger(correlationId);
  if (!correlationOk || !Number.isSafeInteger(apiKey) || !Number.isSafeInteger(apiVersion)) {
    throw new RivuletError('INVALID_REQUEST', 'apiKey, apiVersion and correlationId must be integers', {
      details: correlationOk ? { correlationId } : undefined,
    });
  }
  return {
    apiKey: apiKey as number,
    apiVersion: apiVersion as number,
    correlationId: correlationId as number,
    body,
    payload: msg.subarray(headerEnd),
  };
}

export function encodeResponse(correlationId: number, errorCode: number, body: unknown, rawCount = 0): Uint8Array {
  return packr.pack([correlationId, errorCode, body, rawCount]);
}

export function decodeResponse(msg: Uint8Array, limits: MsgpackLimits = DEFAULT_MSGPACK_LIMITS): DecodedResponse {
  try {
    guardMsgpack(msg, 0, msg.length, limits);
    const value = unpackr.unpack(msg) as unknown;
    if (Array.isArray(value) && value.length >= 4) {
      const [correlationId, errorCode, body, rawCount] = value as unknown[];
      if (Number.isSafeInteger(correlationId) && Number.isSafeInteger(errorCode) && Number.isSafeInteger(rawCount)) {
        return { correlationId: correlationId as number, errorCode: errorCode as number, body, rawCount: rawCount as number };
      }
    }
  } catch (cause) {
    throw new RivuletError('PROTOCOL_ERROR', `malformed response from broker: ${(cause as Error).message}`, { cause });
  }
  throw new RivuletError('PROTOCOL_ERROR', 'response must be [correlationId, errorCode, body, rawCount]');
}
