/**
 * Test helpers for the native addon: a minimal RecordBatch v2 builder (header fields, opaque
 * record bytes, CRC-32C from the TypeScript implementation), temporary directories, segment
 * options and a way to force garbage collection without `--expose-gc`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type NativeSegment, native, type SegmentOptions } from '../../src/log/native.js';
import { StorageError } from '../../src/log/storage-error.js';
import { crc32c } from '../../src/protocol/crc32c.js';

export { native };

export const HEADER_BYTES = 61;
export const CRC_START = 21;

export interface BatchSpec {
  /** Offsets in the batch minus one (the batch holds lastOffsetDelta + 1 offsets). */
  lastOffsetDelta?: number;
  /** Defaults to lastOffsetDelta + 1. */
  recordCount?: number;
  baseTimestamp?: number;
  maxTimestamp?: number;
  /** Opaque bytes standing for the records section (the broker never decodes it). */
  payload?: Uint8Array;
  /** Length of a generated payload when `payload` is not given. */
  payloadBytes?: number;
  magic?: number;
  baseOffset?: number;
  producerId?: number;
}

/** One RecordBatch v2 with a correct CRC-32C. */
export function buildBatch(spec: BatchSpec = {}): Buffer {
  const lastOffsetDelta = spec.lastOffsetDelta ?? 0;
  const payload = spec.payload ?? patterned(spec.payloadBytes ?? 16, lastOffsetDelta + 7);
  const buf = Buffer.alloc(HEADER_BYTES + payload.length);
  buf.writeBigInt64BE(BigInt(spec.baseOffset ?? 0), 0);
  buf.writeInt32BE(buf.length - 12, 8);
  buf.writeInt32BE(0, 12); // partitionLeaderEpoch
  buf.writeInt8(spec.magic ?? 2, 16);
  buf.writeInt16BE(0, 21); // attributes
  buf.writeInt32BE(lastOffsetDelta, 23);
  const maxTimestamp = spec.maxTimestamp ?? 1_700_000_000_000;
  buf.writeBigInt64BE(BigInt(spec.baseTimestamp ?? maxTimestamp), 27);
  buf.writeBigInt64BE(BigInt(maxTimestamp), 35);
  buf.writeBigInt64BE(BigInt(spec.producerId ?? -1), 43);
  buf.writeInt16BE(-1, 51); // producerEpoch
  buf.writeInt32BE(-1, 53); // baseSequence
  buf.writeInt32BE(spec.recordCount ?? lastOffsetDelta + 1, 57);
  buf.set(payload, HEADER_BYTES);
  buf.writeUInt32BE(crc32c(buf, 0, CRC_START, buf.length), 17);
  return buf;
}

/** Recomputes the CRC after a test edited a header field on purpose. */
export function fixCrc(batch: Buffer, at = 0): void {
  const length = batch.readInt32BE(at + 8) + 12;
  batch.writeUInt32BE(crc32c(batch, 0, at + CRC_START, at + length), at + 17);
}

export function patterned(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

export function batchBaseOffset(bytes: Uint8Array, at = 0): number {
  return Number(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readBigInt64BE(at));
}

/** Splits concatenated batches into [position, length] pairs. */
export function batchExtents(bytes: Uint8Array): Array<[number, number]> {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Array<[number, number]> = [];
  for (let pos = 0; pos < view.length; ) {
    const length = view.readInt32BE(pos + 8) + 12;
    out.push([pos, length]);
    pos += length;
  }
  return out;
}

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-native-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export const SEGMENT_DEFAULTS = {
  baseOffset: 0,
  segmentBytes: 1 << 20,
  indexIntervalBytes: 4096,
  indexBytes: 64 * 1024,
};

export function segmentOptions(dir: string, overrides: Partial<SegmentOptions> = {}): SegmentOptions {
  return { dir, create: true, ...SEGMENT_DEFAULTS, ...overrides };
}

export function openSegment(dir: string, overrides: Partial<SegmentOptions> = {}): NativeSegment {
  return new native.Segment(segmentOptions(dir, overrides));
}

/** A new segment in a temp dir holding one batch of `payloadBytes`. */
export function segmentWithBatch(
  t: { after(fn: () => void): void },
  payloadBytes: number,
): { dir: string; seg: NativeSegment; batch: Buffer } {
  const dir = tempDir(t);
  const seg = openSegment(dir);
  const batch = buildBatch({ payloadBytes });
  seg.append(batch);
  return { dir, seg, batch };
}

/**
 * The step a segment's `.log` file grows by (native/core/limits.h, GrowStepBytes): the smaller of
 * 16 MiB and an eighth of the segment, in whole 4 KiB pages.
 */
export function growStepBytes(segmentBytes: number): number {
  const step = Math.min(16 << 20, Math.floor(segmentBytes / 8));
  return Math.max(4096, Math.ceil(step / 4096) * 4096);
}

export function fileName(baseOffset: number, suffix: string): string {
  return `${String(baseOffset).padStart(20, '0')}${suffix}`;
}

let gcFn: (() => void) | undefined;

/** Full garbage collection, with or without `--expose-gc` on the command line. */
export function forceGc(): void {
  if (!gcFn) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed) {
      gcFn = exposed;
    } else {
      setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc') as () => void;
    }
  }
  gcFn();
}

/**
 * Polls `check` until it returns true or `timeoutMs` passes (GC finalizers and unlinks are
 * asynchronous), forcing a full collection before each try unless `collect` is false.
 */
export async function eventually(check: () => boolean, timeoutMs = 5000, collect = true): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (collect) forceGc();
    if (check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Appends `batch` until the segment refuses one with ENOSPC (any other error fails the test), at
 * most `limit` times; returns how many were appended. Each append must return the next offset.
 */
export function appendUntilNoSpace(seg: NativeSegment, batch: Uint8Array, limit: number, what: string): number {
  let appended = 0;
  for (;;) {
    try {
      if (seg.append(batch) !== appended + 1) throw new Error(`append ${appended} returned the wrong next offset`);
      appended++;
    } catch (err) {
      if (!(err instanceof StorageError && err.code === 'ENOSPC')) throw err;
      return appended;
    }
    if (appended > limit) throw new Error(`appended past ${what}`);
  }
}
