/**
 * Startup of one partition directory: open its segments, recover the tail, restore the log start.
 *
 * - Every `<20 digits>.log` is opened, oldest first; `.deleted` leftovers are removed.
 * - The last segment is always recovered: the storage engine scans it from its last index entry,
 *   validates each batch (length, magic 2, CRC) and cuts at the first invalid one (a torn write),
 *   reporting what it cut. An older segment is recovered too when its end does not meet the next
 *   one's base offset (a roll that was torn). Everything but the last segment is sealed.
 * - After an unclean shutdown (`recoveryPoint` given: the partition's flushed offset, as Kafka's
 *   recovery point) every segment whose nextOffset is above it is recovered in full: each batch from
 *   position 0 is validated and the indexes are rebuilt, since writeback after a power loss need
 *   not go in order and a hole may sit anywhere in data that was never flushed. Data below the
 *   recovery point is trusted. When a segment that is not the last one is cut, the later segments
 *   are deleted (their offsets no longer follow) and a new active segment starts at its nextOffset.
 * - An empty directory gets its first segment at offset 0.
 * - The log start offset is the first segment's base, or the `log-start-offset` file DeleteRecords
 *   wrote when that is further on.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readFileIfExists, writeFileAtomicSync, writeFileReplaceSync } from './atomic-file.js';
import type { RecoveryReport } from './native.js';
import { MAX_OFFSET } from './offsets.js';
import { type LogLogger, type SegmentSettings, Segments, scanSegmentDir } from './segments.js';

/** Where DeleteRecords keeps a log start offset that falls inside a segment. */
export const LOG_START_OFFSET_FILE = 'log-start-offset';
/** Where the log manager keeps the partition's recovery point (its flushed offset). */
export const RECOVERY_POINT_FILE = 'recovery-point';

/** The partition's saved recovery point; 0 (nothing trusted) when missing or unreadable. */
export function readRecoveryPoint(dir: string): number {
  const saved = readFileIfExists(join(dir, RECOVERY_POINT_FILE));
  if (saved === null) return 0;
  const n = Number(saved.trim());
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

export interface LoadedPartition {
  segments: Segments;
  /** The report of the last segment's recovery; null for a fresh directory. */
  recovery: RecoveryReport | null;
  logStartOffset: number;
}

/**
 * Saves the partition's recovery point, atomically: a crash leaves the old one or the new one.
 * `durable` also survives a power loss (two fsyncs); without it, a power loss may leave the old
 * value, a prefix of the new one or an empty file, each read as a smaller recovery point (so more
 * is scanned, never less): good enough for the periodic saves, while the one at close, which a
 * clean start relies on, is durable.
 */
export function writeRecoveryPoint(dir: string, offset: number, durable: boolean): void {
  const path = join(dir, RECOVERY_POINT_FILE);
  const text = `${offset}\n`;
  if (durable) writeFileAtomicSync(path, text);
  else writeFileReplaceSync(path, text);
}

/**
 * `recoveryPoint`: undefined after a clean shutdown; after an unclean one, the offset below which
 * the data was flushed (segments ending above it are recovered in full).
 */
export function loadPartitionDir(
  settings: SegmentSettings,
  logger: LogLogger,
  recoveryPoint?: number,
): LoadedPartition {
  const { dir } = settings;
  mkdirSync(dir, { recursive: true });
  const segments = new Segments(settings, logger);
  const bases = scanSegmentDir(dir, logger);
  let recovery: RecoveryReport | null = null;
  try {
    if (bases.length === 0) {
      segments.create(0);
    } else {
      for (const base of bases) segments.open(base);
      const all = segments.all;
      for (let i = 0; i < all.length; i++) {
        const seg = all[i]!;
        const next = all[i + 1];
        const full = recoveryPoint !== undefined && seg.nextOffset > recoveryPoint;
        if (next === undefined) {
          recovery = seg.recover(full);
          report(logger, dir, seg.baseOffset, recovery, true);
        } else if (full) {
          const before = seg.nextOffset;
          const r = seg.recover(true);
          report(logger, dir, seg.baseOffset, r, false);
          if (seg.nextOffset < before) {
            recovery = r;
            cutLaterSegments(segments, i, before, logger);
            break;
          }
          if (seg.active) seg.seal();
        } else {
          if (seg.nextOffset !== next.baseOffset) {
            const r = seg.recover();
            report(logger, dir, seg.baseOffset, r, false);
            if (seg.nextOffset > next.baseOffset) {
              logger.warn('segment overlaps the next one; the next one wins for the overlapping offsets', {
                dir,
                segment: seg.baseOffset,
                nextOffset: seg.nextOffset,
                nextSegment: next.baseOffset,
              });
            }
          }
          if (seg.active) seg.seal();
        }
      }
    }
  } catch (err) {
    for (const seg of segments.all) seg.close();
    throw err;
  }
  const logEnd = segments.active.nextOffset;
  if (logEnd > MAX_OFFSET) throw new Error(`${dir}: log end offset ${logEnd} beyond 2^53 − 1`);
  let logStartOffset = segments.first.baseOffset;
  const saved = readFileIfExists(join(dir, LOG_START_OFFSET_FILE));
  if (saved !== null) {
    const n = Number(saved.trim());
    if (Number.isSafeInteger(n) && n > logStartOffset) logStartOffset = Math.min(n, logEnd);
  }
  return { segments, recovery, logStartOffset };
}

/**
 * Segment `i` lost batches [its nextOffset, lostTo) to a full recovery: the segments after it no
 * longer follow, so they go, and appends continue in a new active segment at its nextOffset (as
 * Segments.truncateTo; an emptied segment is replaced).
 */
function cutLaterSegments(segments: Segments, i: number, lostTo: number, logger: LogLogger): void {
  const seg = segments.all[i]!;
  const at = seg.nextOffset;
  const later = segments.all.slice(i + 1);
  const lastLost = segments.active.nextOffset;
  const keepHead = seg.size > 0;
  if (keepHead && seg.active) seg.seal();
  segments.deleteFrom(keepHead ? i + 1 : i);
  segments.create(at);
  logger.warn(`recovery after an unclean shutdown lost offsets ${at}..${Math.max(lostTo, lastLost) - 1}`, {
    dir: segments.settings.dir,
    segment: seg.baseOffset,
    nextOffset: at,
    deletedSegments: later.map((s) => s.baseOffset),
  });
}

function report(logger: LogLogger, dir: string, segment: number, r: RecoveryReport, last: boolean): void {
  const fields = { dir, segment, validBytes: r.validBytes, truncatedBytes: r.truncatedBytes, nextOffset: r.nextOffset };
  if (r.truncatedBytes > 0) {
    logger.warn(`recovery cut ${r.truncatedBytes} bytes: ${r.reason ?? 'invalid tail'}`, {
      ...fields,
      reason: r.reason,
    });
  } else if (!last || r.reason !== null) {
    logger.info('recovered segment', { ...fields, reason: r.reason });
  }
}
