/**
 * The contract of the native addon (`native/`), and its loader. Only `src/log` imports this file:
 * the SDK and the protocol layer never need a compiler.
 *
 * Offsets and timestamps are JS numbers (asserted ≤ 2^53 − 1 by the caller); positions are byte
 * offsets inside one segment's `.log` file.
 */
import { createRequire } from 'node:module';
import { accelerateCrc32c } from '../protocol/crc32c.js';
import { StorageError, StorageErrorCodes } from './storage-error.js';

export interface SegmentOptions {
  /** Partition directory, e.g. `<dataDir>/orders-3`. */
  dir: string;
  /** Offset of the first batch this segment holds; names the files (20 digits, zero-padded). */
  baseOffset: number;
  /**
   * The most the `.log` holds (`segment.bytes`). It is mapped at this size (address space only),
   * but its file is allocated in steps (the smaller of 16 MiB and segmentBytes / 8), grown ahead of
   * the writer in the background, so a new segment takes one step of disk, not segmentBytes. When
   * the disk is full, `append` throws ENOSPC with nothing appended and the segment still usable.
   */
  segmentBytes: number;
  /** One sparse index entry per this many bytes of log (`index.interval.bytes`, default 4096). */
  indexIntervalBytes: number;
  /**
   * Mapped size, and so the limit, of `.index` and `.timeindex` (`segment.index.bytes`, default
   * 10 MiB); the files themselves are allocated in 64 KiB steps as entries are added.
   */
  indexBytes: number;
  /**
   * How much of the newest data stays in the page cache while the segment is written
   * (`cache.tail.bytes`): data further behind is dropped from it once written back, and read from
   * disk again by whoever asks. Omitted or -1: the kernel decides, as for any file.
   */
  cacheTailBytes?: number;
  /**
   * true: create the files (taking the prepared spare files of the directory, if there are some,
   * so no allocation happens on the caller's thread). false: open existing files; an active
   * segment's `.log` is appended to within the size its file has (it grows again from there).
   */
  create: boolean;
}

export interface RecoveryReport {
  /** Bytes of valid batches kept. */
  validBytes: number;
  /** Bytes cut off the end (a torn or corrupt tail). 0 when the segment was clean. */
  truncatedBytes: number;
  /** Offset after the last valid batch. */
  nextOffset: number;
  /** Why the scan stopped early: null when it reached the end of written data. */
  reason: string | null;
}

export interface NativeSegment {
  readonly baseOffset: number;
  /** Offset the next appended batch will get. */
  readonly nextOffset: number;
  /** Bytes of batches in the `.log` (not the size its file is allocated to). */
  readonly size: number;
  /** Largest batch maxTimestamp in the segment, -1 when empty. */
  readonly maxTimestamp: number;
  /** True until `seal()` or `close()`: only an active segment accepts appends. */
  readonly active: boolean;

  /**
   * Scan from the last index entry, validate each batch, cut at the first invalid one. With
   * `full`, every batch from position 0 is validated and both indexes are rebuilt from scratch
   * (recovery after an unclean shutdown); a sealed segment that is cut has its files cut too.
   */
  recover(full?: boolean): RecoveryReport;
  /**
   * Appends every RecordBatch v2 in `batches[start, start+length)`: validates all of them first
   * (ECORRUPT, nothing appended, if any fails), stamps baseOffsets from `nextOffset` on, updates
   * the indexes. Returns the new nextOffset, or -1 when the batches do not fit (the caller rolls).
   * Grows the file first when the background growth has not got that far; ENOSPC from that
   * growth appends nothing and does not fence the segment (a later append may succeed).
   */
  append(batches: Uint8Array, start?: number, length?: number): number;
  /**
   * Zero-copy view of whole batches, starting at the batch that holds `offset`; at least one batch
   * even past `maxBytes`. Empty Buffer when `offset >= nextOffset`. The view keeps the mapping
   * alive after close() or destroy().
   *
   * Every view of a segment is a slice of one SharedArrayBuffer spanning the segment's whole
   * read-only mapping, made on the first read and kept while the segment is open. V8 does not
   * count it as memory of its own (a Buffer per view forced a full garbage collection every
   * ~64 MiB of views; an ArrayBuffer per mapping, four when it was made). Shared, it can go to a
   * worker thread and is never detached: the mapping stays while any thread holds it.
   * `view.byteOffset` is the batches' position in the `.log`.
   *
   * Trade-off, acceptable inside the broker: `view.buffer` exposes that whole mapping, i.e. the
   * other batches of the segment, and past the data bytes that are not part of the log (zeros,
   * dropped batches turned to zeros, pages past the end of the file read as zeros). Only ever use
   * the view's own range, and never write through either: the pages are read-only, a write kills
   * the process (SIGSEGV) rather than corrupting the log. (Where the runtime forbids external
   * buffers, a view is a copy with its own small ArrayBuffer.)
   */
  read(offset: number, maxBytes: number): Buffer;
  /** A new `cacheTailBytes`, for this segment at once (from the next 32 MiB written on). */
  setCacheTailBytes(bytes: number): void;
  /** Byte position of the batch holding `offset`, -1 when offset >= nextOffset. */
  positionOf(offset: number): number;
  /** Base offset of the first batch whose maxTimestamp >= timestamp, -1 when there is none. */
  offsetForTimestamp(timestamp: number): number;
  /** fdatasync on a worker thread: the log; the indexes too once sealed (Open rebuilds an active one's). */
  flush(): Promise<void>;
  /** Drops every batch at or past `offset` (offsets must fall on a batch boundary or be ≥ nextOffset). */
  truncateTo(offset: number): void;
  /** Active → closed: the file is cut to its real size; reads go on, appends are refused. */
  seal(): void;
  /** Releases the segment; outstanding views keep the mapping until they are collected. */
  close(): void;
  /**
   * Deletes the files (renamed `.deleted`, removed once the last view is gone). Implies close.
   * With `recycle` (retention only), the `.log` may instead be kept as the directory's recycled
   * file for the next segment, if its pages are still in the page cache once no view maps it
   * (native/core/spare_files.h says why that is safe only below the log start offset).
   */
  destroy(recycle?: boolean): void;
}

