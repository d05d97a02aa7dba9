/**
 * `PartitionLog`: one partition's log on disk. Single writer (the broker's event loop).
 *
 * Invariants:
 * - logStartOffset ≤ flushedOffset ≤ highWatermark ≤ logEndOffset ≤ 2^53 − 1, checked by
 *   `assertOffsetOrder` after every change;
 * - offsets are dense from the storage engine's point of view: each append gets
 *   [logEndOffset, logEndOffset + records) and the log end moves past it;
 * - a batch set goes into one segment whole; the active segment rolls when the set does not fit,
 *   or (before the append) when its first batch is older than `segment.ms`.
 *
 * Append vs flush:
 * - `append` returns once the bytes are in the active segment's mapping (the page cache): readers
 *   see them at once and they survive a crash of this process, not a power loss;
 * - `sync()` is a group commit: concurrent callers share one fdatasync of every segment written
 *   since the last one, run off the event loop; when it resolves, `flushedOffset` covers everything
 *   appended before the call. `syncCount` counts the flushes actually issued.
 *
 * Reads return zero-copy views of whole batches that stay valid after retention deletes their
 * segment, after `close()` and after `delete()` (the mapping lives until the views are collected).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { RivuletError } from '../errors.js';
import { Histogram } from '../histogram.js';
import { writeFileAtomicSync } from './atomic-file.js';
import { checkRange, firstBatchMaxTimestamp, stampLogAppendTime, walkBatches } from './batch-walk.js';
import { logClosed, offsetOutOfRange, setTooLarge, toRivuletError } from './errors.js';
import { GroupCommit } from './group-commit.js';
import type { TopicConfig } from './log-config.js';
import type { NativeSegment, RecoveryReport } from './native.js';
import { assertOffset, assertOffsetOrder, MAX_OFFSET } from './offsets.js';
import { LOG_START_OFFSET_FILE, loadPartitionDir } from './recovery.js';
import { type DeletedSegment, type RetentionResult, type SegmentSummary, selectExpiredSegments } from './retention.js';
import { consoleLogger, type LogLogger, type Segments, segmentSettings } from './segments.js';

export interface PartitionLogOptions {
  /** Where recovery and background failures are reported (default: warnings to the console). */
  logger?: LogLogger;
  /** The wall clock (default Date.now): segment.ms rolls, LogAppendTime and retention use it. */
  clock?: () => number;
  /**
   * Set only after an unclean shutdown: the partition's recovery point (its flushed offset when
   * last saved). Segments ending above it are recovered in full (recovery.ts).
   */
  recoveryPoint?: number;
}

export interface AppendResult {
  /** Offset of the first record appended. */
  baseOffset: number;
  /** Offset of the last record appended. */
  lastOffset: number;
  /** The LogAppendTime stamped into the batches, or -1 for CreateTime topics (as Kafka's produce answer). */
  appendTime: number;
  /** Number of batches appended. */
  batchCount: number;
}

export interface SegmentInfo extends SegmentSummary {
  active: boolean;
}

export class PartitionLog {
  readonly dir: string;
  /** What recovery of the last segment found at open (null for a new directory). */
  readonly recovery: RecoveryReport | null;
  #config: TopicConfig;
  readonly #segments: Segments;
  readonly #clock: () => number;
  #logStartOffset: number;
  #flushedOffset: number;
  /** Wall-clock time the active segment got its first batch; -1 while it is empty. */
  #activeSince: number;
  /** Segments written since their last flush. */
  readonly #unflushed = new Set<NativeSegment>();
  /** Bumped by truncation: a flush that started before one does not advance flushedOffset. */
  #truncations = 0;
  readonly #commit: GroupCommit;
  #closed = false;
  #closing: Promise<void> | null = null;

