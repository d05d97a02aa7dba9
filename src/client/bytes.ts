/**
 * Byte conversions at the SDK's edge, isomorphic: Node's Buffer is used when the platform has it
 * (zero-copy views over fetched bytes), Uint8Array otherwise.
 */
import { RivuletError } from '../errors.js';
import type { RecordHeader, RecordInput } from '../protocol/record-batch.js';
import type { Bytes, Message, MessageHeaders, MessageHeadersInput } from './types.js';

interface BufferStatic {
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): Uint8Array;
  prototype: object;
}
const NodeBuffer = (globalThis as { Buffer?: BufferStatic }).Buffer;

/**
 * In Node, a Uint8Array subclass whose prototype chain holds `Buffer.prototype`: exactly how Node
 * makes its own Buffers (`FastBuffer`), so its instances are Buffers in every respect
 * (`Buffer.isBuffer`, `toString`, `equals`, `subarray`…), built by a plain typed-array constructor,
 * about half the cost of `Buffer.from(arrayBuffer, offset, length)` with its argument checks.
 */
type ViewConstructor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => Uint8Array;
const BufferView: ViewConstructor | undefined = (() => {
  if (NodeBuffer === undefined) return undefined;
  class View extends Uint8Array {}
  Object.setPrototypeOf(View.prototype, NodeBuffer.prototype);
  return View;
})();

const utf8 = new TextEncoder();

/** A zero-copy Buffer view over `u8` where Buffer exists, else `u8` itself. */
export function toBytes(u8: Uint8Array): Bytes {
  return (NodeBuffer === undefined ? u8 : NodeBuffer.from(u8.buffer, u8.byteOffset, u8.length)) as Bytes;
}

/** `data[from, from + length)` as a zero-copy {@link Bytes} view; null when `length` is -1. */
export function bytesView(data: Uint8Array, from: number, length: number): Bytes | null {
  if (length < 0) return null;
  const at = data.byteOffset + from;
  return (
    BufferView === undefined ? new Uint8Array(data.buffer, at, length) : new BufferView(data.buffer, at, length)
  ) as Bytes;
}

/** The headers of every message that has none: one shared, frozen, empty object. */
export const NO_HEADERS: MessageHeaders = Object.freeze({}) as MessageHeaders;

export function toBytesOrNull(u8: Uint8Array | null): Bytes | null {
  return u8 === null ? null : toBytes(u8);
}

/** Headers as KafkaJS shows them: an object; a repeated key holds an array in arrival order. */
export function headersObject(headers: RecordHeader[]): MessageHeaders {
  const out: MessageHeaders = {};
  for (const { key, value } of headers) {
    const v = value === null ? null : toBytes(value);
    const prev = Object.hasOwn(out, key) ? out[key] : undefined;
    let next: MessageHeaders[string];
    if (prev === undefined) next = v;
    else if (Array.isArray(prev)) {
      prev.push(v);
      next = prev;
    } else next = [prev, v];
    // defineProperty: a header named `__proto__` is data, never the object's prototype.
    if (key === '__proto__')
      Object.defineProperty(out, key, { value: next, enumerable: true, writable: true, configurable: true });
    else out[key] = next;
  }
  return out;
}

function bad(path: string, what: string): RivuletError {
  return new RivuletError('INVALID_ARGUMENT', `${path}: ${what}`, { path });
}

function fieldSize(v: unknown, path: string): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'string') return v.length;
  if (v instanceof Uint8Array) return v.length;
  throw bad(path, `must be a string, a Uint8Array/Buffer or null, got ${typeof v}`);
}

/** One message's fields, checked: what {@link readMessage} fills. */
export interface MessageFields {
  key: Uint8Array | string | null;
  value: Uint8Array | string | null;
  headers: RecordInput['headers'];
  /** Milliseconds since the epoch: the message's own, or the send's time. */
  timestamp: number;
  /** About the bytes of key, value and headers once encoded (for sizing batches). */
  bytes: number;
}

/** A {@link MessageFields} to fill, reused from message to message. */
export function messageFields(): MessageFields {
  return { key: null, value: null, headers: undefined, timestamp: 0, bytes: 0 };
}