/**
 * An exclusive lock on a data directory: `flock(LOCK_EX | LOCK_NB)` on `<dir>/.lock` (created if
 * missing, left in place on release). Held until `release()`, until the object is garbage
 * collected, or until the process dies (the kernel drops it: a crash never leaves a stale lock).
 */
export interface NativeDirLock {
  /** `<dir>/.lock`. */
  readonly path: string;
  /** False once released. */
  readonly held: boolean;
  /** Drops the lock. Idempotent. */
  release(): void;
}

export interface NativeAddon {
  Segment: new (opts: SegmentOptions) => NativeSegment;
  /**
   * Takes the lock of an existing directory without waiting: throws a StorageError ELOCKED (path:
   * the lock file) when another process, or another DirLock of this one, holds it.
   */
  DirLock: new (
    dir: string,
  ) => NativeDirLock;
  /**
   * Creates and allocates the spare files of a directory's next segment on a worker thread (the
   * `.log` with its first growth step only, the indexes with their first 64 KiB step), so the next
   * `new Segment({ create: true })` in that directory only renames and maps them.
   */
  prepareSegment(dir: string, segmentBytes: number, indexBytes: number): Promise<void>;
  crc32c(data: Uint8Array, initial?: number): number;
  /** malloc_trim(0): gives the C heap's free pages back to the system; false if there was nothing to call or free. */
  trimMemory(): boolean;
  /**
   * Fixes glibc's mmap threshold at 128 KiB (no dynamic raising), so large blocks go back to the
   * system when freed; false where there is no such setting. For the broker's process only (memory.ts).
   */
  keepLargeBlocksMapped(): boolean;
  /**
   * Which CRC-32C implementation was chosen at run time: 'avx512-vpclmulqdq' (carry-less folding,
   * also used to copy appended batches while checking them), 'sse4.2', 'armv8' or 'portable'.
   */
  crc32cImpl(): string;
  /** Every implementation this CPU runs, fastest first (the first is crc32cImpl()'s, the last 'portable'). */
  crc32cImpls(): string[];
  /** crc32c computed by one named implementation of crc32cImpls(): for tests, which check each. */
  crc32cUsing(impl: string, data: Uint8Array, initial?: number): number;
  /** Codes the addon can raise; a test asserts they match StorageErrorCodes. */
  storageErrorCodes(): string[];
  setStorageErrorClass(cls: typeof StorageError): void;
}

/** The native class as the addon defines it: `read` and `destroy` are built on `readSpan` and `destroyFiles` below. */
interface SegmentBinding extends NativeSegment {
  /**
   * The SharedArrayBuffer over the segment's whole read-only mapping (the same object every time
   * while the segment is open; a copy of the batches, an ArrayBuffer, where the runtime cannot map
   * one), or undefined when there is nothing to read; [position, length] of the batches in it are
   * left in the addon's view span.
   */
  readSpan(offset: number, maxBytes: number): ArrayBufferLike | undefined;
  /** NativeSegment's destroy(), and true when it let go of the segment's mapping buffer. */
  destroyFiles(recycle?: boolean): boolean;
}

interface AddonBinding extends Omit<NativeAddon, 'Segment'> {
  Segment: { new (opts: SegmentOptions): SegmentBinding; prototype: SegmentBinding };
  /** Asks V8 to start a full collection (incremental) now. */
  collectMappingBuffersSoon(): void;
  /** The Float64Array where readSpan leaves [position, length]. */
  viewSpan(): Float64Array;
}

const require = createRequire(import.meta.url);

function load(): NativeAddon {
  // RIVULET_ADDON lets the AddressSanitizer run point at its own build; the default is node-gyp's.
  const path = process.env.RIVULET_ADDON ?? '../../../build/Release/rivulet_native.node';
  const addon = require(path) as AddonBinding;
  addon.setStorageErrorClass(StorageError);
  // Every CRC-32C this process computes in TypeScript (record batches encoded and decoded by the
  // broker's internal topics, or by an SDK client in the same process) goes native from now on.
  accelerateCrc32c(addon.crc32c);
  const span = addon.viewSpan();
  // A method of the native class, so no wrapper object stands between callers and the addon.
  addon.Segment.prototype.read = function read(this: SegmentBinding, offset: number, maxBytes: number): Buffer {
    const mapping = this.readSpan(offset, maxBytes);
    return mapping === undefined ? Buffer.alloc(0) : Buffer.from(mapping, span[0], span[1]);
  };
  // V8 does not count mapping buffers, so garbage ones give it no reason to collect, and a
  // destroyed segment's files would wait for some later full collection to be deleted or
  // recycled. One request after every destroy() of this turn of the event loop: a collection
  // already marking when a later destroy() let go would keep that buffer for another cycle.
  let collectionAsked = false;
  const collect = () => {
    collectionAsked = false;
    addon.collectMappingBuffersSoon();
  };
  addon.Segment.prototype.destroy = function destroy(this: SegmentBinding, recycle?: boolean): void {
    if (this.destroyFiles(recycle) && !collectionAsked) {
      collectionAsked = true;
      setImmediate(collect).unref();
    }
  };
  return addon;
}

export const native: NativeAddon = load();
export { StorageError, StorageErrorCodes };