  private constructor(
    dir: string,
    config: TopicConfig,
    segments: Segments,
    recovery: RecoveryReport | null,
    logStartOffset: number,
    clock: () => number,
  ) {
    this.dir = dir;
    this.#config = config;
    this.#segments = segments;
    this.recovery = recovery;
    this.#clock = clock;
    this.#logStartOffset = logStartOffset;
    const active = segments.active;
    // Sealed segments were written by an earlier run and left to the OS; the active one is synced
    // by the first sync().
    this.#flushedOffset = Math.max(logStartOffset, active.baseOffset);
    if (active.size > 0) this.#unflushed.add(active);
    const first = active.size > 0 ? firstBatchMaxTimestamp(active.read(active.baseOffset, 1)) : -1;
    this.#activeSince = active.size === 0 ? -1 : first >= 0 && first <= clock() ? first : clock();
    this.#commit = new GroupCommit(
      (target) => this.#flush(target),
      () => this.logEndOffset,
    );
    this.#check('open');
  }

  /**
   * Opens (or creates) the partition in `dir` synchronously: opens its segments, recovers the tail
   * (`recovery` says what was cut) and starts preparing the next segment's files in the background.
   */
  static open(dir: string, config: TopicConfig, options: PartitionLogOptions = {}): PartitionLog {
    const logger = options.logger ?? consoleLogger;
    let loaded: ReturnType<typeof loadPartitionDir>;
    try {
      loaded = loadPartitionDir(segmentSettings(dir, config), logger, options.recoveryPoint);
    } catch (err) {
      throw toRivuletError(err, `opening partition ${dir}`);
    }
    const log = new PartitionLog(
      dir,
      config,
      loaded.segments,
      loaded.recovery,
      loaded.logStartOffset,
      options.clock ?? Date.now,
    );
    loaded.segments.prepareNext();
    return log;
  }

  get config(): Readonly<TopicConfig> {
    return this.#config;
  }

  get logStartOffset(): number {
    return this.#logStartOffset;
  }

  /** The offset the next appended record gets. */
  get logEndOffset(): number {
    return this.#segments.active.nextOffset;
  }

  /** Everything below it is on disk (fdatasync'd) or deleted. */
  get flushedOffset(): number {
    return this.#flushedOffset;
  }

  /** What consumers may read up to. One broker: the log end; with replication, what every in-sync replica has. */
  get highWatermark(): number {
    return this.logEndOffset;
  }

  /** How long each group flush took (fdatasync of every segment written since the last one). */
  readonly flushTimes = new Histogram();

  /** Group flushes issued by sync() so far. */
  get syncCount(): number {
    return this.#commit.flushCount;
  }

  /** Bytes of batches across all segments. */
  get size(): number {
    return this.#segments.totalSize;
  }

  get segmentCount(): number {
    return this.#segments.count;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The segments, oldest first (the last one is active). */
  segmentInfos(): SegmentInfo[] {
    return this.#segments.all.map((s, i, all) => ({
      baseOffset: s.baseOffset,
      nextOffset: s.nextOffset,
      size: s.size,
      maxTimestamp: s.maxTimestamp,
      active: i === all.length - 1,
    }));
  }

  /** Applies a changed topic config: sizes apply to segments created from now on, cache.tail.bytes at once. */
  updateConfig(config: TopicConfig): void {
    const sizesChanged =
      config.segmentBytes !== this.#config.segmentBytes || config.segmentIndexBytes !== this.#config.segmentIndexBytes;
    const tailChanged = config.cacheTailBytes !== this.#config.cacheTailBytes;
    this.#config = config;
    if (tailChanged && !this.#closed) this.#segments.active.setCacheTailBytes(config.cacheTailBytes);
    Object.assign(this.#segments.settings, segmentSettings(this.dir, config));
    if (sizesChanged && !this.#closed) this.#segments.prepareNext();
  }

  /**
   * Appends the RecordBatch v2 set `buf[start, start+length)` and returns the offsets it got.
   * The storage engine validates every batch (length, magic, CRC) before any is written: on
   * CORRUPT_MESSAGE nothing was appended. A batch over `max.message.bytes` → MESSAGE_TOO_LARGE; a
   * set that does not fit an empty segment → RECORD_LIST_TOO_LARGE. LogAppendTime topics get the
   * broker's time stamped into `buf` itself.
   */
  append(buf: Uint8Array, start = 0, length: number = buf.length - start): AppendResult {
    this.#checkOpen();
    checkRange(buf, start, length);
    const config = this.#config;
    const batchCount = walkBatches(buf, start, length, config.maxMessageBytes);
    if (length > config.segmentBytes) throw setTooLarge(length, config);
    const now = this.#clock();
    let appendTime = -1;
    if (config.messageTimestampType === 'LogAppendTime') {
      stampLogAppendTime(buf, start, length, now);
      appendTime = now;
    }
    let active = this.#segments.active;
    if (active.size > 0 && this.#activeSince >= 0 && now - this.#activeSince >= config.segmentMs) {
      active = this.#roll();
    }
    const baseOffset = active.nextOffset;
    let next: number;
    try {
      next = active.append(buf, start, length);
      if (next === -1) {
        if (active.size === 0) throw setTooLarge(length, config);
        active = this.#roll();
        next = active.append(buf, start, length);
        if (next === -1) throw setTooLarge(length, config);
      }
    } catch (err) {
      throw toRivuletError(err, `append to ${this.dir}`);
    }
    if (next - 1 > MAX_OFFSET) throw new Error(`${this.dir}: offset ${next - 1} beyond 2^53 − 1`);
    if (this.#activeSince < 0) this.#activeSince = now;
    this.#unflushed.add(active);
    this.#check('append');
    return { baseOffset, lastOffset: next - 1, appendTime, batchCount };
  }

  /**
   * Zero-copy views of whole batches from the batch holding `offset` on, crossing segment
   * boundaries while `maxBytes` allows; always at least one batch; [] at the log end.
   * OFFSET_OUT_OF_RANGE (details: logStartOffset, logEndOffset) outside [logStart, logEnd].
   */
  read(offset: number, maxBytes: number): Buffer[] {
    this.#checkOpen();
    assertOffset(offset);
    const logStartOffset = this.#logStartOffset;
    const logEndOffset = this.logEndOffset;
    if (offset < logStartOffset || offset > logEndOffset) {
      throw offsetOutOfRange(`offset ${offset} is outside the log of ${this.dir}`, logStartOffset, logEndOffset);
    }
    if (!(maxBytes >= 0) || maxBytes === Number.POSITIVE_INFINITY) {
      throw new RivuletError('INVALID_ARGUMENT', `maxBytes must be a non-negative number, got ${maxBytes}`);
    }
    if (offset === logEndOffset) return [];
    try {
      return this.#segments.read(offset, Math.floor(maxBytes));
    } catch (err) {
      throw toRivuletError(err, `read from ${this.dir}`);
    }
  }

  /** Offset of the first batch whose maxTimestamp ≥ `timestamp` (at least the log start); null if none. */
  offsetForTimestamp(timestamp: number): number | null {
    this.#checkOpen();
    const found = this.#segments.offsetForTimestamp(timestamp);
    if (found < 0) return null;
    const offset = Math.max(found, this.#logStartOffset);
    return offset < this.logEndOffset ? offset : null;
  }

  /** Group commit: resolves once everything appended before the call is on disk. */
  sync(): Promise<void> {
    if (this.#closed) return Promise.reject(logClosed(this.dir));
    if (this.#unflushed.size === 0 && this.#flushedOffset >= this.logEndOffset) return Promise.resolve();
    return this.#commit.request();
  }

  /**
   * Drops every record at or past `offset` (a follower cutting a divergent tail). `offset` must
   * fall on a batch boundary; at or past the log end nothing happens.
   */
  truncateTo(offset: number): void {
    this.#checkOpen();
    assertOffset(offset);
    if (offset < this.#logStartOffset) {
      throw offsetOutOfRange(
        `cannot truncate ${this.dir} below its log start`,
        this.#logStartOffset,
        this.logEndOffset,
      );
    }
    if (offset >= this.logEndOffset) return;
    try {
      const { removed, cut } = this.#segments.truncateTo(offset);
      for (const gone of removed) this.#unflushed.delete(gone);
      this.#unflushed.add(cut);
    } catch (err) {
      throw toRivuletError(err, `truncate ${this.dir}`);
    }
    this.#truncations++;
    this.#commit.supersede();
    if (this.#segments.active.size === 0) this.#activeSince = -1;
    this.#flushedOffset = Math.max(this.#logStartOffset, Math.min(this.#flushedOffset, this.logEndOffset));
    this.#check('truncateTo');
  }

  /**
   * DeleteRecords: moves the log start to `offset` (≤ high watermark) and deletes the segments
   * entirely below it. The new log start is persisted, so it survives a restart.
   */
  deleteRecordsBefore(offset: number): RetentionResult {
    this.#checkOpen();
    assertOffset(offset);
    if (offset > this.highWatermark) {
      throw offsetOutOfRange(
        `cannot delete records of ${this.dir} past its high watermark ${this.highWatermark}`,
        this.#logStartOffset,
        this.logEndOffset,
      );
    }
    if (offset > this.#logStartOffset) {
      writeFileAtomicSync(join(this.dir, LOG_START_OFFSET_FILE), `${offset}\n`);
      this.#logStartOffset = offset;
      this.#flushedOffset = Math.max(this.#flushedOffset, offset);
    }
    // Only the segments below the new log start go now; time and size retention keep their timer.
    return this.#deleteExpired(this.#clock(), { ...this.#config, retentionMs: -1, retentionBytes: -1 });
  }

  /** Deletes the segments retention selects (see retention.ts) and returns them. */
  applyRetention(now: number = this.#clock()): RetentionResult {
    return this.#deleteExpired(now, this.#config);
  }

  #deleteExpired(now: number, policy: TopicConfig): RetentionResult {
    if (this.#closed) return { deleted: [], logStartOffset: this.#logStartOffset };
    const all = this.#segments.all;
    const reasons = selectExpiredSegments(this.segmentInfos(), policy, this.#logStartOffset, now);
    const deleted: DeletedSegment[] = [];
    for (const reason of reasons) {
      // A running flush holds its own references to the files: deleting under it is safe.
      const seg = all[0]!;
      const { baseOffset, nextOffset, size, maxTimestamp } = seg;
      try {
        this.#segments.deleteOldest();
      } catch (err) {
        throw toRivuletError(err, `retention of ${this.dir}`);
      }
      this.#unflushed.delete(seg);
      deleted.push({ baseOffset, nextOffset, size, maxTimestamp, reason });
    }
    if (deleted.length > 0) {
      this.#logStartOffset = Math.max(this.#logStartOffset, this.#segments.first.baseOffset);
      this.#flushedOffset = Math.max(this.#flushedOffset, this.#logStartOffset);
      this.#check('applyRetention');
    }
    return { deleted, logStartOffset: this.#logStartOffset };
  }

  /**
   * Waits for a running flush and the background preparation, then closes every segment (the
   * active one is cut to its real size). Does not sync: LogManager.close() does. Views stay valid.
   */
  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= this.#commit.idle().then(() => this.#segments.close());
    return this.#closing;
  }

  /** Closes the log and deletes all its files and its directory. Views stay valid. */
  async delete(): Promise<void> {
    this.#closed = true;
    await this.#closing;
    await this.#commit.idle();
    await this.#segments.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }

  #roll(): NativeSegment {
    const sealed = this.#segments.active;
    const next = this.#segments.roll(this.logEndOffset);
    // Flushed while active, a segment's `.log` was synced but not its indexes nor its cut to
    // size (see FlushJob in native/core/segment.h): the next flush syncs all of it, sealed.
    this.#unflushed.add(sealed);
    this.#activeSince = -1;
    return next;
  }

  async #flush(target: number): Promise<void> {
    const truncations = this.#truncations;
    const segs = [...this.#unflushed];
    this.#unflushed.clear();
    const started = performance.now();
    try {
      await Promise.all(segs.map((s) => s.flush()));
      this.flushTimes.observe((performance.now() - started) / 1000);
    } catch (err) {
      for (const s of segs) if (this.#segments.all.includes(s)) this.#unflushed.add(s);
      throw toRivuletError(err, `flush of ${this.dir}`);
    }
    if (truncations === this.#truncations) {
      this.#flushedOffset = Math.max(this.#flushedOffset, Math.min(target, this.logEndOffset));
      this.#check('sync');
    }
  }

  #check(where: string): void {
    assertOffsetOrder(
      {
        logStartOffset: this.#logStartOffset,
        flushedOffset: this.#flushedOffset,
        highWatermark: this.highWatermark,
        logEndOffset: this.logEndOffset,
      },
      where,
    );
  }

  #checkOpen(): void {
    if (this.#closed) throw logClosed(this.dir);
  }
}