/**
 * Checks one message and puts its fields into `out` (reused: no object per message, which at
 * millions of records per second is the garbage collector's work). Strings stay strings: the
 * batch writer encodes them as UTF-8 in place. The timestamp is `now` unless the message has one.
 * `base` and `i` name the message in errors (`messages/3/value`).
 */
export function readMessage(m: Message, now: number, base: string, i: number, out: MessageFields): void {
  if (m === null || typeof m !== 'object') throw bad(`${base}/${i}`, 'must be an object with a value');
  const value = m.value === undefined ? null : m.value;
  let bytes = 0;
  if (typeof value === 'string' || value instanceof Uint8Array) bytes = value.length;
  else if (value !== null) bytes = fieldSize(value, `${base}/${i}/value`); // throws
  let key: Uint8Array | string | null = null;
  const k = m.key;
  if (k !== undefined && k !== null) {
    if (typeof k !== 'string' && !(k instanceof Uint8Array)) {
      throw bad(`${base}/${i}/key`, `must be a string, a Uint8Array/Buffer or null, got ${typeof k}`);
    }
    key = k;
    bytes += k.length;
  }
  let timestamp = now;
  const ts = m.timestamp;
  if (ts !== undefined && ts !== null) {
    timestamp = typeof ts === 'string' ? Number(ts) : ts;
    if (!Number.isSafeInteger(timestamp))
      throw bad(`${base}/${i}/timestamp`, `must be an integer (ms), got ${String(ts)}`);
  }
  let headers: RecordInput['headers'];
  if (m.headers !== undefined && m.headers !== null) {
    const h = normalizeHeaders(m.headers, `${base}/${i}/headers`);
    headers = h.headers;
    bytes += h.size;
  }
  out.key = key;
  out.value = value;
  out.headers = headers;
  out.timestamp = timestamp;
  out.bytes = bytes;
}

/**
 * A copy of a message whose bytes the caller may change once send() returns (its Uint8Array key,
 * value and header values copied); anything else is kept as it is, for readMessage to check.
 */
export function snapshotMessage(m: Message): Message {
  if (m === null || typeof m !== 'object') return m;
  const copy: Message = { ...m, key: copyBytes(m.key), value: copyBytes(m.value) as Message['value'] };
  const h = m.headers;
  if (h !== null && typeof h === 'object' && !Array.isArray(h)) {
    const headers: Record<string, unknown> = {};
    for (const k of Object.keys(h)) {
      const v = (h as Record<string, unknown>)[k];
      const value = Array.isArray(v) ? v.map(copyBytes) : copyBytes(v);
      // defineProperty: a header named `__proto__` stays data.
      Object.defineProperty(headers, k, { value, enumerable: true, writable: true, configurable: true });
    }
    copy.headers = headers as MessageHeadersInput;
  }
  return copy;
}

/** A copy of bytes (not Buffer#slice: that is a view), anything else as it is. */
function copyBytes<T>(v: T): T {
  return (v instanceof Uint8Array ? new Uint8Array(v) : v) as T;
}

function normalizeHeaders(input: MessageHeadersInput, path: string): { headers: RecordInput['headers']; size: number } {
  if (typeof input !== 'object' || Array.isArray(input)) throw bad(path, 'must be an object of header values');
  let size = 0;
  let repeated = false;
  for (const k of Object.keys(input)) {
    const v = input[k];
    size += k.length + 2;
    if (Array.isArray(v)) {
      repeated = true;
      for (let i = 0; i < v.length; i++) size += fieldSize(v[i], `${path}/${k}/${i}`) + 2;
    } else {
      size += fieldSize(v, `${path}/${k}`);
    }
  }
  // undefined values are written as null headers.
  if (!repeated) return { headers: input as Record<string, string | Uint8Array | null>, size };
  const list: RecordHeader[] = [];
  for (const k of Object.keys(input)) {
    const v = input[k];
    const values = Array.isArray(v) ? v : [v];
    for (const one of values)
      list.push({
        key: k,
        value: one === undefined || one === null ? null : typeof one === 'string' ? utf8.encode(one) : one,
      });
  }
  return { headers: list, size };
}
