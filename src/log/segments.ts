/**
 * `Segments`: the ordered segments of one partition, oldest first. Owns creation, rolling and
 * deletion of NativeSegments; knows nothing about offsets beyond their base offsets.
 *
 * Invariants:
 * - at least one segment once opened; base offsets strictly increase; the last segment is the
 *   active one (the only one that accepts appends), every other one is sealed;
 * - a roll seals the active segment, creates the next one from the directory's prepared spare files
 *   (so it only renames and maps them) and starts preparing the spare files of the one after it in
 *   the background: a roll never waits for preallocation;
 * - a deleted segment's files are renamed `.deleted` by the storage engine and unmapped when the
 *   last zero-copy view of it is collected, so views handed out earlier stay readable.
 *
 * Append vs flush: an append lands in the mapping (the page cache) of the active segment and
 * survives a process crash; only `flush()` of a segment (via PartitionLog.sync) survives power loss.
 */
import { readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { TopicConfig } from './log-config.js';
import { type NativeSegment, native } from './native.js';

/** Segment files are named by base offset, 20 digits, zero-padded (as Kafka). */
export const SEGMENT_NAME_DIGITS = 20;
const SEGMENT_LOG = /^(\d{20})\.log$/;
/** Left by a deletion whose views outlived the process: nothing can read them any more. */
const DELETED_SUFFIX = '.deleted';

export function segmentFileName(baseOffset: number, ext: '.log' | '.index' | '.timeindex'): string {
  return `${String(baseOffset).padStart(SEGMENT_NAME_DIGITS, '0')}${ext}`;
}

export interface SegmentSettings {
  dir: string;
  segmentBytes: number;
  indexIntervalBytes: number;
  indexBytes: number;
  cacheTailBytes: number;
}

export interface LogLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

/** The default logger: warnings to the console, nothing else. */
export const consoleLogger: LogLogger = {
  info() {},
  warn(message, fields) {
    console.warn(`rivulet log: ${message}`, fields ?? '');
  },
};

export function segmentSettings(
  dir: string,
  config: Pick<TopicConfig, 'segmentBytes' | 'indexIntervalBytes' | 'segmentIndexBytes' | 'cacheTailBytes'>,
): SegmentSettings {
  return {
    dir,
    segmentBytes: config.segmentBytes,
    indexIntervalBytes: config.indexIntervalBytes,
    indexBytes: config.segmentIndexBytes,
    cacheTailBytes: config.cacheTailBytes,
  };
}

/**
 * Lists the base offsets of a directory's segments, ascending, and removes the `.deleted` files a
 * previous process left (their views died with it). Spare files are the storage engine's: it takes
 * or replaces them itself.
 */
export function scanSegmentDir(dir: string, logger: LogLogger): number[] {
  const bases: number[] = [];
  for (const name of readdirSync(dir)) {
    const m = SEGMENT_LOG.exec(name);
    if (m !== null) {
      const base = Number(m[1]);
      if (!Number.isSafeInteger(base)) throw new Error(`segment ${join(dir, name)}: base offset beyond 2^53 − 1`);
      bases.push(base);
    } else if (name.endsWith(DELETED_SUFFIX)) {
      try {
        unlinkSync(join(dir, name));
        logger.info('removed a leftover deleted segment file', { file: join(dir, name) });
      } catch {
        // Another process (or a late finaliser) got there first: nothing to do.
      }
    }
  }
  return bases.sort((a, b) => a - b);
}

export class Segments {
  readonly settings: SegmentSettings;
  readonly #list: NativeSegment[] = [];
  readonly #logger: LogLogger;
  #preparing: Promise<void> | null = null;
  #prepareAgain = false;
  #closed = false;

  constructor(settings: SegmentSettings, logger: LogLogger) {
    this.settings = { ...settings };
    this.#logger = logger;
  }

  get count(): number {
    return this.#list.length;
  }

  /** Oldest first. The array is the live list: do not keep it across appends. */
  get all(): readonly NativeSegment[] {
    return this.#list;
  }

  get first(): NativeSegment {
    return this.#list[0]!;
  }

  get active(): NativeSegment {
    return this.#list[this.#list.length - 1]!;
  }

  /** Bytes of batches across all segments. */
  get totalSize(): number {
    let size = 0;
    for (const s of this.#list) size += s.size;
    return size;
  }

  /** Opens an existing segment (the caller adds them oldest first). */
  open(baseOffset: number): NativeSegment {
    return this.#push(this.#make(baseOffset, false));
  }

  /** Creates a new, empty segment at the end (the first one of a fresh directory). */
  create(baseOffset: number): NativeSegment {
    return this.#push(this.#make(baseOffset, true));
  }

  /** Seals the active segment and starts a new one at `baseOffset` (the log end offset). */
  roll(baseOffset: number): NativeSegment {
    const old = this.active;
    if (baseOffset < old.nextOffset) throw new Error(`roll to ${baseOffset} below the log end ${old.nextOffset}`);
    const next = this.#make(baseOffset, true);
    old.seal();
    this.#list.push(next);
    this.prepareNext();
    return next;
  }

  /** Index of the segment that holds `offset` (greatest base ≤ offset); -1 below the first one. */
  indexOf(offset: number): number {
    let lo = 0;
    let hi = this.#list.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#list[mid]!.baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /**
   * Zero-copy views of whole batches from the one holding `offset` (which must be inside the
   * segments) on, continuing into the following segments while `maxBytes` allows; at least one
   * batch. A view keeps its mapping alive whatever happens to the segment afterwards.
   */
  read(offset: number, maxBytes: number): Buffer[] {
    const all = this.#list;
    const views: Buffer[] = [];
    let remaining = maxBytes;
    let from = offset;
    for (let i = Math.max(0, this.indexOf(offset)); i < all.length; i++) {
      const seg = all[i]!;
      if (from < seg.nextOffset) {
        const position = seg.positionOf(from);
        const view = seg.read(from, remaining);
        // Past the first batch, only whole batches that fit.
        if (views.length > 0 && view.length > remaining) break;
        if (view.length > 0) {
          views.push(view);
          remaining -= view.length;
        }
        // Stopped before the segment's end: its next batch did not fit.
        if (remaining <= 0 || position + view.length < seg.size) break;
      }
      const following = all[i + 1];
      if (following === undefined) break;
      from = following.baseOffset;
    }
    return views;
  }

  /** Base offset of the first batch whose maxTimestamp ≥ `timestamp`, -1 when there is none. */
  offsetForTimestamp(timestamp: number): number {
    for (const seg of this.#list) {
      if (seg.maxTimestamp < timestamp) continue;
      const found = seg.offsetForTimestamp(timestamp);
      if (found >= 0) return found;
    }
    return -1;
  }

  /**
   * Drops every batch at or past `offset` (a batch boundary below the log end). Newer segments
   * are deleted; a sealed segment that keeps its head cannot take appends again, so a new active
   * segment starts at `offset` after it. Returns the deleted segments and the one that was cut
   * (or the new, empty active one).
   */
  truncateTo(offset: number): { removed: NativeSegment[]; cut: NativeSegment } {
    const i = this.indexOf(offset);
    if (i === this.#list.length - 1) {
      this.active.truncateTo(offset);
      return { removed: [], cut: this.active };
    }
    const seg = this.#list[i]!;
    const keepHead = seg.baseOffset !== offset;
    const removed = this.deleteFrom(keepHead ? i + 1 : i);
    if (keepHead) seg.truncateTo(offset);
    this.create(offset);
    this.prepareNext();
    return { removed, cut: keepHead ? seg : this.active };
  }

  /**
   * Deletes the oldest segment (never the last one). Its views stay readable. Its offsets are all
   * below the log start from now on, so its `.log` may be recycled for a later segment.
   */
  deleteOldest(): NativeSegment {
    if (this.#list.length < 2) throw new Error('the active segment cannot be deleted');
    const seg = this.#list.shift()!;
    seg.destroy(true);
    return seg;
  }

  /** Deletes the segments from index `i` on (truncation); the caller then creates a new active one. */
  deleteFrom(i: number): NativeSegment[] {
    const removed = this.#list.splice(i);
    for (const seg of removed.reverse()) seg.destroy();
    return removed;
  }

  /**
   * Prepares the spare files of the next segment on a worker thread. One preparation at a time;
   * a request while one runs is remembered and runs after it. A failure only costs a slower roll.
   */
  prepareNext(): void {
    if (this.#closed) return;
    if (this.#preparing !== null) {
      this.#prepareAgain = true;
      return;
    }
    const { dir, segmentBytes, indexBytes } = this.settings;
    this.#preparing = native
      .prepareSegment(dir, segmentBytes, indexBytes)
      .catch((err: unknown) => {
        if (!this.#closed) {
          this.#logger.warn('could not prepare the next segment; the next roll will preallocate inline', {
            dir,
            error: err instanceof Error ? err.message : String(err),
          });
        }
      })
      .finally(() => {
        this.#preparing = null;
        if (this.#prepareAgain) {
          this.#prepareAgain = false;
          this.prepareNext();
        }
      });
  }

  /** Resolves when no spare-file preparation runs. */
  async whenPrepared(): Promise<void> {
    while (this.#preparing !== null) await this.#preparing;
  }

  /** Stops preparing, waits for a running preparation, closes every segment. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#prepareAgain = false;
    await this.whenPrepared();
    for (const seg of this.#list) seg.close();
  }

  /** Like close, then deletes every segment's files. */
  async destroy(): Promise<void> {
    this.#closed = true;
    this.#prepareAgain = false;
    await this.whenPrepared();
    // The list stays: a deleted log still answers its offsets (from the segments' last state).
    for (const seg of this.#list) seg.destroy();
  }

  #make(baseOffset: number, create: boolean): NativeSegment {
    const { dir, segmentBytes, indexIntervalBytes, indexBytes, cacheTailBytes } = this.settings;
    return new native.Segment({
      dir,
      baseOffset,
      segmentBytes,
      indexIntervalBytes,
      indexBytes,
      cacheTailBytes,
      create,
    });
  }

  #push(seg: NativeSegment): NativeSegment {
    const last = this.#list[this.#list.length - 1];
    if (last !== undefined && seg.baseOffset <= last.baseOffset) {
      seg.close();
      throw new Error(`segment ${seg.baseOffset} does not follow ${last.baseOffset}`);
    }
    this.#list.push(seg);
    return seg;
  }
}
