/**
 * Byte conversions at the SDK's edge, isomorphic: Node's Buffer is used when the platform has it
 * (zero-copy views over fetched bytes), Uint8Array otherwise.
 */
import { RivuletError } from '../errors.js';
import type { RecordHeader, RecordInput } from '../protocol/record-batch.js';
import type { Bytes, Message, MessageHeaders, MessageHeadersInput } from './types.js';

interface BufferStatic {
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): Uint8Array;
}
const NodeBuffer = (globalThis as { Buffer?: BufferStatic }).Buffer;

const utf8 = new TextEncoder();

/** A zero-copy Buffer view over `u8` where Buffer exists, else `u8` itself. */
export function toBytes(u8: Uint8Array): Bytes {
  return (NodeBuffer === undefined ? u8 : NodeBuffer.from(u8.buffer, u8.byteOffset, u8.length)) as Bytes;
}

export function toBytesOrNull(u8: Uint8Array | null): Bytes | null {
  return u8 === null ? null : toBytes(u8);
}

/** Headers as KafkaJS shows them: an object; a repeated key holds an array in arrival order. */
export function headersObject(headers: RecordHeader[]): MessageHeaders {
  const out: MessageHeaders = Object.create(null);
  for (const { key, value } of headers) {
    const v = value === null ? null : toBytes(value);
    const prev = out[key];
    if (prev === undefined) out[key] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else out[key] = [prev, v];
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

/** A message turned into what the accumulator holds, with the key's bytes for the partitioner. */
export interface NormalizedMessage {
  record: RecordInput;
  key: Uint8Array | null;
  /** Approximate encoded size of key, value and headers (batch sizing). */
  size: number;
}

/** Checks and converts one message; `now` is its timestamp unless it has one. */
export function normalizeMessage(m: Message, now: number, path: string): NormalizedMessage {
  if (m === null || typeof m !== 'object') throw bad(path, 'must be an object with a value');
  const value = m.value === undefined ? null : m.value;
  let size = fieldSize(value, `${path}/value`);
  let key: Uint8Array | null = null;
  if (m.key !== undefined && m.key !== null) {
    if (typeof m.key === 'string') key = utf8.encode(m.key);
    else if (m.key instanceof Uint8Array) key = m.key;
    else throw bad(`${path}/key`, `must be a string, a Uint8Array/Buffer or null, got ${typeof m.key}`);
    size += key.length;
  }
  let timestamp = now;
  if (m.timestamp !== undefined && m.timestamp !== null) {
    timestamp = typeof m.timestamp === 'string' ? Number(m.timestamp) : m.timestamp;
    if (!Number.isSafeInteger(timestamp)) throw bad(`${path}/timestamp`, `must be an integer (ms), got ${String(m.timestamp)}`);
  }
  let headers: RecordInput['headers'];
  if (m.headers !== undefined && m.headers !== null) {
    const h = normalizeHeaders(m.headers, `${path}/headers`);
    headers = h.headers;
    size += h.size;
  }
  return { record: { key, value, headers, timestamp }, key, size };
}

function normalizeHeaders(
  input: MessageHeadersInput,
  path: string,
): { headers: RecordInput['headers']; size: number } {
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
    for (const one of values) list.push({ key: k, value: one === undefined || one === null ? null : typeof one === 'string' ? utf8.encode(one) : one });
  }
  return { headers: list, size };
}
